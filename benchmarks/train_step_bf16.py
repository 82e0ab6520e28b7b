#!/usr/bin/env python3
"""Does bfloat16 autocast speed up the demo model's training step on this CPU? Median seconds per
SGD step (forward with the auxiliary heads, loss, backward, update) in float32 and under bf16
autocast, interleaved so both see the same machine load. Each mode trains its own copy of the model:
one model stepping in both modes would make oneDNN re-lay-out the weights at every switch, a cost
no real training run pays.

    nice -n 5 .venv/bin/python benchmarks/train_step_bf16.py [--steps 8] [--batch 8] [--crop 128x176]
"""

import argparse
import os
import platform
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts"))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import train_demo_model as train  # noqa: E402
from bisenet_deploy.export.families.wali_net import build_model  # noqa: E402


def one_step(model, optimizer, x, y, bf16):
    started = time.perf_counter()
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        outputs = train.forward_with_heads(model, x)
    loss = train.seg_loss(outputs, y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return time.perf_counter() - started


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--crop", default="128x176")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    height, width = train.hw(args.crop)
    models = {bf16: build_model("resnet18", 16, 37, "deconv").train() for bf16 in (False, True)}
    optimizers = {bf16: torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9) for bf16, model in models.items()}
    x = torch.randn(args.batch, 3, height, width)
    y = torch.randint(0, 37, (args.batch, height, width))
    times = {False: [], True: []}
    for step in range(args.steps + 1):
        for bf16 in (False, True):
            seconds = one_step(models[bf16], optimizers[bf16], x, y, bf16)
            if step:  # the first step of each warms up oneDNN's kernels
                times[bf16].append(seconds)
    fp32, bf16 = statistics.median(times[False]), statistics.median(times[True])
    print("{} ({}), torch {}, {} threads, batch {} crop {}: bf16 kernels {}".format(
        platform.processor() or platform.machine(), os.cpu_count(), torch.__version__, args.threads, args.batch,
        args.crop, "available" if train.bf16_available() else "NOT available"))
    print("  float32       {:.3f} s/step (min {:.3f}, max {:.3f})".format(fp32, min(times[False]), max(times[False])))
    print("  bf16 autocast {:.3f} s/step (min {:.3f}, max {:.3f})  speed-up x{:.2f}".format(
        bf16, min(times[True]), max(times[True]), fp32 / bf16))
    return 0


if __name__ == "__main__":
    sys.exit(main())
