#!/usr/bin/env python3
"""Precision margins of the trained demo model on this CPU: argmax agreement and mIoU change against FP32.

Rows (each on the same held-out generated scenes; the drawn sample picture is shown, never judged):
  ONNX Runtime FP32       vs PyTorch FP32 (the exporter's exactness, on real pictures)
  ONNX FP16 copy          engines/fp16_onnx.py, what TensorRT 11 builds from, run in ONNX Runtime
  QDQ INT8                what bisenet-calibrate writes (its defaults), run in ONNX Runtime
  OpenVINO f32/bf16/f16   the CPU plugin's inference precisions this CPU runs (when openvino is installed)
  OpenVINO INT8           the QDQ model as --precision int8 runs it (the rest in BF16 where the CPU has it)
Reduced precisions are compared with ONNX Runtime FP32, and each row shows the precision gate's
verdict (core/precision_gate.py), whose defaults are set from this table measured on several CPU kinds.

    .venv/bin/python benchmarks/precision_margins.py [--count 100] [--calib-count 200] [--input-size 192x256]
                                                     [--json out.json]
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
from bisenet_deploy.core.precision_gate import judge  # noqa: E402
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


def openvino_runners(onnx_path, qdq_path):
    """{name: runner} for each inference precision the CPU plugin offers here, and INT8 from the QDQ model."""
    try:
        import openvino as ov
    except ImportError:
        return {}
    core = ov.Core()
    capabilities = [str(c).upper() for c in core.get_property("CPU", "OPTIMIZATION_CAPABILITIES")]
    runners = {}
    for name, capability, path, hint in (
            ("f32", "FP32", onnx_path, "f32"), ("bf16", "BF16", onnx_path, "bf16"), ("f16", "FP16", onnx_path, "f16"),
            ("int8", "INT8", qdq_path, "bf16" if "BF16" in capabilities else "f32")):
        if name != "f32" and capability not in capabilities:
            continue
        compiled = core.compile_model(core.read_model(path), "CPU", {"INFERENCE_PRECISION_HINT": hint})
        runners["OpenVINO " + name] = (lambda c: lambda batch: c(batch)[0])(compiled)
    return runners


def label_maps(runner, batches):
    return [np.asarray(runner(batch)).reshape(batch.shape[2:]) for batch in batches]


def summarize(name, reference, candidate, truths):
    """A table row: pooled and worst-image agreement, mIoU of both, the sample picture's agreement, and the
    gate's verdict with the labels and without them."""
    scene_ref, scene_out = reference[:-1], candidate[:-1]
    per_image = [float(np.mean(a == b)) for a, b in zip(scene_ref, scene_out)]
    pooled = float(np.mean(np.concatenate([(a == b).ravel() for a, b in zip(scene_ref, scene_out)])))
    ious = []
    for maps in (scene_ref, scene_out):
        cm = ConfusionMatrix(NUM_CLASSES)
        for truth, pred in zip(truths, maps):
            cm.update(truth, pred)
        ious.append(cm.mean_iou())
    precision = precision_of(name)
    return {"name": name, "agreement": pooled, "worst_image": min(per_image),
            "sample_picture": float(np.mean(reference[-1] == candidate[-1])),
            "miou_reference": ious[0], "miou": ious[1], "miou_delta": ious[1] - ious[0],
            "gate_with_labels": judge(precision, pooled, ious[0], ious[1]).passed,
            "gate_without_labels": judge(precision, pooled).passed, "gate_precision": precision}


def precision_of(name):
    for word, precision in (("INT8", "int8"), ("int8", "int8"), ("FP16", "fp16"), ("f16", "fp16"),
                            ("bf16", "bf16")):
        if word in name:
            return precision
    return "fp32"


