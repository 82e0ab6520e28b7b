"""The video pipeline (decode -> run -> overlay -> encode) against network-only speed, and resident
memory over a long run. Usage: python benchmarks/video_pipeline.py [frames] [HxW] [threads]

Builds a ResNet-18/32 model with random weights (speed does not depend on weights), writes a video of
`frames` frames, runs `bisenet-run --video ... --output ....mp4 --headless`, and samples RSS every frame.
"""

import os
import resource
import sys
import tempfile

import cv2
import numpy as np

from bisenet_deploy.export.demo import write_demo_checkpoint
from bisenet_deploy.export.main import main as export_main
from bisenet_deploy.runtime import run as run_module
from bisenet_deploy.runtime.segmenter import Segmenter


def rss_mb():
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * resource.getpagesize() / 1e6


def main(frames=1000, size="512x512", threads=2):
    height, width = (int(v) for v in size.split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        ckpt = write_demo_checkpoint(os.path.join(tmp, "r18.pth"), "resnet18", 32)
        onnx_path = os.path.join(tmp, "r18.onnx")
        assert export_main([ckpt, "-o", onnx_path, "--input-size", size]) == 0
        video = os.path.join(tmp, "in.avi")
        writer = cv2.VideoWriter(video, cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (width, height))
        sample = cv2.resize(cv2.imread(os.path.join(os.path.dirname(run_module.__file__), "..", "data",
                                                    "sample.jpg")), (width, height))
        for i in range(frames):
            writer.write(np.roll(sample, 3 * i, axis=1))
        writer.release()
        memory = []
        original = Segmenter.segment

        def sampled(self, frame):
            memory.append(rss_mb())
            return original(self, frame)

        Segmenter.segment = sampled
        args = run_module.build_parser().parse_args(["--model", onnx_path, "--video", video, "--headless",
                                                     "--output", os.path.join(tmp, "out.mp4"),
                                                     "--threads", str(threads)])
        stats = run_module.run(args)
    warm = memory[min(50, len(memory) - 1):]
    print("frames {}  end-to-end {:.2f} FPS  network-only {:.2f} FPS  ratio {:.1f}%".format(
        stats.frames, stats.end_to_end_fps(), stats.network_fps(),
        100 * stats.end_to_end_fps() / stats.network_fps()))
    print("RSS after warm-up {:.1f} MB -> end {:.1f} MB (growth {:+.1f} MB, max {:.1f} MB)".format(
        warm[0], warm[-1], warm[-1] - warm[0], max(warm)))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000, sys.argv[2] if len(sys.argv) > 2 else "512x512",
         int(sys.argv[3]) if len(sys.argv) > 3 else 2)
