"""Every bisenet-* command line in the README's examples parses with the flags the command really has,
and those this machine can run (no camera, GPU, TensorRT or trained model needed) run on the demo
model and exit 0. Each example is either run here or listed with the reason it cannot be."""

import importlib
import os
import pathlib
import re
import shlex
import shutil
import tomllib

import cv2
import numpy as np
import pytest

import cli_capture
from bisenet_deploy.export.demo import write_demo_checkpoint
from video_files import write_video

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCRIPTS = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]

RUN_HERE = {
    "bisenet-export runs/SUNRGBD/res18_inp32_deconv_Jul27_100319/checkpoint.pth.tar",
    "bisenet-run --model model.onnx --video walk.mp4 --headless --output walk_seg.mp4",
    "bisenet-run --model model.onnx --images 'frames/*.png' --headless --output seg/",
    "bisenet-eval --model model.onnx --data SUNRGBD --eval-size 512x512 --json report.json",
    "bisenet-eval --model model.onnx --data my_set --compare ort --json compare.json",
}
NEEDS_CAMERA = "a camera"
NEEDS_TENSORRT = "TensorRT and an NVIDIA GPU"
NOT_HERE = {  # example -> what it needs that this machine lacks
    "bisenet-run --model model.onnx --camera 0": NEEDS_CAMERA,
    "bisenet-run --model model.onnx --camera csi --flip 2": NEEDS_CAMERA + " (the TX2's CSI camera)",
    "bisenet-run --model model.fp16.engine --camera csi --flip 2": NEEDS_CAMERA,
    "bisenet-run --model model.fp16.engine --camera 1 --headless --output walk_seg.mp4": NEEDS_CAMERA,
    "bisenet-run --model model.fp16.engine --camera csi": NEEDS_CAMERA,
    "bisenet-bench --models resnet18:16 resnet18:32 resnet50:16 --backends torch,ort --threads 2 --markdown speed.md":
        "minutes of CPU (three full-size networks, two backends): benchmarks, not tests",
    "bisenet-bench --models model.onnx --backends trt,ort --precisions fp32,fp16 --trtexec --markdown speed_tx2.md":
        NEEDS_TENSORRT,
    "bisenet-build-engine model.onnx": NEEDS_TENSORRT,
    "bisenet-build-engine model.onnx --fp16 --verify --timing-cache tx2.cache": NEEDS_TENSORRT,
    "bisenet-build-engine model.qdq.onnx --int8": NEEDS_TENSORRT,
    "bisenet-build-engine model.onnx --int8 --calib-images frames/ --calib-count 500": NEEDS_TENSORRT,
    "bisenet-build-engine model.onnx --fp16 -o model.fp16.engine --verify --timing-cache tx2.cache": NEEDS_TENSORRT,
    "bisenet-build-engine model.onnx --fp16 -o model.fp16.engine": NEEDS_TENSORRT,
    "bisenet-eval --model model.fp16.engine --data SUNRGBD --eval-size 512x512 --compare model.onnx": NEEDS_TENSORRT,
    "bisenet-calibrate model.onnx --images calib/ --count 500":
        "a trained model: random demo weights do not reach the default --min-agreement 0.95 (the README says so)",
    "bisenet-calibrate model.onnx --images walk.mp4 --frame-step 10 --labels calib_labels/": "a trained model",
    "bisenet-calibrate model.onnx --images calib/": "a trained model",
    "bisenet-export ckpt.pth -o model.onnx --input-size 480x640": "nothing: same path as the first export example",
    "bisenet-export ckpt.pth -o model.onnx --target-trt 7.1": "nothing, but a second full export; the flags are "
                                                               "checked by the parse test",
}


def readme_examples():
    """The bisenet-* lines of the README's bash blocks, without comments and wrappers (docker/tx2/run.sh)."""
    text = (ROOT / "README.md").read_text()
    lines = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        for line in block.splitlines():
            command = line.split("  #")[0].strip()
            command = re.sub(r"^docker/tx2/run\.sh ", "", command)
            if command.startswith("bisenet-"):
                lines.append(command)
    return lines


def main_of(command):
    module, function = SCRIPTS[command].split(":")
    return getattr(importlib.import_module(module), function)


def parser_of(command):
    return importlib.import_module(SCRIPTS[command].split(":")[0]).build_parser()


def test_every_example_is_run_here_or_says_why_not():
    examples = set(readme_examples())
    assert examples, "no examples found"
    assert examples - RUN_HERE - set(NOT_HERE) == set()
    assert (RUN_HERE | set(NOT_HERE)) - examples == set()  # the lists follow the README


@pytest.mark.parametrize("example", sorted(set(readme_examples())))
def test_every_example_parses_with_the_command_s_real_flags(example):
    argv = shlex.split(example)
    parser_of(argv[0]).parse_args(argv[1:])  # argparse exits 2 on an unknown flag or a bad value


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, tiny_onnx_labels):
    """A folder holding what the examples name: the demo checkpoint, model.onnx, walk.mp4, frames/,
    and the datasets SUNRGBD/ and my_set/ in the generic layout."""
    root = tmp_path_factory.mktemp("readme")
    checkpoint = root / "runs" / "SUNRGBD" / "res18_inp32_deconv_Jul27_100319" / "checkpoint.pth.tar"
    checkpoint.parent.mkdir(parents=True)
    write_demo_checkpoint(str(checkpoint), in_planes=8, seed=0)
    shutil.copy(tiny_onnx_labels, str(root / "model.onnx"))
    write_video(root / "walk.mp4", frames=6)
    (root / "frames").mkdir()
    rng = np.random.RandomState(0)
    for index in (3, 7):
        cv2.imwrite(str(root / "frames" / "frame_{:02d}.png".format(index)), rng.randint(0, 255, (48, 64, 3))
                    .astype(np.uint8))
    for data in ("SUNRGBD", "my_set"):
        (root / data / "images").mkdir(parents=True)
        (root / data / "labels").mkdir()
        cv2.imwrite(str(root / data / "images" / "a.png"), rng.randint(0, 255, (48, 64, 3)).astype(np.uint8))
        cv2.imwrite(str(root / data / "labels" / "a.png"), rng.randint(0, 37, (48, 64)).astype(np.uint8))
    return root


@pytest.mark.parametrize("example", sorted(RUN_HERE))
def test_examples_this_machine_can_run_work_on_the_demo_model(example, workspace, monkeypatch):
    monkeypatch.chdir(str(workspace))
    argv = shlex.split(example)
    code, stdout, stderr = cli_capture.run_cli(main_of(argv[0]), *argv[1:])
    assert code == 0, (example, stderr)
    if "--output" in argv:
        target = argv[argv.index("--output") + 1]
        assert os.path.exists(target) and (not target.endswith("/") or os.listdir(target))
