"""bisenet-eval: mIoU, per-class IoU and pixel accuracy as the seed computes them, for any backend,
and the agreement between two backends or precisions (how a user checks FP16/INT8 cost nothing)."""

import argparse
import contextlib
import os
import sys

import cv2

from ..core.cli import ArgumentParser, add_common_flags, parse_size, run_main
from ..core.errors import InputError, WorkFailed
from ..core.lazy import is_installed
from ..core.model_info import model_kind
from ..core.wording import count
from ..core.outpaths import check_output, refuse_dataset_files, refuse_same_file
from ..runtime.backends import BACKEND_CHOICES, BACKENDS, create_backend, resolve_backend_name
from ..runtime.backends.openvino_precision import is_qdq_file
from .bag import add_bag_args, check_bag_args, evaluate_bag
from .report_file import write_report
from .datasets import LAYOUTS, detect_layout, discover, load_pair, resize_label
from ..core.metrics import ConfusionMatrix, agreement, format_class_table, report_dict
from ..runtime.model_card import load_model_card
from ..core.cli import add_model_args, model_overrides, resolve_model
from ..runtime.precision_check import verify_spec_from_args
from ..runtime.segmenter import Segmenter
from .change import miou_change_text
from .gate import judge_compare
from .checks import UnknownLabels, comparison_sizes

EPILOG = """datasets (--layout; default split in brackets):
  generic     ROOT/images/NAME.jpg + ROOT/labels/NAME.png (class indices, 255 = ignore)
  sunrgbd     the seed's layout: ROOT/<split>/image/ + ROOT/<split>/mask|label/NAME.npy (raw 0 = unlabeled) [test]
  cityscapes  ROOT/leftImg8bit/<split>/CITY/ + ROOT/gtFine/<split>/CITY/*_gtFine_labelIds.png [val]
  ade20k      ADEChallengeData2016: ROOT/images/<split>/ + ROOT/annotations/<split>/ (0 = ignore) [validation]
  coco-stuff  COCO-Stuff 164k: ROOT/images/<split>/ + ROOT/annotations|stuffthingmaps/<split>/ (182 ids) [val2017]
examples:
  bisenet-eval --model model.onnx --data SUNRGBD --eval-size 512x512          the seed's test protocol
  bisenet-eval --model model_fp16.engine --data SUNRGBD --compare model.onnx  did FP16 cost accuracy?
  bisenet-eval --model model_fp16.engine --rosbag run.bag --topic /camera/rgb/image_raw --compare model.onnx
"""


