"""Where bisenet-run's results go: every --output, and the window when there is none (or --window).

Each --output value goes to the first sink type in OUTPUT_SINKS whose `accepts(spec)` takes it, so a
new sink kind is one new module and one entry there. Every sink has write(result), close(success)
and is a context manager, so a run opened under an ExitStack finalizes its files on end of stream or
Ctrl-C and leaves nothing half-written after a crash.
"""

import argparse
import collections

from ...core.errors import InputError
from ...core.outpaths import check_output, refuse_same_file
from .base import Sink
from .directory import DirectorySink
from .rosbag import RosbagSink
from .http_view import HttpViewSink
from .network import STREAM_OUTPUT_EXAMPLES, add_stream_args, parse_target, stream_settings
from .rtp import RtpSink
from .rtsp_server import RtspServerSink
from .video import DEFAULT_VIDEO_FPS, VideoFileSink
from .window import WindowSink

__all__ = ["Sink", "OUTPUT_SINKS", "OutputStream", "add_output_args", "open_outputs", "WindowSink",
           "VideoFileSink", "DirectorySink", "DEFAULT_VIDEO_FPS"]

OUTPUT_SINKS = (RtpSink, RtspServerSink, HttpViewSink, DirectorySink, VideoFileSink, RosbagSink)  # tried in order
OutputStream = collections.namedtuple("OutputStream", "fps frame_size_wh num_classes card settings source classes")
OutputStream.__new__.__defaults__ = (None, None, None, None)
# what a sink may need to know before the first frame: fps (None when the source has none), (w, h), classes,
# the model card (class names and colours), the streaming settings (network.stream_settings), the opened
# source (a bag sink copies its bag) and the class names; None where the caller has none

OUTPUT_EXAMPLES = """\
outputs:
  (no --output)       window with the overlay, legend and FPS; q or Esc quits
  --headless          no window: print the summary only
  --window            a window as well as the --output ones
  --output FILE.mp4   overlay video (.mp4: H.264 where an encoder exists, else mp4v with a warning;
                      .avi: MJPG), same frame size and count as the input
  --output DIR/       per frame: NAME_labels.png (class indices), NAME_mask.png (class colours) and
                      NAME_overlay.png (the overlay); NAME is the image's file stem for --images,
                      VIDEO_000042 for frame 42 of a video
  --output OUT.bag    with --rosbag: the input bag's messages plus T/class_mask, T/color_mask, T/overlay, T/stats
  (--output may be given more than once)
""" + STREAM_OUTPUT_EXAMPLES


def _alpha(text):
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError("expected a number from 0 to 1, got {!r}".format(text))
    return value


def _forms():
    return [form for sink in OUTPUT_SINKS for form in sink.forms]


def add_output_args(parser):
    """Add the 'output' group: window or not, where to write, and how the overlay looks."""
    group = parser.add_argument_group("output", "where results go (default: a window, when no --output is given)")
    group.add_argument("--output", action="append", metavar="|".join(_forms()),
                       help="write the results; repeat for several outputs: " + ", ".join(_forms()))
    window = group.add_mutually_exclusive_group()
    window.add_argument("--headless", action="store_true",
                        help="do not open a window (the default as soon as there is an --output)")
    window.add_argument("--window", action="store_true", help="open a window as well as the --output ones")
    group.add_argument("--alpha", type=_alpha, default=0.5,
                       help="opacity of the class colours over the frame, 0..1 (default 0.5)")
    group.add_argument("--mask-only", action="store_true", help="show/write the colour mask instead of the overlay")
    group.add_argument("--no-legend", action="store_true", help="leave out the legend of the classes present")
    add_stream_args(parser)
    return group


def sink_type_for(spec):
    """The sink class that takes `--output spec`; InputError naming the accepted forms otherwise."""
    for sink_type in OUTPUT_SINKS:
        if sink_type.accepts(spec):
            return sink_type
    forms = _forms()
    raise InputError("--output expects {} or {}, got {!r}".format(", ".join(forms[:-1]), forms[-1], spec))


def wants_window(ns):
    """Whether a run opens a window: asked for, or the default when the results go nowhere else."""
    if getattr(ns, "headless", False):
        return False
    return bool(getattr(ns, "window", False)) or not _specs(ns)


def _specs(ns):
    specs = getattr(ns, "output", None) or []
    return [specs] if isinstance(specs, str) else list(specs)


INPUT_FLAGS = ("--model", "--classes", "--video", "--images", "--rosbag", "--verify-images", "--verify-labels")


def check_output_args(ns):
    """Refuse a bad --output now, before the model loads: its form, whether it can be written, and
    whether it names one of the inputs or lies in a folder they are read from."""
    inputs = dict((flag, getattr(ns, flag[2:].replace("-", "_"), None)) for flag in INPUT_FLAGS)
    for spec in _specs(ns):
        sink_type = sink_type_for(spec)
        if sink_type in (DirectorySink, VideoFileSink, RosbagSink):
            check_output(spec, "--output", folder=sink_type is DirectorySink)
            refuse_same_file(spec, "--output", inputs)
        elif sink_type in (RtpSink, RtspServerSink, HttpViewSink):  # the URL now; whether it can listen, when opened
            parse_target(spec)


def open_outputs(ns, fps, frame_size_wh, num_classes=None, card=None, source=None, classes=None):
    """The sinks the flags ask for: one per --output, and the window when there is none (as a camera
    viewer would) or --window asks for it, never with --headless."""
    specs = _specs(ns)
    types = [sink_type_for(spec) for spec in specs]  # refuse a bad value before opening anything
    stream = OutputStream(fps, frame_size_wh, num_classes, card, stream_settings(ns), source, classes)
    sinks = []
    try:
        if wants_window(ns):
            sinks.append(WindowSink())
        for sink_type, spec in zip(types, specs):
            sinks.append(sink_type.from_spec(spec, stream))
    except BaseException:  # a signal while a later output opens closes the earlier ones too
        for sink in sinks:
            sink.close(success=False)
        raise
    return sinks
