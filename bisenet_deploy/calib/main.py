"""bisenet-calibrate: an FP32 ONNX -> an explicit-INT8 (QDQ) ONNX for TensorRT 8.0+ (11 included),
calibrated on your images, then checked against the FP32 model with ONNX Runtime before it is written."""

import argparse
import os
import sys

from .. import __version__
from ..core.atomic import atomic_path
from ..core.cli import ArgumentParser, add_alias, add_common_flags, run_main
from ..core.precision_gate import MAX_MIOU_DROP_POINTS, MIN_AGREEMENT, verdict_record
from ..core.errors import InputError, WorkFailed
from ..core.lazy import lazy_import
from ..core.leftovers import scratch_folder
from ..core.outpaths import check_output, refuse_same_file
from ..core.qdq_source import QDQ_SUFFIX, source_record
from ..runtime.bags.images import open_bag_images
from ..runtime.image_sets import dataset_folders, find_labels
from ..runtime.precision_check import format_comparison, judge_comparison
from .compare import compare_models, comparison_record
from ..core.wording import count
from .images import MIN_IMAGES, SUGGESTED_IMAGES, CalibrationStream
from .qdq import METHODS, card_for_calibration, check_quantizable, describe_summary, load_onnx, model_batches, qdq_summary, quantize_to_qdq, quantized_op_types, record_calibration

DEFAULT_COUNT = SUGGESTED_IMAGES
DEFAULT_EVAL_COUNT = 100
DEFAULT_MIN_AGREEMENT = MIN_AGREEMENT["int8"]
# Fewer held-out images than this measure too little; compare on calibration images instead.
MIN_HELD_OUT = 10

EPILOG = """calibration images (--calib-images):
  DIR           every image in the folder             --calib-images calib/
  SCENES        a bisenet-scenes folder (images/ + labels/): its pictures, and its labels for the check
  GLOB          the images the pattern matches        --calib-images 'SUNRGBD/train/image/*.jpg'
  VIDEO         frames of a video (--frame-step K)    --calib-images walk.mp4 --frame-step 10
  --rosbag BAG --topic T   a recorded camera topic    --rosbag run.bag --topic /camera/rgb/image_raw
  --calib-count picks a seeded random subset; the images not picked are held out for the FP32 check.
  At least {min_images} usable images are needed. With fewer than {held_out} left out of the subset, the
  FP32 check runs on calibration images instead (the output says so; that agreement is optimistic).
examples:
  bisenet-calibrate model.onnx --calib-images calib/                      -> model.qdq.onnx
  bisenet-calibrate model.onnx --calib-images calib/ --labels calib_labels/   also mIoU of FP32 and INT8
  bisenet-build-engine model.qdq.onnx --int8                              on an INT8-capable Jetson/GPU
"""


def build_parser():
    parser = ArgumentParser(prog="bisenet-calibrate", description=__doc__,
                            epilog=EPILOG.format(min_images=MIN_IMAGES, held_out=MIN_HELD_OUT),
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="FP32 ONNX (from bisenet-export)")
    parser.add_argument("-o", "--output", help="QDQ ONNX to write (default: MODEL.qdq.onnx next to the model)")
    images = parser.add_argument_group("calibration images")
    images.add_argument("--calib-images", metavar="DIR|GLOB|VIDEO", help="folder, glob or video (or --rosbag)")
    images.add_argument("--rosbag", metavar="BAG", help="instead of --calib-images: a ROS 1/2 bag, with --topic")
    images.add_argument("--topic", help="the bag's image topic (with --rosbag)")
    images.add_argument("--calib-count", type=int, default=DEFAULT_COUNT, metavar="N",
                        help="use at most N images (default: {}, NVIDIA's suggestion; at least {} usable "
                             "images are needed)".format(DEFAULT_COUNT, MIN_IMAGES))
    # the names before bisenet-build-engine and bisenet-calibrate shared theirs; kept for one release
    add_alias(images, "--images", "--calib-images")
    add_alias(images, "--count", "--calib-count", type=int)
    images.add_argument("--batch-size", type=int, metavar="N", help="images per batch (default: the model's batch)")
    images.add_argument("--seed", type=int, default=0, help="seed of the random image selection (default: 0)")
    images.add_argument("--frame-step", type=int, default=1, metavar="K",
                        help="for a video, use every K-th frame (default: 1)")
    images.add_argument("--no-progress", action="store_true", help="no progress bar")
    quant = parser.add_argument_group("quantization (INT8, symmetric, as TensorRT requires)")
    quant.add_argument("--method", choices=METHODS, default="entropy",
                       help="how activation ranges are chosen (default: entropy, as TensorRT's EntropyCalibrator2)")
    quant.add_argument("--per-channel", action="store_true",
                       help="one weight scale per output channel (converts the model to opset 13; default: per tensor)")
    quant.add_argument("--quantize-deconv", action="store_true",
                       help="quantize ConvTranspose too; TensorRT before 8.5 (JetPack 4.x and 5.0) cannot build INT8 "
                            "deconvolution, so the default leaves it in float")
    check = parser.add_argument_group("check against FP32 (ONNX Runtime, CPU)")
    check.add_argument("--labels", metavar="DIR",
                       help="ground-truth PNGs named like the images (class index per pixel, 255 = ignore): "
                            "also report the mIoU of both models")
    check.add_argument("--eval-count", type=int, default=DEFAULT_EVAL_COUNT, metavar="N",
                       help="compare on at most N images (default: {})".format(DEFAULT_EVAL_COUNT))
    check.add_argument("--max-miou-drop", type=float, default=MAX_MIOU_DROP_POINTS, metavar="POINTS",
                       help="with labels, the judge: largest mIoU drop against FP32, in points, for the model to be "
                            "written (default: {})".format(MAX_MIOU_DROP_POINTS))
    check.add_argument("--min-agreement", type=float, default=DEFAULT_MIN_AGREEMENT, metavar="F",
                       help="without labels, the judge: lowest pixel agreement (0-1) with FP32 on the held-out "
                            "images for the model to be written (default: {})".format(DEFAULT_MIN_AGREEMENT))
    add_common_flags(parser)
    return parser