def build_parser():
    parser = ArgumentParser(prog="bisenet-eval", description=__doc__, epilog=EPILOG,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    add_model_args(parser, BACKEND_CHOICES)
    data = parser.add_argument_group("data")
    data.add_argument("--data", metavar="ROOT", help="dataset folder (or --rosbag below)")
    data.add_argument("--layout", choices=("auto",) + LAYOUTS, default="auto", help="default: detect")
    data.add_argument("--split", help="split folder of the sunrgbd, cityscapes, ade20k and coco-stuff layouts "
                                      "(default: test, val, validation, val2017 respectively)")
    data.add_argument("--eval-size", type=parse_size, metavar="HxW",
                      help="resize image (bilinear) and label (nearest) to this size first, as the seed's "
                           "512x512 test does (default: evaluate at label resolution)")
    data.add_argument("--limit", type=int, help="evaluate only the first N samples")
    add_bag_args(parser)
    parser.add_argument("--compare", metavar="BACKEND|MODEL",
                        help="also run this backend on the same model, or another model file, and report agreement")
    parser.add_argument("--json", metavar="FILE", help="write the full report as JSON")
    data.add_argument("--strict-labels", action="store_true",
                      help="fail on label values that are neither a class nor the ignore index 255 (default: "
                           "count them, warn, leave them out of the metrics and record them in the JSON)")
    add_common_flags(parser)
    return parser


def _inputs(args):
    """{flag: path} of what the flags read (a --compare backend name is no path)."""
    inputs = dict((flag, getattr(args, flag[2:].replace("-", "_"))) for flag in (
        "--model", "--classes", "--rosbag", "--verify-images", "--verify-labels"))
    if args.compare:
        inputs["--compare"] = _comparison_model(args.compare, args.model)[0]
    return inputs


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


def _segmenters(args):
    """(card of --model, [Segmenter]) for --model and --compare, at one input size (see _cards)."""
    cards = _cards(args)
    (path, backend, card), others = cards[0], cards[1:]
    # --compare judges the model on the data itself (gate.py); --verify checks it first, as bisenet-run does
    segmenters = [Segmenter(create_backend(backend, path, card, threads=args.threads, precision=args.precision,
                                           verify=verify_spec_from_args(args)), card)]
    for other_path, other_backend, other_card in others:
        precision = _comparison_precision(args, other_path, other_backend)
        segmenters.append(Segmenter(create_backend(other_backend, other_path, other_card, args.threads,
                                                   precision=precision), other_card))
    return card, segmenters


FLOAT_PRECISIONS = ("fp32", "bf16", "fp16")


def _comparison_precision(args, path, backend):
    """The precision --compare runs in, where its backend chooses one (None elsewhere: the file decides).
    --precision is --model's, so the compared model runs at its own: a QDQ model INT8; the same model
    FP32, the reference --model's precision is judged against; another FP32 model at --precision where
    that is a float precision (two models compared at one precision), else auto."""
    if not getattr(BACKENDS[resolve_backend_name(backend, path)], "chooses_precision", False):
        return None
    if is_qdq_file(path):
        return "int8"
    if os.path.realpath(path) == os.path.realpath(args.model):
        return "fp32"
    return args.precision if args.precision in FLOAT_PRECISIONS else "auto"


def _activate(stack, segmenters, compare):
    """Activate every segmenter before the first sample, so a precision or backend refusal comes before
    the evaluation starts; one of --compare's says so (its precision was not the user's --precision)."""
    stack.enter_context(segmenters[0])
    for segmenter in segmenters[1:]:
        try:
            stack.enter_context(segmenter)
        except InputError as error:
            raise InputError("--compare {}: {}".format(compare, error))
    return segmenters


def evaluate(args, log=print):
    resolve_model(args)
    if args.limit is not None and args.limit < 1:
        raise InputError("--limit must be at least 1")
    if args.json:  # before the evaluation, not after
        check_output(args.json, "--json")
        refuse_same_file(args.json, "--json", _inputs(args))
    if check_bag_args(args):
        card, segmenters = _segmenters(args)
        with contextlib.ExitStack() as stack:
            segmenters = _activate(stack, segmenters, args.compare)
            return evaluate_bag(args, segmenters, card["classes"], log)
    if args.data is None:
        raise InputError("give a dataset with --data ROOT, or a bag with --rosbag BAG --topic T and --compare")
    layout = detect_layout(args.data, args.split) if args.layout == "auto" else args.layout
    samples = discover(args.data, layout, args.split)[: args.limit]
    if args.json:  # a picture or label of the data set, or among them: refused before any is read
        refuse_dataset_files(args.json, "--json", [path for sample in samples
                                                   for path in (sample.image_path, sample.label_path)], args.data)
    card, segmenters = _segmenters(args)
    matrices = [ConfusionMatrix(card["num_classes"]) for _ in segmenters]
    agreements = []
    unknown = UnknownLabels(card["num_classes"], strict=args.strict_labels)
    with contextlib.ExitStack() as stack:
        _activate(stack, segmenters, args.compare)
        log("evaluating {} ({} layout) with {} at {}x{}".format(count(len(samples), "sample"), layout, args.model,
                                                               card["input_size"][0], card["input_size"][1]))
        for sample in _progress(samples, "eval"):
            image, label = load_pair(sample, layout)
            if args.eval_size:
                image = cv2.resize(image, (args.eval_size[1], args.eval_size[0]), interpolation=cv2.INTER_LINEAR)
                label = resize_label(label, args.eval_size)
            unknown.check(sample.name, label)
            predictions = [s.segment(image).labels for s in segmenters]
            for matrix, prediction in zip(matrices, predictions):
                matrix.update(label, prediction)
            if len(predictions) == 2:
                agreements.append((agreement(predictions[0], predictions[1]), predictions[0].size))
    if unknown.warning():
        log(unknown.warning())
    return _report(args, card, layout, samples, matrices, agreements, log, unknown,
                   [s.backend for s in segmenters])


def _cards(args):
    """[(path, backend, card)] for --model and --compare, at one input size: a checkpoint (which has
    none of its own) runs at the other model's size unless --input-size says; different sizes are refused."""
    overrides = model_overrides(args)
    if not args.compare:
        return [(args.model, args.backend, load_model_card(args.model, overrides))]
    other_path, other_backend = _comparison_model(args.compare, args.model)
    checkpoint_first = model_kind(args.model) == "checkpoint" and other_path != args.model
    if checkpoint_first and not args.input_size and model_kind(other_path) != "checkpoint":
        other_card = load_model_card(other_path)
        card = load_model_card(args.model, dict(overrides, input_size=tuple(other_card["input_size"])))
    else:
        card = load_model_card(args.model, overrides)
        # the flags describe --model; another model file brings its own card (a checkpoint: at --model's size)
        other_overrides = overrides if other_path == args.model else (
            {"input_size": tuple(card["input_size"])} if model_kind(other_path) == "checkpoint" else None)
        other_card = load_model_card(other_path, other_overrides)
    if other_card["num_classes"] != card["num_classes"]:
        raise InputError("--compare {} predicts {} classes, the model {}".format(
            args.compare, other_card["num_classes"], card["num_classes"]))
    comparison_sizes(card, other_card, args.model, args.compare)
    return [(args.model, args.backend, card), (other_path, other_backend, other_card)]


def _report(args, card, layout, samples, matrices, agreements, log, unknown, backends):
    names = card["classes"]
    report = {"model": args.model, "data": args.data, "layout": layout, "samples": len(samples),
              "input_size": list(card["input_size"]), "unknown_labels": unknown.record(),
              "eval_size": list(args.eval_size) if args.eval_size else "label resolution",
              "results": [dict(report_dict(matrices[0], names), backend=backends[0].name,
                               precision=backends[0].precision)]}
    if getattr(backends[0], "verification", None):
        report["verification"] = backends[0].verification._asdict()
    log(format_class_table(names, matrices[0].class_iou(), matrices[0].class_accuracy()))
    log("{} {}: mIoU {:.2f}%  pixel accuracy {:.2f}%  mean accuracy {:.2f}%".format(
        backends[0].name, (backends[0].precision or "").upper(), 100 * matrices[0].mean_iou(), 100 * matrices[0].pixel_accuracy(), 100 * matrices[0].mean_accuracy()))
    if agreements:
        pixels = sum(n for _, n in agreements)
        overall = sum(a * n for a, n in agreements) / float(pixels)
        report["results"].append(dict(report_dict(matrices[1], names), backend=backends[1].name,
                                      precision=backends[1].precision, compare=args.compare))
        report["agreement"] = {"pixels": overall, "worst_image": min(a for a, _ in agreements)}
        log("--compare {}: mIoU {:.2f}% (--model {:.2f}%); {}; pixel agreement {:.4f}% (worst image {:.4f}%)".format(
            args.compare, 100 * matrices[1].mean_iou(), 100 * matrices[0].mean_iou(),
            miou_change_text(matrices[0].mean_iou(), matrices[1].mean_iou()), 100 * overall,
            100 * report["agreement"]["worst_image"]))
        report["gate"], verdict = judge_compare(backends[0], backends[1], overall, matrices[0].mean_iou(),
                                                matrices[1].mean_iou(), log)
    if args.json:
        write_report(args.json, report, log)
    if agreements and not verdict.passed:
        raise WorkFailed("{} against --compare {}: {}".format(args.model, args.compare, verdict.text))
    return report


def main(argv=None):
    return run_main(lambda args: evaluate(args) and 0, build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
