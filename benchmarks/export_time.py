"""Times `bisenet-export` of a ResNet-18/32 seed checkpoint at 480x640 (load, export, simplify, lint,
verify) over several runs and prints the median per stage. Usage: python benchmarks/export_time.py [runs]"""

import statistics
import sys
import tempfile
import time
import os

from bisenet_deploy.export.demo import write_demo_checkpoint
from bisenet_deploy.export.main import build_parser, export


def main(runs=3):
    with tempfile.TemporaryDirectory() as tmp:
        ckpt = write_demo_checkpoint(os.path.join(tmp, "res18_inp32.pth"), "resnet18", 32)
        totals, stages = [], {}
        for _ in range(runs):
            args = build_parser().parse_args([ckpt, "-o", os.path.join(tmp, "m.onnx")])
            started = time.time()
            card = export(args, log=lambda *a: None)
            totals.append(time.time() - started)
            for name, seconds in card["timings_s"].items():
                stages.setdefault(name, []).append(seconds)
    print("bisenet-export resnet18/32 480x640 labels head, {} runs (median s):".format(runs))
    for name, values in stages.items():
        print("  {:<9} {:.2f}".format(name, statistics.median(values)))
    print("  wall      {:.2f} (min {:.2f}, max {:.2f})".format(statistics.median(totals), min(totals), max(totals)))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
