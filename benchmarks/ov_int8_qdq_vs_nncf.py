"""OpenVINO INT8 two ways on the same calibration images: our QDQ model (bisenet-calibrate, what TensorRT
builds from) against NNCF's post-training quantization of the FP32 model, for speed (network-only median
on the CPU) and agreement with FP32 (argmax, on held-out images and the sample picture).

Usage: python benchmarks/ov_int8_qdq_vs_nncf.py MODEL.onnx MODEL.qdq.onnx IMAGES_DIR [calib_count] [runs]
(needs openvino and nncf; the QDQ model from: bisenet-calibrate MODEL.onnx --images IMAGES_DIR --count N)
"""

import glob
import os
import statistics
import sys
import time

import cv2
import numpy as np

from bisenet_deploy.core.comparison import SAMPLE_IMAGE
from bisenet_deploy.runtime.model_card import load_model_card
from bisenet_deploy.core.preprocess import preprocess


def compiled(core, model, hint, threads):
    config = {"INFERENCE_PRECISION_HINT": hint, "PERFORMANCE_HINT": "LATENCY", "NUM_STREAMS": "1",
              "INFERENCE_NUM_THREADS": str(threads)}
    return core.compile_model(model, "CPU", config).create_infer_request()


def median_ms(request, batch, runs):
    request.infer({0: batch})
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        request.infer({0: batch})
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def agreement(request, reference, batches):
    values = [float(np.mean(request.infer({0: b})[0].argmax(1) == reference.infer({0: b})[0].argmax(1)))
              for b in batches]
    return statistics.mean(values), min(values)


def main(onnx_path, qdq_path, images_dir, calib_count=50, runs=20, threads=2):
    import nncf
    import openvino as ov

    card = load_model_card(onnx_path)
    size = tuple(card["input_size"])
    paths = sorted(glob.glob(os.path.join(images_dir, "*")))
    calib = [preprocess(cv2.imread(p), size) for p in paths[:calib_count]]
    held_out = [preprocess(cv2.imread(p), size) for p in paths[calib_count:]] or calib[-5:]
    sample = preprocess(cv2.imread(SAMPLE_IMAGE), size)
    core = ov.Core()
    fp32 = compiled(core, core.read_model(onnx_path), "f32", threads)
    started = time.perf_counter()
    nncf_model = nncf.quantize(core.read_model(onnx_path), nncf.Dataset(calib), subset_size=len(calib))
    quantize_s = time.perf_counter() - started
    rest = "bf16" if "BF16" in core.get_property("CPU", "OPTIMIZATION_CAPABILITIES") else "f32"
    print("ResNet model {}, {} calibration images, {} held out, {} threads, {} runs; INT8 rest in {}".format(
        onnx_path, len(calib), len(held_out), threads, runs, rest))
    print("NNCF quantize took {:.1f} s".format(quantize_s))
    print("{:<22} {:>12} {:>22} {:>18}".format("model", "median ms", "held-out agreement", "sample agreement"))
    rows = [("FP32", fp32), ("BF16", compiled(core, core.read_model(onnx_path), "bf16", threads)),
            ("QDQ (bisenet-calibrate)", compiled(core, core.read_model(qdq_path), rest, threads)),
            ("NNCF PTQ", compiled(core, nncf_model, rest, threads))]
    for name, request in rows:
        mean, worst = agreement(request, fp32, held_out)
        print("{:<22} {:>12.2f} {:>14.3%} (min {:.3%}) {:>10.3%}".format(
            name, median_ms(request, sample, runs), mean, worst, agreement(request, fp32, [sample])[0]))


if __name__ == "__main__":
    arguments = sys.argv[1:]
    if len(arguments) < 3:
        sys.exit(__doc__)
    main(arguments[0], arguments[1], arguments[2], *[int(a) for a in arguments[3:5]])