def print_table(rows, count, size):
    print("precision margins of the demo model on {}, {} held-out scenes {}x{} (seed {}) + the sample "
          "picture".format(cpu_text(), count, size[0], size[1], HELD_OUT_SEED))
    header = "  {:<26} {:>10} {:>12} {:>15} {:>8} {:>11} {:>12}".format(
        "model (vs reference)", "agreement", "worst scene", "sample picture", "mIoU", "mIoU delta", "gate l/no-l")
    print(header)
    for row in rows:
        print("  {name:<26} {a:>9.3f}% {w:>11.3f}% {s:>14.3f}% {m:>8.4f} {d:>+11.4f} {g:>12}".format(
            name=row["name"], a=100 * row["agreement"], w=100 * row["worst_image"], s=100 * row["sample_picture"],
            m=row["miou"], d=row["miou_delta"], g="/".join("pass" if row[k] else "FAIL"
                                                           for k in ("gate_with_labels", "gate_without_labels"))))


def cpu_text():
    """The CPU's name and the instruction sets that decide its precisions."""
    name, flags = "this CPU", set()
    if os.path.isfile("/proc/cpuinfo"):
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name") and name == "this CPU":
                    name = line.split(":", 1)[1].strip()
                elif line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
    wanted = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "avx512_fp16", "amx_bf16", "amx_int8")
    return "{} ({})".format(name, ", ".join(flag for flag in wanted if flag in flags) or "no AVX2")


def make_models(work, calib_count, size):
    onnx_path = os.path.join(work, "demo.onnx")
    size_text = "{}x{}".format(*size)
    assert export_main([DEMO_CHECKPOINT, "-o", onnx_path, "--input-size", size_text]) == 0
    fp16_path = os.path.join(work, "demo.fp16.onnx")
    with open(onnx_path, "rb") as handle, open(fp16_path, "wb") as out:
        out.write(convert_to_fp16(handle.read()))
    # calibration scenes come from another seed than the held-out ones
    calib_dir = os.path.join(work, "calib")
    assert scenes_main([calib_dir, "--count", str(calib_count), "--size", size_text, "--seed", "7"]) == 0
    qdq_path = os.path.join(work, "demo.qdq.onnx")
    code = calibrate_main([onnx_path, "--images", os.path.join(calib_dir, "images"), "-o", qdq_path,
                           "--min-agreement", "0", "--max-miou-drop", "100", "--no-progress"])
    assert code == 0, "bisenet-calibrate failed"
    return onnx_path, fp16_path, qdq_path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100, help="held-out scenes (default 100)")
    parser.add_argument("--calib-count", type=int, default=200, help="calibration scenes (default 200)")
    parser.add_argument("--input-size", default="{}x{}".format(*DEMO_INPUT_SIZE),
                        help="export, calibrate and evaluate at HxW (default: the demo model's own)")
    parser.add_argument("--json", help="also write the rows as JSON")
    args = parser.parse_args(argv)
    size = tuple(int(v) for v in args.input_size.split("x"))
    work = tempfile.mkdtemp(prefix="margins-")
    onnx_path, fp16_path, qdq_path = make_models(work, args.calib_count, size)
    held = os.path.join(work, "held_out")
    size_text = args.input_size
    assert scenes_main([held, "--count", str(args.count), "--size", size_text, "--seed", str(HELD_OUT_SEED)]) == 0
    names = sorted(os.listdir(os.path.join(held, "images")))
    pictures = [cv2.imread(os.path.join(held, "images", n)) for n in names] + [cv2.imread(SAMPLE_IMAGE)]
    truths = [cv2.imread(os.path.join(held, "labels", n), cv2.IMREAD_UNCHANGED) for n in names]
    batches = [preprocess(p, size) for p in pictures]
    truths = [cv2.resize(t, size[::-1], interpolation=cv2.INTER_NEAREST) for t in truths]
    fp32 = label_maps(ort_runner(onnx_path), batches)
    rows = [summarize("ONNX Runtime FP32 (torch)", label_maps(torch_runner(DEMO_CHECKPOINT, size), batches),
                      fp32, truths)]
    candidates = [("ONNX FP16 copy (ORT)", ort_runner(fp16_path)), ("QDQ INT8 (ORT)", ort_runner(qdq_path))]
    candidates += sorted(openvino_runners(onnx_path, qdq_path).items())
    for name, runner in candidates:
        rows.append(summarize(name, fp32, label_maps(runner, batches), truths))
    print_table(rows, args.count, size)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(rows, handle, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
