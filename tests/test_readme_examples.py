"""Every bisenet-* command line in the README's examples parses with the flags the command really has,
and those this machine can run (no camera, GPU, TensorRT or trained model needed) run on the demo
model and exit 0. Each example is either run here or listed with the reason it cannot be."""

import importlib
import os
import pathlib
import re
import shlex
import shutil

import cv2
import numpy as np
import pytest

import cli_capture
from bisenet_deploy.commands import MODULES as COMMAND_MODULES
from bisenet_deploy.export.demo import write_demo_checkpoint
from video_files import write_video

ROOT = pathlib.Path(__file__).resolve().parent.parent

RUN_HERE = {
    "bisenet-export runs/SUNRGBD/res18_inp32_deconv_Jul27_100319/checkpoint.pth.tar",
    "bisenet-run --model model.onnx --video walk.mp4 --headless --output walk_seg.mp4",
    "bisenet-run --model model.onnx --images 'frames/*.png' --headless --output seg/",
    "bisenet-eval --model model.onnx --data SUNRGBD --eval-size 512x512 --json report.json",
    "bisenet-eval --model model.onnx --data my_set --compare ort --json compare.json",
    "bisenet-doctor",
    "bisenet-doctor --json",
    "bisenet-scenes --list-classes",
}
NEEDS_CAMERA = "a camera"
NEEDS_TENSORRT = "TensorRT and an NVIDIA GPU"
NEEDS_BAG = "a recorded bag of the robot's camera (tests/runtime/bags round-trips real bags)"
NEEDS_ROS = "a ROS master (the robot tests run the node against a real roscore)"
NEEDS_TRAINED = "the trained demo model: the tiny random-weight model here fails BF16's --verify threshold"
SCENES_CPU = "seconds of CPU per hundred scenes; tests/scenes runs the generator, its CLI and eval on it"
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
    "bisenet-export bisenet_deploy/data/scenes_res18_inp16.pth -o demo.onnx --input-size 192x256":
        "nothing, but a second full export; tests/scenes exports the shipped model",
    "bisenet-bench --backends ort,openvino --calib-images calib/": "minutes of CPU: benchmarks, not tests",
    "bisenet-calibrate model.onnx --rosbag run.bag --topic /camera/rgb/image_raw --calib-count 500 --frame-step 5":
        NEEDS_BAG,
    "bisenet-doctor --require gstreamer --require rtsp-server":
        "the robot mirror's GStreamer (here it exits 1 by design: the OpenCV wheel has none)",
    "bisenet-eval --model model.fp16.engine --rosbag run.bag --topic /camera/rgb/image_raw --compare model.onnx":
        NEEDS_TENSORRT,
    "bisenet-eval --model model.onnx --backend openvino --precision bf16 --data my_set --compare openvino":
        NEEDS_TRAINED,
    "bisenet-ros __name:=segnet_front image_in:=/front/image_raw _compressed:=true _model_path:=model.onnx": NEEDS_ROS,
    "bisenet-ros image_in:=/camera/rgb/image_raw _model_path:=model.fp16.engine": NEEDS_ROS,
    "bisenet-run --model model.onnx --backend openvino --camera 0": NEEDS_CAMERA,
    "bisenet-run --model model.onnx --backend openvino --precision bf16 --verify --video walk.mp4 --headless":
        NEEDS_TRAINED,
    "bisenet-run --model model.qdq.onnx --backend openvino --precision int8": NEEDS_CAMERA + " (no source: the default)",
    "bisenet-run --model model.fp16.engine --camera csi --headless --output rtsp://:8554/seg --bind 0.0.0.0":
        NEEDS_CAMERA,
    "bisenet-run --model model.onnx --camera 0 --headless --output rtp://192.168.1.20:5000 --bitrate 2000":
        NEEDS_CAMERA,
    "bisenet-run --model model.onnx --rosbag run.bag --topic /camera/rgb/image_raw --headless --output run_seg.bag":
        NEEDS_BAG,
    "bisenet-run --model model.onnx --rosbag run_ros2/ --topic /camera/image_raw --headless --output seg.mp4":
        NEEDS_BAG,
    "bisenet-scenes held_out --count 100 --size 192x256 --seed 1000": SCENES_CPU,
    "bisenet-eval --model demo.onnx --data held_out": SCENES_CPU,
    "bisenet-scenes out/scenes --count 100 --size 192x256 --seed 1000": SCENES_CPU,
    "bisenet-scenes out/sun --count 50 --size 480x640 --layout sunrgbd --split test": SCENES_CPU,
}


def readme_examples():
    """The bisenet-* lines of the README's bash blocks, without comments and wrappers (docker/tx2/run.sh)."""
    text = (ROOT / "README.md").read_text()
    lines = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        for line in block.splitlines():
            for command in line.split("  #")[0].split("&&"):
                command = re.sub(r"^docker/tx2/run\.sh ", "", " ".join(command.split()))
                if command.startswith("bisenet-"):
                    lines.append(command)
    return lines


def main_of(command):
    """The command's main(argv) (its console script, bisenet_deploy.commands, runs it)."""
    return importlib.import_module(COMMAND_MODULES[command]).main


def parser_of(command):
    return importlib.import_module(COMMAND_MODULES[command]).build_parser()


def test_every_example_is_run_here_or_says_why_not():
    examples = set(readme_examples())
    assert examples, "no examples found"
    assert examples - RUN_HERE - set(NOT_HERE) == set()
    assert (RUN_HERE | set(NOT_HERE)) - examples == set()  # the lists follow the README


@pytest.mark.parametrize("example", sorted(set(readme_examples())))
def test_every_example_parses_with_the_command_s_real_flags(example):
    argv = shlex.split(example)
    # NAME:=VALUE are ROS remappings and parameters, which rospy takes before bisenet-ros parses the rest
    parser_of(argv[0]).parse_args([arg for arg in argv[1:] if ":=" not in arg])  # exits 2 on a bad flag


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
