"""Frame sources: each kind is one module declaring a SourceType (its flag, how its value parses and how
it opens); this list builds the 'source' argument group, turns the parsed flags into one SourceSpec
and opens it. A new source kind is one new module and one entry in SOURCE_TYPES.
"""

from ...core.errors import InputError
from . import csi_camera, gstreamer, images, rtsp, usb_camera, video
from .base import Frame, FrameSource, SourceSpec, SourceType
from .camera_settings import add_camera_settings, camera_options, given_settings

__all__ = ["Frame", "FrameSource", "SourceSpec", "SourceType", "SOURCE_TYPES", "add_source_args",
           "source_from_args", "open_source"]

# --camera tries the USB form (N) before the CSI form (csi[:N]).
SOURCE_TYPES = (usb_camera.SOURCE, csi_camera.SOURCE, video.SOURCE, images.SOURCE, rtsp.SOURCE, gstreamer.SOURCE)


def _unique(values):
    seen = []
    for value in values:
        if value not in seen:
            seen.append(value)
    return seen


FLAGS = _unique(t.flag for t in SOURCE_TYPES)
ACCEPTED_FORMS = ", ".join(_unique(t.form for t in SOURCE_TYPES))
SOURCE_EXAMPLES = "sources (one of):\n" + "\n".join(t.example for t in SOURCE_TYPES) + "\n"


def add_source_args(parser):
    """Add the 'source' group: exactly one of the source flags, plus camera settings."""
    group = parser.add_argument_group("source", "where frames come from (pick one)")
    which = group.add_mutually_exclusive_group()
    for flag in FLAGS:
        which.add_argument(flag, **next(t.argparse for t in SOURCE_TYPES if t.flag == flag and t.argparse))
    add_camera_settings(group)
    return group


def _given_flags(ns):
    given = [(flag, getattr(ns, flag.lstrip("-").replace("-", "_"), None)) for flag in FLAGS]
    given = [(flag, value) for flag, value in given if value is not None]
    if len(given) != 1:
        raise InputError("{}; give one source: {}".format(
            "no source given" if not given else "more than one source given", ACCEPTED_FORMS))
    return given[0]


def _parse(flag, value):
    """(SourceType, location) of the first type on `flag` that accepts `value`."""
    candidates = [t for t in SOURCE_TYPES if t.flag == flag]
    for source_type in candidates:
        location = source_type.parse(value)
        if location is not None:
            return source_type, location
    raise InputError("{} expects {}, got {!r}; accepted sources: {}".format(
        flag, candidates[0].form.split(" ", 1)[-1], value, ACCEPTED_FORMS))


def source_from_args(ns):
    # type: (object) -> SourceSpec
    """The one SourceSpec the parsed flags ask for; InputError listing the accepted forms otherwise."""
    flag, value = _given_flags(ns)
    source_type, location = _parse(flag, value)
    if not source_type.cameras:
        extra = sorted(name for name, setting in given_settings(ns).items() if setting is not None)
        if extra:
            raise InputError("{} apply to --camera only, not {}".format(", ".join("--" + name for name in extra), flag))
        return SourceSpec(source_type.kind, location, {})
    return SourceSpec(source_type.kind, location, camera_options(ns))


def open_source(spec):
    # type: (SourceSpec) -> FrameSource
    """Open what `spec` names; InputError (one line, with a way forward) when it cannot be opened."""
    for source_type in SOURCE_TYPES:
        if source_type.kind == spec.kind:
            return source_type.opener(spec.location, spec.options)
    raise ValueError("unknown source kind {!r}".format(spec.kind))
