"""bisenet-eval: mIoU, per-class IoU and pixel accuracy as the seed computes them, for any backend,
and the agreement between two backends or precisions (how a user checks FP16/INT8 cost nothing)."""

import argparse
import contextlib
import json
import sys

import cv2

from ..core.atomic import atomic_path
from ..core.cli import ArgumentParser, add_common_flags, parse_size, run_main
from ..core.errors import InputError
from ..core.lazy import is_installed
from ..runtime.backends import BACKEND_CHOICES, BACKENDS, create_backend
from .datasets import LAYOUTS, detect_layout, discover, load_pair, resize_label
from ..core.metrics import ConfusionMatrix, agreement, format_class_table, report_dict
from ..runtime.model_card import load_model_card
from ..core.cli import add_model_args, model_overrides
from ..runtime.segmenter import Segmenter

EPILOG = """datasets:
  generic   ROOT/images/NAME.jpg + ROOT/labels/NAME.png (class indices, 255 = ignore)
  sunrgbd   the seed's layout: ROOT/<split>/image/ + ROOT/<split>/mask|label/NAME.npy (raw 0 = unlabeled)
examples:
  bisenet-eval --model model.onnx --data SUNRGBD --eval-size 512x512          the seed's test protocol
  bisenet-eval --model model_fp16.engine --data SUNRGBD --compare model.onnx  did FP16 cost accuracy?
"""


def build_parser():
    parser = ArgumentParser(prog="bisenet-eval", description=__doc__, epilog=EPILOG,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    add_model_args(parser, BACKEND_CHOICES)
    data = parser.add_argument_group("data")
    data.add_argument("--data", required=True, metavar="ROOT", help="dataset folder")
    data.add_argument("--layout", choices=("auto",) + LAYOUTS, default="auto", help="default: detect")
    data.add_argument("--split", default="test", help="split for the sunrgbd layout (default: test)")
    data.add_argument("--eval-size", type=parse_size, metavar="HxW",
                      help="resize image (bilinear) and label (nearest) to this size first, as the seed's "
                           "512x512 test does (default: evaluate at label resolution)")
    data.add_argument("--limit", type=int, help="evaluate only the first N samples")
    parser.add_argument("--compare", metavar="BACKEND|MODEL",
                        help="also run this backend on the same model, or another model file, and report agreement")
    parser.add_argument("--json", metavar="FILE", help="write the full report as JSON")
    add_common_flags(parser)
    return parser


def _comparison_model(spec, model_path):
    """(model path, backend name) for --compare: a backend name reuses the model, a path brings its own."""
    if spec in BACKEND_CHOICES or spec in BACKENDS:
        return model_path, spec
    return spec, "auto"


def _progress(items, label):
    if is_installed("tqdm"):
        import tqdm
        # disable=None: no bar when stderr is not a terminal (logs, CI), so errors stay one line
        return tqdm.tqdm(items, desc=label, unit="img", file=sys.stderr, disable=None)
    return items


def evaluate(args, log=print):
    if args.limit is not None and args.limit < 1:
        raise InputError("--limit must be at least 1")
    layout = detect_layout(args.data, args.split) if args.layout == "auto" else args.layout
    samples = discover(args.data, layout, args.split)[: args.limit]
    card = load_model_card(args.model, model_overrides(args))
    segmenters = [Segmenter(create_backend(args.backend, args.model, card, threads=args.threads), card)]
    if args.compare:
        other_path, other_backend = _comparison_model(args.compare, args.model)
        # the flags describe --model; another model file brings its own card
        other_card = load_model_card(other_path, model_overrides(args) if other_path == args.model else None)
        if other_card["num_classes"] != card["num_classes"]:
            raise InputError("--compare {} predicts {} classes, the model {}".format(
                args.compare, other_card["num_classes"], card["num_classes"]))
        segmenters.append(Segmenter(create_backend(other_backend, other_path, other_card, args.threads), other_card))
    matrices = [ConfusionMatrix(card["num_classes"]) for _ in segmenters]
    agreements = []
    log("evaluating {} samples ({} layout) with {}".format(len(samples), layout, args.model))
    with contextlib.ExitStack() as stack:
        for segmenter in segmenters:
            stack.enter_context(segmenter)
        for sample in _progress(samples, "eval"):
            image, label = load_pair(sample, layout)
            if args.eval_size:
                image = cv2.resize(image, (args.eval_size[1], args.eval_size[0]), interpolation=cv2.INTER_LINEAR)
                label = resize_label(label, args.eval_size)
            predictions = [s.segment(image).labels for s in segmenters]
            for matrix, prediction in zip(matrices, predictions):
                matrix.update(label, prediction)
            if len(predictions) == 2:
                agreements.append((agreement(predictions[0], predictions[1]), predictions[0].size))
    return _report(args, card, layout, samples, matrices, agreements, log)


def _report(args, card, layout, samples, matrices, agreements, log):
    names = card["classes"]
    report = {"model": args.model, "data": args.data, "layout": layout, "samples": len(samples),
              "eval_size": list(args.eval_size) if args.eval_size else "label resolution",
              "results": [dict(report_dict(matrices[0], names), backend=args.backend)]}
    log(format_class_table(names, matrices[0].class_iou(), matrices[0].class_accuracy()))
    log("mIoU {:.2f}%  pixel accuracy {:.2f}%  mean accuracy {:.2f}%".format(
        100 * matrices[0].mean_iou(), 100 * matrices[0].pixel_accuracy(), 100 * matrices[0].mean_accuracy()))
    if agreements:
        pixels = sum(n for _, n in agreements)
        overall = sum(a * n for a, n in agreements) / float(pixels)
        report["results"].append(dict(report_dict(matrices[1], names), backend=args.compare))
        report["agreement"] = {"pixels": overall, "worst_image": min(a for a, _ in agreements)}
        log("--compare {}: mIoU {:.2f}% (delta {:+.2f} points), pixel agreement {:.4f}% (worst image {:.4f}%)".format(
            args.compare, 100 * matrices[1].mean_iou(), 100 * (matrices[1].mean_iou() - matrices[0].mean_iou()),
            100 * overall, 100 * report["agreement"]["worst_image"]))
    if args.json:
        with atomic_path(args.json) as tmp:
            with open(tmp, "w") as handle:
                json.dump(report, handle, indent=2, allow_nan=False)
        log("wrote {}".format(args.json))
    return report


def main(argv=None):
    return run_main(lambda args: evaluate(args) and 0, build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
