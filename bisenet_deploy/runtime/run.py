"""bisenet-run: segment a camera, stream, video or image folder live, with overlay and FPS."""

import argparse
import contextlib
import sys

from ..cli import ArgumentParser, add_debug_flag, parse_size, run_main
from ..errors import InputError
from .backends import BACKEND_CHOICES, create_backend
from .capture import CaptureThread
from .model_info import load_model_card
from .outputs import OUTPUT_EXAMPLES, DirectorySink, add_output_args, open_outputs
from .overlay import OverlayRenderer
from .run_stats import RunStats
from .segmenter import Segmenter
from .sources import SOURCE_EXAMPLES, add_source_args, open_source, source_from_args

CAPTURE_TIMEOUT_S = 1.0


def add_model_args(parser):
    group = parser.add_argument_group("model", "what runs (settings come from the model card)")
    group.add_argument("--model", required=True, metavar="MODEL", help=".onnx, .engine or .pth")
    group.add_argument("--backend", choices=BACKEND_CHOICES, default="auto",
                       help="auto (default): trt for an engine with TensorRT present, ort for ONNX, torch for .pth")
    group.add_argument("--threads", type=int, help="CPU threads for the network (default: the backend's choice)")
    group.add_argument("--input-size", type=parse_size, metavar="HxW", help="override/supply the input size")
    group.add_argument("--num-classes", type=int, help="supply the class count for an ONNX without a model card")
    group.add_argument("--head", choices=("labels", "logits"), help="supply the head for an ONNX without a card")
    group.add_argument("--classes", help="CSV of name,r,g,b overriding the card's class names and colours")
    return group


def model_overrides(ns):
    return {"input_size": ns.input_size, "num_classes": ns.num_classes, "head": ns.head, "classes_csv": ns.classes}


def build_parser():
    parser = ArgumentParser(prog="bisenet-run", description=__doc__, epilog=SOURCE_EXAMPLES + "\n" + OUTPUT_EXAMPLES,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    add_model_args(parser)
    add_source_args(parser)
    add_output_args(parser)
    parser.add_argument("--max-frames", type=int, help="stop after this many frames")
    parser.add_argument("--queue", type=int, default=4, help="capture queue length (default: 4)")
    add_debug_flag(parser)
    return parser


def _write(sinks, index, frame_labels, image, renderer):
    for sink in sinks:
        if isinstance(sink, DirectorySink):
            sink.write(index, frame_labels, renderer.last_mask, image)
        else:
            sink.write(image)


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
        segmenter = stack.enter_context(Segmenter(backend, card, None if args.mask_only else args.alpha))
        log_line(backend.describe())
        sinks = [stack.enter_context(s) for s in open_outputs(args, source.fps, source.frame_size_wh,
                                                                  card["num_classes"])]
        capture = stack.enter_context(CaptureThread(source, maxsize=args.queue))
        stats = RunStats()  # the clock starts once everything is open
        try:
            while args.max_frames is None or stats.frames < args.max_frames:
                item = capture.get(timeout=CAPTURE_TIMEOUT_S)
                if item is False:  # a live source had nothing yet
                    continue
                if item is None:
                    break
                index, frame = item
                result = segmenter.segment(frame)
                image = segmenter.render(renderer, frame, result, stats.status_line())
                _write(sinks, index, result.labels, image, renderer)
                stats.add(result.timings)
                if any(getattr(s, "closed", False) for s in sinks):
                    break
        except KeyboardInterrupt:
            interrupted = True  # sinks still close normally below, so the video is finalized
        dropped = capture.dropped
    log_line(stats.summary(dropped=dropped, interrupted=interrupted))
    return stats


def main(argv=None):
    return run_main(lambda args: run(args) and 0, build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