def default_output(model_path):
    # type: (str) -> str
    stem = model_path[:-len(".onnx")] if model_path.lower().endswith(".onnx") else model_path
    return stem + QDQ_SUFFIX


def validate_args(args):
    if (args.calib_images is None) == (args.rosbag is None) or (args.rosbag is None) != (args.topic is None):
        raise InputError("give the calibration images: --calib-images DIR|GLOB|VIDEO, or --rosbag BAG --topic T")
    for name in ("calib_count", "batch_size", "eval_count", "frame_step"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise InputError("--{} must be at least 1, got {}".format(name.replace("_", "-"), value))
    if not 0.0 <= args.min_agreement <= 1.0:
        raise InputError("--min-agreement must be between 0 and 1, got {}".format(args.min_agreement))
    if not 0.0 <= args.max_miou_drop <= 100.0:
        raise InputError("--max-miou-drop is in points, between 0 and 100, got {}".format(args.max_miou_drop))


def pick_batch(card, requested, model_path):
    """The calibration batch: what was asked for where the model takes it, else the smallest it takes
    (its fixed batch; 1 for a dynamic or symbolic batch axis)."""
    batches = model_batches(card)
    if requested is None:
        return batches[0] if batches else 1
    if batches is not None and not batches[0] <= requested <= batches[1]:
        if batches[0] == batches[1]:
            raise InputError("--batch-size {}: {} takes batches of exactly {}; re-export it with --batch {} or drop "
                             "--batch-size".format(requested, model_path, batches[0], requested))
        raise InputError("--batch-size {}: {} takes batches of {} to {} (its dynamic batch axis); re-export it with "
                         "--dynamic-batch {} or pick a smaller --batch-size".format(
                             requested, model_path, batches[0], batches[1], requested))
    return requested


def comparison_images(stream, eval_count):
    """(keys, kind): held-out images when enough were left out of calibration, else calibration images."""
    if len(stream.unused) >= min(eval_count, MIN_HELD_OUT):
        return stream.unused[:eval_count], "held-out"
    return stream.selected[:eval_count], "calibration"


def _check_labels_match(stream, keys, labels, labels_dir):
    names = [stream.source.name(key) for key in keys]
    if not any(name in labels for name in names):
        raise InputError("--labels {}: none of the {} images to compare on has a label there (e.g. {}.png)".format(
            labels_dir, len(names), names[0]))


def _settings_text(args, batch):
    return "{} calibration, {} INT8 weights, quantizing {}{}, batch {}".format(
        args.method, "per-channel" if args.per_channel else "per-tensor",
        " and ".join(quantized_op_types(args.quantize_deconv)),
        "" if args.quantize_deconv else " (ConvTranspose stays float for TensorRT < 8.5)", batch)


def calibration_entry(args, stream, summary, result, kind, verdict):
    """The `calibration` record stored in the QDQ model's card."""
    ort = lazy_import("onnxruntime", "making a QDQ INT8 model")
    op_types = quantized_op_types(args.quantize_deconv)
    return {
        "method": args.method,
        "per_channel": bool(args.per_channel),
        "activations": "int8 symmetric per-tensor",
        "weights": "int8 symmetric {}".format("per-channel" if args.per_channel else "per-tensor"),
        "images": {"source": args.calib_images or "{} {}".format(args.rosbag, args.topic), "used": stream.used,
                   "skipped": stream.skipped,
                   "dropped": stream.dropped, "batch_size": stream.batch_size},
        "seed": args.seed,
        "count": args.calib_count,
        "source_model": source_record(args.model),  # what --verify compares the INT8 model with
        "quantized_op_types": op_types,
        "quantized_nodes": sum(summary[op]["quantized"] for op in ("Conv", "ConvTranspose")),
        "float_nodes": {op: summary[op]["total"] - summary[op]["quantized"] for op in ("Conv", "ConvTranspose")},
        "qdq_nodes": {op: summary[op] for op in ("QuantizeLinear", "DequantizeLinear")},
        "agreement": comparison_record(result, kind, verdict_record(verdict)),
        "min_agreement": args.min_agreement,
        "max_miou_drop": args.max_miou_drop,
        "onnxruntime": ort.__version__,
        "tool_version": __version__,
    }


def calibrate(args, out=print):
    onnx = lazy_import("onnx", "making a QDQ INT8 model")
    validate_args(args)
    output = args.output or default_output(args.model)
    check_output(output, "--output")  # before the calibration, not after
    refuse_same_file(output, "--output", {"MODEL": args.model, "--calib-images": args.calib_images,
                                          "--labels": args.labels, "--rosbag": args.rosbag})
    model = load_onnx(args.model)
    card, has_card = card_for_calibration(model, args.model)
    check_quantizable(model, args.model, args.quantize_deconv)
    batch = pick_batch(card, args.batch_size, args.model)
    labels_dir = args.labels
    if args.calib_images and not labels_dir:
        args.calib_images, labels_dir = dataset_folders(args.calib_images)
    labels = find_labels(labels_dir) if labels_dir else None
    if labels is not None and not card.get("num_classes"):
        raise InputError("--labels needs the number of classes, which {} (no bisenet-deploy card) does not "
                         "state".format(args.model))
    spec = open_bag_images(args.rosbag, args.topic, args.frame_step) if args.rosbag else args.calib_images
    stream = CalibrationStream(spec, card, batch, args.calib_count, args.seed,
                               progress=not args.no_progress,
                               frame_step=args.frame_step)
    out("calibration images: {}".format(stream.describe()))
    if labels is not None:  # before the long part, so a wrong folder fails now
        _check_labels_match(stream, comparison_images(stream, args.eval_count)[0], labels, labels_dir)
    out("quantizing: {}".format(_settings_text(args, batch)))
    with scratch_folder("bisenet-calibrate.") as scratch:
        qdq_path = os.path.join(scratch, "model.qdq.onnx")
        opset = quantize_to_qdq(model, stream, qdq_path, args.method, args.per_channel, args.quantize_deconv)
        out("calibrated on {} ({} unreadable skipped, {} left out to fill whole batches)".format(
            count(stream.used, "image"), stream.skipped, stream.dropped))
        qdq_model = onnx.load(qdq_path)
        summary = qdq_summary(qdq_model)
        out("quantized: {}".format(describe_summary(summary)))
        keys, kind = comparison_images(stream, args.eval_count)
        check = CalibrationStream(stream.source, card, min_images=1, progress=stream.progress, keys=keys,
                                  progress_label="comparing with FP32")
        result = compare_models(args.model, qdq_path, card, check, labels, batch)
        out("QDQ INT8 vs FP32 on {} {} images (ONNX Runtime, CPU):".format(result.images, kind))
        out(format_comparison(result))
        verdict = judge_comparison("int8", result, args.max_miou_drop, args.min_agreement)
        if verdict.warning:
            out("warning: {}".format(verdict.warning))
        if not verdict.passed:
            out("FAILED | {}".format(verdict.text))
            escape = "--max-miou-drop 100" if verdict.criterion == "miou_drop" else "--min-agreement 0"
            raise WorkFailed("the INT8 model costs too much against FP32 ({}); nothing written. Try more or more "
                             "representative images, --method percentile or minmax, --per-channel; {} writes it "
                             "anyway".format(verdict.text, escape))
        out("PASSED | {}".format(verdict.text))
        entry = calibration_entry(args, stream, summary, result, kind, verdict)
        record_calibration(qdq_model, card, has_card, entry, opset)
        with atomic_path(output) as tmp:
            onnx.save(qdq_model, tmp)
    out("wrote {}".format(output))
    return 0


def main(argv=None):
    return run_main(calibrate, build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
