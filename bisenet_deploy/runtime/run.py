"""bisenet-run: segment a camera, stream, video or image folder live, with overlay and FPS."""

import argparse
import contextlib
import sys

from ..core.cli import ArgumentParser, add_common_flags, add_model_args, model_overrides, run_main
from ..core.errors import InputError
from .backends import BACKEND_CHOICES, create_backend
from .capture import CaptureThread
from .model_card import load_model_card
from .overlay import OverlayRenderer
from .result import FrameResult
from .run_stats import RunStats
from .segmenter import Segmenter
from .sinks import OUTPUT_EXAMPLES, add_output_args, open_outputs
from .sources import SOURCE_EXAMPLES, add_source_args, open_source, source_from_args

CAPTURE_TIMEOUT_S = 1.0


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


def _loop(capture, segmenter, renderer, sinks, stats, max_frames):
    while max_frames is None or stats.frames < max_frames:
        item = capture.get(timeout=CAPTURE_TIMEOUT_S)
        if item is False:  # a live source had nothing yet
            continue
        if item is None:
            break
        index, frame = item
        result = frame_result(index, frame, segmenter.segment(frame.image), renderer, stats.status_line())
        for sink in sinks:
            sink.write(result)
        stats.add(result.timings)
        if any(sink.closed for sink in sinks):
            break


def run(args, log_line=print):
    if args.queue < 1 or (args.max_frames is not None and args.max_frames < 1):
        raise InputError("--queue and --max-frames must be at least 1")
    spec = source_from_args(args)
    card = load_model_card(args.model, model_overrides(args))
    backend = create_backend(args.backend, args.model, card, threads=args.threads)
    renderer = OverlayRenderer(card, alpha=args.alpha, mask_only=args.mask_only, legend=not args.no_legend)
    interrupted = False
    with contextlib.ExitStack() as stack:
        source = stack.enter_context(open_source(spec))
        log_line(source.describe())
        segmenter = stack.enter_context(Segmenter(backend, card, renderer.blend_alpha))
        log_line(backend.describe())
        sinks = [stack.enter_context(s) for s in open_outputs(args, source.fps, source.frame_size_wh,
                                                                  card["num_classes"])]
        capture = stack.enter_context(CaptureThread(source, maxsize=args.queue))
        stats = RunStats()  # the clock starts once everything is open
        try:
            _loop(capture, segmenter, renderer, sinks, stats, args.max_frames)
        except KeyboardInterrupt:
            interrupted = True  # sinks still close normally below, so the video is finalized
        dropped = capture.dropped
    log_line(stats.summary(dropped=dropped, interrupted=interrupted))
    return stats


def main(argv=None):
    return run_main(lambda args: run(args) and 0, build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
