"""bisenet-run: segment a camera, stream, video or image folder live, with overlay and FPS."""

import argparse
import collections
import contextlib
import logging
import sys

from ..core import interrupts
from ..core.cli import ArgumentParser, add_common_flags, add_model_args, model_overrides, resolve_model, run_main
from ..core.errors import InputError, WorkFailed
from .backends import BACKEND_CHOICES, create_backend
from .backends.base import FrameDropped
from .capture import CaptureThread
from .frame_fit import stretch_warning
from .model_card import load_model_card
from .overlay import OverlayRenderer
from .precision_check import verify_spec_from_args
from .progress import Progress
from .result import FrameResult
from .run_stats import RunStats
from .segmenter import Segmenter
from .sinks import OUTPUT_EXAMPLES, add_output_args, check_output_args, open_outputs
from .sources import SOURCE_EXAMPLES, add_source_args, open_source, source_from_args

CAPTURE_TIMEOUT_S = 1.0
log = logging.getLogger(__name__)


def build_parser():
    parser = ArgumentParser(prog="bisenet-run", description=__doc__, epilog=SOURCE_EXAMPLES + "\n" + OUTPUT_EXAMPLES,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    add_model_args(parser, BACKEND_CHOICES)
    add_source_args(parser)
    add_output_args(parser)
    parser.add_argument("--max-frames", type=int, help="stop after this many frames")
    parser.add_argument("--queue", type=int, default=4, help="capture queue length (default: 4)")
    add_common_flags(parser)
    return parser


def frame_result(index, frame, segmented, renderer, status):
    """The FrameResult sinks get: the source's frame and metadata, the labels, the timings in ms."""
    timings = dict((stage, 1e3 * seconds) for stage, seconds in segmented.timings.items())
    return FrameResult(index, frame.image, segmented.labels, frame.name, frame.stamp, frame.meta, timings,
                       renderer=renderer, status=status, blended=segmented.overlay)


def _loop(capture, segmenter, renderer, sinks, stats, max_frames, progress):
    """Frames through the segmenter with one in flight (Segmenter.submit): while the network runs on a
    frame, the previous one is finished, drawn and written to the sinks. A frame in flight is finished
    at once when no next frame is waiting (a live source keeping up), so pipelining adds no latency
    there; it pays where frames queue up (a file, or a source faster than the network)."""
    in_flight = collections.deque()  # (index, frame, PendingFrame), oldest first: the submitted, unwritten
    depth = getattr(segmenter.backend, "frames_in_flight", 2)  # a remote server hides its latency behind more
    submitted = 0
    try:
        while True:
            interrupts.check()  # a signal whose exception a library swallowed
            item = None
            if max_frames is None or submitted < max_frames:
                item = capture.get(timeout=0 if in_flight else CAPTURE_TIMEOUT_S)
            if item is False and not in_flight:  # a live source had nothing yet
                continue
            if item:
                index, frame = item
                if not submitted:
                    _warn_if_stretched(frame.image.shape[:2], segmenter.input_hw)
                in_flight.append((index, frame, segmenter.submit(frame.image)))
                submitted += 1
            if len(in_flight) >= depth or (in_flight and not item):
                if not _finish(in_flight.popleft(), renderer, sinks, stats, progress):
                    return
            if item is None:
                while in_flight:  # the end of the source: the frames still in flight reach the sinks
                    if not _finish(in_flight.popleft(), renderer, sinks, stats, progress):
                        return
                return
    except KeyboardInterrupt:
        while in_flight:  # captured and started: they still reach the sinks
            _finish(in_flight.popleft(), renderer, sinks, stats, progress)
        raise


def _warn_if_stretched(frame_hw, input_hw):
    warning = stretch_warning(frame_hw, input_hw)
    if warning:
        log.warning("%s", warning)


def _finish(in_flight, renderer, sinks, stats, progress):
    """Write one segmented frame to every sink; False once a sink has closed (its window, its client)."""
    index, frame, pending = in_flight
    try:
        segmented = pending.result()
    except FrameDropped:  # the backend counted it (a Triton server that went away) and will reconnect
        return True
    result = frame_result(index, frame, segmented, renderer, stats.status_line())
    for sink in sinks:
        sink.write(result)
    stats.add(result.timings)
    if progress is not None:
        progress.update()
    return not any(sink.closed for sink in sinks)


def run(args, log_line=print):
    if args.queue < 1 or (args.max_frames is not None and args.max_frames < 1):
        raise InputError("--queue and --max-frames must be at least 1")
    resolve_model(args)
    spec = source_from_args(args)
    check_output_args(args)  # before the model loads: a wrong --output costs nothing
    card = load_model_card(args.model, model_overrides(args))
    backend = create_backend(args.backend, args.model, card, threads=args.threads, precision=args.precision,
                             verify=verify_spec_from_args(args))
    renderer = OverlayRenderer(card, alpha=args.alpha, mask_only=args.mask_only, legend=not args.no_legend)
    interrupted = None
    with contextlib.ExitStack() as stack:
        source = stack.enter_context(open_source(spec))
        log_line(source.describe())
        segmenter = stack.enter_context(Segmenter(backend, card, renderer.blend_alpha))
        log_line(backend.describe())
        sinks = [stack.enter_context(s) for s in open_outputs(args, source.fps, source.frame_size_wh,
                                                                  card["num_classes"], card, source=source,
                                                                  classes=card["classes"])]
        for sink in sinks:
            if hasattr(sink, "describe"):  # the network sinks say where to watch
                log_line(sink.describe())
        capture = stack.enter_context(CaptureThread(source, maxsize=args.queue))
        progress = _progress_for(source, args.max_frames)
        if progress is not None:
            stack.callback(progress.close)
        stats = RunStats(segmenter.input_hw)  # the clock starts once everything is open
        try:
            _loop(capture, segmenter, renderer, sinks, stats, args.max_frames, progress)
        except KeyboardInterrupt as exc:  # Ctrl-C, SIGTERM, SIGHUP (core/interrupts.py)
            interrupted = exc  # sinks still close normally below, so the video is finalized
        dropped = capture.dropped
    faults = getattr(backend, "describe_faults", lambda: None)()
    if faults:
        log_line(faults)
    unanswered = getattr(backend, "dropped_frames", 0)
    dropped += unanswered
    log_line(stats.summary(dropped=dropped, interrupted=interrupted is not None, precision=backend.precision))
    source.report_shortfall()
    if interrupted is not None:
        raise interrupted  # after the summary: the exit status still says the run was cut short
    if unanswered and not source.live:  # a file's frames are the work itself: missing outputs fail the run
        raise WorkFailed("{} of {} frames were not segmented (the server did not answer); their outputs are "
                         "missing".format(unanswered, stats.frames + unanswered))
    return stats


def _progress_for(source, max_frames):
    """Progress on a file source (a video or images, whose length is known); live sources run forever."""
    if source.live:
        return None
    total = source.frame_count
    if total and max_frames:
        total = min(total, max_frames)
    return Progress(total)


def main(argv=None):
    return run_main(lambda args: run(args) and 0, build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
