#!/usr/bin/env python3
"""Precision margins of the trained demo model: argmax agreement and mIoU change against FP32.

Rows (each on the same held-out generated scenes, and on the built-in sample picture that
`bisenet-build-engine --verify` judges):
  ONNX Runtime FP32       vs PyTorch FP32 (the exporter's exactness, on real pictures)
  ONNX FP16 copy          engines/fp16_onnx.py, what TensorRT 11 builds from, run in ONNX Runtime
  QDQ INT8                what bisenet-calibrate writes (its defaults), run in ONNX Runtime
  OpenVINO f32/bf16/f16   the CPU plugin's inference precisions this CPU runs (when openvino is installed)
Reduced precisions are compared with ONNX Runtime FP32. The thresholds in calib/main.py
(DEFAULT_MIN_AGREEMENT) and engines/verify.py (MIN_AGREEMENT) are set from this table.

    .venv/bin/python benchmarks/precision_margins.py [--count 100] [--calib-count 200] [--json out.json]
"""

import argparse
import json
import os
import sys
import tempfile

import cv2
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bisenet_deploy.calib.main import main as calibrate_main  # noqa: E402
from bisenet_deploy.core.comparison import SAMPLE_IMAGE  # noqa: E402
from bisenet_deploy.engines.fp16_onnx import convert_to_fp16  # noqa: E402
from bisenet_deploy.export.main import main as export_main  # noqa: E402
from bisenet_deploy.core.metrics import ConfusionMatrix  # noqa: E402
from bisenet_deploy.core.preprocess import preprocess  # noqa: E402
from bisenet_deploy.scenes.demo_model import DEMO_CHECKPOINT, DEMO_INPUT_SIZE, HELD_OUT_SEED  # noqa: E402
from bisenet_deploy.scenes.main import main as scenes_main  # noqa: E402

NUM_CLASSES = 37


def ort_runner(path):
    import onnxruntime as ort
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return lambda batch: session.run(None, {name: batch})[0]


def torch_runner(checkpoint, size):
    import torch
    import torch.nn.functional as F
    from bisenet_deploy.export.checkpoint import load_checkpoint
    model = load_checkpoint(checkpoint).model

    def run(batch):
        with torch.no_grad():
            logits = F.interpolate(model(torch.from_numpy(batch)), size=size, mode="bilinear", align_corners=True)
        return logits.argmax(1).numpy().astype(np.int32)
    return run


def openvino_runners(onnx_path):
    """{name: runner} for each inference precision the CPU plugin offers here."""
    try:
        import openvino as ov
    except ImportError:
        return {}
    core = ov.Core()
    model = core.read_model(onnx_path)
    capabilities = core.get_property("CPU", "OPTIMIZATION_CAPABILITIES")
    runners = {}
    for precision in ("f32", "bf16", "f16"):
        if precision != "f32" and precision.upper() not in [c.upper() for c in capabilities]:
            continue
        compiled = core.compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": precision})
        runners["OpenVINO " + precision] = (lambda c: lambda batch: c(batch)[0])(compiled)
    return runners


def label_maps(runner, batches):
    return [np.asarray(runner(batch)).reshape(batch.shape[2:]) for batch in batches]


def summarize(name, reference, candidate, truths):
    """A table row: pooled and worst-image agreement, mIoU of both, the sample picture's agreement."""
    scene_ref, scene_out = reference[:-1], candidate[:-1]
    per_image = [float(np.mean(a == b)) for a, b in zip(scene_ref, scene_out)]
    pooled = float(np.mean(np.concatenate([(a == b).ravel() for a, b in zip(scene_ref, scene_out)])))
    ious = []
    for maps in (scene_ref, scene_out):
        cm = ConfusionMatrix(NUM_CLASSES)
        for truth, pred in zip(truths, maps):
            cm.update(truth, pred)
        ious.append(cm.mean_iou())
    return {"name": name, "agreement": pooled, "worst_image": min(per_image),
            "sample_picture": float(np.mean(reference[-1] == candidate[-1])),
            "miou_reference": ious[0], "miou": ious[1], "miou_delta": ious[1] - ious[0]}


