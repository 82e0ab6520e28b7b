"""Frame sources: each kind is one module declaring a SourceType (its flag, how its value parses and how
it opens); this list builds the 'source' argument group, turns the parsed flags into one SourceSpec
and opens it. A new source kind is one new module and one entry in SOURCE_TYPES.
"""

import argparse

from ...core.errors import InputError
from . import csi_camera, gstreamer, images, rosbag, rtsp, usb_camera, video
from .base import Frame, FrameSource, SourceSpec, SourceType
from .camera_settings import add_camera_settings, camera_options, given_settings
from .live_capture import SOURCE_TIMEOUT_S

__all__ = ["Frame", "FrameSource", "SourceSpec", "SourceType", "SOURCE_TYPES", "add_source_args",
           "source_from_args", "open_source"]

# --camera tries the USB form (N) before the CSI form (csi[:N]).
SOURCE_TYPES = (usb_camera.SOURCE, csi_camera.SOURCE, video.SOURCE, images.SOURCE, rtsp.SOURCE, gstreamer.SOURCE,
                rosbag.SOURCE)


def _unique(values):
    seen = []
    for value in values:
        if value not in seen:
            seen.append(value)
    return seen


FLAGS = _unique(t.flag for t in SOURCE_TYPES)
ACCEPTED_FORMS = ", ".join(_unique(t.form for t in SOURCE_TYPES))
SOURCE_EXAMPLES = "sources (one of):\n" + "\n".join(t.example for t in SOURCE_TYPES) + "\n"
LIVE_FLAGS = ", ".join(_unique(t.flag for t in SOURCE_TYPES if t.live))  # those --source-timeout applies to


def _seconds(text):
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value < 1e6:  # also refuses nan and inf
        raise argparse.ArgumentTypeError("expected a positive number of seconds, got {!r}".format(text))
    return value


def add_source_args(parser):
    """Add the 'source' group: exactly one of the source flags, plus camera settings."""
    group = parser.add_argument_group("source", "where frames come from (pick one)")
    which = group.add_mutually_exclusive_group()
    for flag in FLAGS:
        which.add_argument(flag, **next(t.argparse for t in SOURCE_TYPES if t.flag == flag and t.argparse))
    add_camera_settings(group)
    group.add_argument("--source-timeout", type=_seconds, metavar="SECONDS",
                       help="{}: the first frame must come within this, and a gap this long ends the run "
                            "(default {:g})".format(LIVE_FLAGS, SOURCE_TIMEOUT_S))
    for source_type in SOURCE_TYPES:
        for flag, keywords in source_type.settings.items():
            group.add_argument(flag, **keywords)
    return group


def _settings(ns, chosen):
    """The chosen type's own settings as options; InputError for another type's setting given with it."""
    options = {}
    for source_type in SOURCE_TYPES:
        for flag in source_type.settings:
            value = getattr(ns, flag.lstrip("-").replace("-", "_"), None)
            if source_type is chosen:
                if value is None:
                    raise InputError("{} needs {}".format(chosen.flag, flag))
                options[flag.lstrip("-").replace("-", "_")] = value
            elif value is not None and source_type.flag != chosen.flag:
                raise InputError("{} goes with {}, not {}".format(flag, source_type.flag, chosen.flag))
    return options


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
    timeout = getattr(ns, "source_timeout", None)
    if timeout is not None and not source_type.live:
        raise InputError("--source-timeout applies to {} only, not {}".format(LIVE_FLAGS, flag))
    if not source_type.cameras:
        extra = sorted(name for name, setting in given_settings(ns).items() if setting is not None)
        if extra:
            raise InputError("{} apply to --camera only, not {}".format(", ".join("--" + name for name in extra), flag))
        options = _settings(ns, source_type)
    else:
        _settings(ns, source_type)  # refuses another type's settings
        options = camera_options(ns)
    if timeout is not None:
        options["timeout"] = timeout
    return SourceSpec(source_type.kind, location, options)


def open_source(spec):
    # type: (SourceSpec) -> FrameSource
    """Open what `spec` names; InputError (one line, with a way forward) when it cannot be opened."""
    for source_type in SOURCE_TYPES:
        if source_type.kind == spec.kind:
            options = dict({"timeout": SOURCE_TIMEOUT_S}, **spec.options) if source_type.live else spec.options
            return source_type.opener(spec.location, options)
    raise ValueError("unknown source kind {!r}".format(spec.kind))
