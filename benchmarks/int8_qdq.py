"""QDQ INT8 (bisenet-calibrate) against FP32 under ONNX Runtime on this CPU: median network latency of
each after warm-up, the speed ratio, and the pixel agreement / max abs diff bisenet-calibrate measured.
Reports, never asserts.

Usage: python benchmarks/int8_qdq.py [--threads N] [--size HxW] [--calib-count N] [--eval-count N] [--runs N]

Builds a random-weight ResNet-18/32 checkpoint (speed does not depend on the weights; agreement does,
so read it as a property of this demo network, not of a trained one), exports it with the logits head,
and calibrates on synthetic scenes cut from bisenet_deploy/data/sample.jpg (random crops, flips,
brightness). The QDQ model is shaped for TensorRT (float weights behind Q/DQ, float bias, only Conv
inputs quantized), so ONNX Runtime's CPU kernels mostly run it as simulated INT8: the speed ratio here
says nothing about TensorRT's INT8 speed, only what the same file costs on a CPU.
"""

import argparse
import json
import os
import platform
import statistics
import tempfile
import time

import cv2
import numpy as np
import onnx
import onnxruntime

from bisenet_deploy.calib.main import main as calibrate_main
from bisenet_deploy.core.cli import parse_size
from bisenet_deploy.export.demo import write_demo_checkpoint
from bisenet_deploy.export.main import main as export_main
from bisenet_deploy.core.modelcard import MODEL_CARD_KEY
from bisenet_deploy.runtime.backends.ort import CPU_PROVIDER, session_from_onnx
from bisenet_deploy.core.preprocess import preprocess

SAMPLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "bisenet_deploy", "data", "sample.jpg")


def write_scenes(folder, count, seed=0):
    """`count` 480x640 JPEGs: random crops of the sample photo, flipped half the time, brightness 0.6-1.4x."""
    photo = cv2.imread(SAMPLE)
    height, width = photo.shape[:2]
    rng = np.random.RandomState(seed)
    for index in range(count):
        crop_h, crop_w = rng.randint(height // 2, height + 1), rng.randint(width // 2, width + 1)
        top, left = rng.randint(0, height - crop_h + 1), rng.randint(0, width - crop_w + 1)
        image = cv2.resize(photo[top:top + crop_h, left:left + crop_w], (640, 480), interpolation=cv2.INTER_LINEAR)
        if rng.rand() < 0.5:
            image = image[:, ::-1]
        image = np.clip(image.astype(np.float32) * rng.uniform(0.6, 1.4), 0, 255).astype(np.uint8)
        cv2.imwrite(os.path.join(folder, "scene{:04d}.jpg".format(index)), image)


def latencies_ms(model_paths, x, threads, warmup, runs):
    """{path: [ms per run]}; the models take turns run by run, so background load hits both alike."""
    sessions = dict((path, session_from_onnx(path, threads, [CPU_PROVIDER])) for path in model_paths)
    feeds = dict((path, {session.get_inputs()[0].name: x}) for path, session in sessions.items())
    times = dict((path, []) for path in model_paths)
    for run in range(warmup + runs):
        for path in model_paths:
            started = time.perf_counter()
            sessions[path].run(None, feeds[path])
            if run >= warmup:
                times[path].append(1000.0 * (time.perf_counter() - started))
    return times


def cpu_name():
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def spread(times):
    return "median {:.1f} ms (min {:.1f}, max {:.1f})".format(statistics.median(times), min(times), max(times))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=2, help="ONNX Runtime intra-op threads (default 2)")
    parser.add_argument("--size", type=parse_size, default=(512, 512), help="network input HxW (default 512x512)")
    parser.add_argument("--calib-count", type=int, default=48, help="calibration images (default 48)")
    parser.add_argument("--eval-count", type=int, default=16, help="held-out comparison images (default 16)")
    parser.add_argument("--method", default="entropy", choices=("entropy", "percentile", "minmax"))
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    height, width = args.size
    with tempfile.TemporaryDirectory() as tmp:
        checkpoint = write_demo_checkpoint(os.path.join(tmp, "res18_inp32.pth"), "resnet18", 32)
        fp32_path = os.path.join(tmp, "res18.onnx")
        assert export_main([checkpoint, "-o", fp32_path, "--input-size", "{}x{}".format(height, width),
                            "--head", "logits"]) == 0
        images = os.path.join(tmp, "scenes")
        os.makedirs(images)
        write_scenes(images, args.calib_count + args.eval_count)
        qdq_path = os.path.join(tmp, "res18.qdq.onnx")
        started = time.time()
        assert calibrate_main([fp32_path, "--images", images, "--count", str(args.calib_count), "-o", qdq_path,
                               "--eval-count", str(args.eval_count), "--method", args.method,
                               "--min-agreement", "0", "--no-progress"]) == 0
        calibrate_s = time.time() - started
        card = json.loads(dict((p.key, p.value) for p in onnx.load(qdq_path).metadata_props)[MODEL_CARD_KEY])
        x = preprocess(cv2.imread(SAMPLE), (height, width))
        load_before = os.getloadavg()[0]
        times = latencies_ms([fp32_path, qdq_path], x, args.threads, args.warmup, args.runs)
        fp32, int8 = times[fp32_path], times[qdq_path]
    agreement = card["calibration"]["agreement"]
    print()
    print("QDQ INT8 vs FP32, ONNX Runtime {} CPU, {} threads, {} ({} cores), ResNet-18/32 random weights, "
          "{}x{} logits head".format(onnxruntime.__version__, args.threads, cpu_name(), os.cpu_count(), height, width))
    calibration = card["calibration"]
    print("  calibration: {} images, {}, {} weights; {} {} nodes quantized, ConvTranspose left float: {}; "
          "bisenet-calibrate took {:.1f} s".format(
              calibration["images"]["used"], args.method, calibration["weights"], calibration["quantized_nodes"],
              "+".join(calibration["quantized_op_types"]), calibration["float_nodes"]["ConvTranspose"], calibrate_s))
    print("  FP32      {}".format(spread(fp32)))
    print("  QDQ INT8  {}".format(spread(int8)))
    print("  speed ratio FP32/INT8 latency: {:.2f}x ({} warm-up + {} timed runs each, alternating; "
          "1-min load average {:.2f} before timing)".format(
              statistics.median(fp32) / statistics.median(int8), args.warmup, args.runs, load_before))
    print("  agreement on {} held-out images: {:.3f}% of pixels (worst image {:.3f}%), max abs diff of logits {:.4g}".format(
        agreement["count"], 100 * agreement["pixel_agreement"], 100 * agreement["worst_image_agreement"],
        agreement["max_abs_diff"]))


if __name__ == "__main__":
    main()