def print_table(rows, count):
    print("precision margins of the demo model, {} held-out scenes {}x{} (seed {}) + the sample picture".format(
        count, DEMO_INPUT_SIZE[0], DEMO_INPUT_SIZE[1], HELD_OUT_SEED))
    header = "  {:<26} {:>10} {:>12} {:>15} {:>8} {:>11}".format(
        "model (vs reference)", "agreement", "worst scene", "sample picture", "mIoU", "mIoU delta")
    print(header)
    for row in rows:
        print("  {name:<26} {a:>9.3f}% {w:>11.3f}% {s:>14.3f}% {m:>8.4f} {d:>+11.4f}".format(
            name=row["name"], a=100 * row["agreement"], w=100 * row["worst_image"], s=100 * row["sample_picture"],
            m=row["miou"], d=row["miou_delta"]))


def make_models(work, calib_count):
    onnx_path = os.path.join(work, "demo.onnx")
    size_text = "{}x{}".format(*DEMO_INPUT_SIZE)
    assert export_main([DEMO_CHECKPOINT, "-o", onnx_path, "--input-size", size_text]) == 0
    fp16_path = os.path.join(work, "demo.fp16.onnx")
    with open(onnx_path, "rb") as handle, open(fp16_path, "wb") as out:
        out.write(convert_to_fp16(handle.read()))
    # calibration scenes come from another seed than the held-out ones
    calib_dir = os.path.join(work, "calib")
    assert scenes_main([calib_dir, "--count", str(calib_count), "--size", size_text, "--seed", "7"]) == 0
    qdq_path = os.path.join(work, "demo.qdq.onnx")
    code = calibrate_main([onnx_path, "--images", os.path.join(calib_dir, "images"), "-o", qdq_path,
                           "--min-agreement", "0", "--no-progress"])
    assert code == 0, "bisenet-calibrate failed"
    return onnx_path, fp16_path, qdq_path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100, help="held-out scenes (default 100)")
    parser.add_argument("--calib-count", type=int, default=200, help="calibration scenes (default 200)")
    parser.add_argument("--json", help="also write the rows as JSON")
    args = parser.parse_args(argv)
    work = tempfile.mkdtemp(prefix="margins-")
    onnx_path, fp16_path, qdq_path = make_models(work, args.calib_count)
    held = os.path.join(work, "held_out")
    size_text = "{}x{}".format(*DEMO_INPUT_SIZE)
    assert scenes_main([held, "--count", str(args.count), "--size", size_text, "--seed", str(HELD_OUT_SEED)]) == 0
    names = sorted(os.listdir(os.path.join(held, "images")))
    pictures = [cv2.imread(os.path.join(held, "images", n)) for n in names] + [cv2.imread(SAMPLE_IMAGE)]
    truths = [cv2.imread(os.path.join(held, "labels", n), cv2.IMREAD_UNCHANGED) for n in names]
    batches = [preprocess(p, DEMO_INPUT_SIZE) for p in pictures]
    truths = [cv2.resize(t, DEMO_INPUT_SIZE[::-1], interpolation=cv2.INTER_NEAREST) for t in truths]
    fp32 = label_maps(ort_runner(onnx_path), batches)
    rows = [summarize("ONNX Runtime FP32 (torch)", label_maps(torch_runner(DEMO_CHECKPOINT, DEMO_INPUT_SIZE), batches),
                      fp32, truths)]
    candidates = [("ONNX FP16 copy (ORT)", ort_runner(fp16_path)), ("QDQ INT8 (ORT)", ort_runner(qdq_path))]
    candidates += sorted(openvino_runners(onnx_path).items())
    for name, runner in candidates:
        rows.append(summarize(name, fp32, label_maps(runner, batches), truths))
    print_table(rows, args.count)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(rows, handle, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
