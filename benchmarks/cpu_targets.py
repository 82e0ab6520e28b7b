"""Issue 20's CPU speed targets, measured by bisenet-bench in one interleaved run and checked from its JSON:

- every OpenVINO precision at 80 % or more of its MatMul limit (limit_share);
- OpenVINO INT8 at 4x or more of ONNX Runtime FP32, network-only, on ResNet-18/32 at 512x512;
- pipelined at 90 % or more of network-only (pipelined_share), every column.

The models: the trained demo net exported at 512x512 with the logits head, and ResNet-18/32 with random
weights at 512x512 (exported by the bench); OV INT8 from QDQ models calibrated by the bench on 40
generated 480x640 scenes. Reports, never asserts; run it on a quiet machine (the bench says when the
host was busy). With a JSON from an earlier run it only checks that file.

Usage: python benchmarks/cpu_targets.py OUT_DIR [--iters N] [--warmup N] [--threads N]
       python benchmarks/cpu_targets.py --check speed.json
"""

import argparse
import json
import os
import subprocess
import sys

DEMO = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "bisenet_deploy", "data",
                    "scenes_res18_inp16.pth")
MIN_LIMIT_SHARE = 0.8
MIN_INT8_OVER_ORT = 4.0
MIN_PIPELINED_SHARE = 0.9


def command(module, *argv):
    subprocess.check_call([sys.executable, "-m", module] + [str(a) for a in argv])


def measure(out, iters, warmup, threads):
    """Export, generate the calibration scenes, run the bench; returns the JSON path."""
    onnx_path, scenes = os.path.join(out, "demo512.onnx"), os.path.join(out, "scenes")
    if not os.path.isfile(onnx_path):
        command("bisenet_deploy.export.main", DEMO, "--input-size", "512x512", "--head", "logits", "-o", onnx_path)
    if not os.path.isdir(scenes):
        command("bisenet_deploy.scenes.main", scenes, "--count", 40, "--size", "480x640", "--seed", 7)
    speed = os.path.join(out, "speed.json")
    command("bisenet_deploy.bench.main", "--models", onnx_path, "resnet18:32", "--input-size", "512x512",
            "--backends", "ort,openvino", "--calib-images", os.path.join(scenes, "images"), "--threads", threads,
            "--iters", iters, "--warmup", warmup, "--json", speed, "--markdown", os.path.join(out, "speed.md"),
            "--csv", os.path.join(out, "speed.csv"))
    return speed


def verdict(value, least):
    return "{} (target {})".format("met" if value is not None and value >= least else "MISSED", least)


def check(speed):
    with open(speed) as handle:
        records = json.load(handle)
    print("\nIssue 20 targets, from {}".format(speed))
    for r in records:
        line = "{} {}: {:.2f} ms network, {} GFLOP/s, {} of {}; pipelined {:.0%} of network-only: {}".format(
            r["model"], r["column"], r["latency_ms"], r.get("gflops"),
            "/" if r.get("limit_share") is None else "{:.0%}".format(r["limit_share"]), r.get("limit_source"),
            r["pipelined_share"], verdict(r["pipelined_share"], MIN_PIPELINED_SHARE))
        if r["backend"] == "openvino":
            line += "; limit share: " + verdict(r.get("limit_share"), MIN_LIMIT_SHARE)
        print(line)
    by_column = dict((r["column"], r) for r in records if r["model"] == "resnet18:32")
    if "OV INT8" in by_column and "ort CPU" in by_column:
        ratio = by_column["ort CPU"]["latency_ms"] / by_column["OV INT8"]["latency_ms"]
        print("resnet18:32 OV INT8 / ort CPU: {:.2f}x: {}".format(ratio, verdict(ratio, MIN_INT8_OVER_ORT)))
    busy = (records[0].get("environment") or {}).get("busy_host") if records else None
    print("busy host: {}".format(busy) if busy else "host quiet (load and round spread within bounds)")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", nargs="?", help="folder for the models, scenes and the bench's outputs")
    parser.add_argument("--check", metavar="JSON", help="only check an earlier run's JSON")
    parser.add_argument("--iters", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    if not args.check and not args.out:
        parser.error("give OUT_DIR or --check JSON")
    if args.out:
        os.makedirs(args.out, exist_ok=True)
    check(args.check or measure(args.out, args.iters, args.warmup, args.threads))


if __name__ == "__main__":
    main()
