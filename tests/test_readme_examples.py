"""Every command example on every documentation page (README.md and docs/*.md) is executed here or
excused with the reason, and every bisenet-* example parses with the flags the command really has.

The pages are found by themselves: a page added under docs/ is covered without touching this file; its
author adds its examples to the lists below. An example is a command line in a ```bash (sh, shell,
console) block, after joining backslash continuations, dropping `  # comments`, splitting at `&&` and
removing the wrappers `sudo ` and `docker/tx2/run.sh `; an `ExecStart=` line in any block (a systemd
unit) is one too. The lists:

- RUN_HERE: bisenet-* examples this machine can run (no camera, GPU, TensorRT or trained model
  needed); each runs in its own copy of a workspace that holds what the examples name (a tiny
  seed-format checkpoint as ckpt.pth and runs/.../checkpoint.pth.tar, model.onnx, walk.mp4, frames/,
  SUNRGBD/, my_set/) and must exit 0;
- NOT_HERE: bisenet-* examples that need what this machine lacks, with what that is;
- OTHER_COMMANDS: every other command (install lines, scp, systemctl, docker, ...), with what checks
  it or why nothing here can. RUN_BY_CI entries must stand in .ci/run as written (checked below).

Install lines must install this clone (the package is on no index) with extras pyproject.toml has, and
every relative link between the pages must reach a file and heading that exist.
"""

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
    # README.md
    "bisenet-export ckpt.pth -o model.onnx",
    # docs/workstation.md
    "bisenet-export runs/SUNRGBD/res18_inp32_deconv_Jul27_100319/checkpoint.pth.tar",
    "bisenet-export ckpt.pth -o model.onnx --target-trt 7.1",
    "bisenet-eval --model model.onnx --data SUNRGBD --eval-size 512x512 --json report.json",
    "bisenet-eval --model model.onnx --data my_set --compare ort --json compare.json",
    "bisenet-scenes --list-classes",
    # docs/serving.md
    "bisenet-package model.onnx --triton repo",
    # docs/families.md (model_final_v2_city.pth: a random CoinCheung V2 in its published key layout)
    "bisenet-export model_final_v2_city.pth",
    "bisenet-run --model model_final_v2_city.onnx --images frames/ --output seg/",
    "bisenet-eval --model model_final_v2_city.onnx --data cityscapes/",
    # docs/robot.md
    "bisenet-run --model model.onnx --video walk.mp4 --output walk_seg.mp4",
    "bisenet-run --model model.onnx --images 'frames/*.png' --output seg/",
    # docs/troubleshooting.md
    "bisenet-doctor",
    "bisenet-doctor --json",
}
NEEDS_CAMERA = "a camera"
NEEDS_TENSORRT = "TensorRT and an NVIDIA GPU"
NEEDS_BAG = "a recorded bag of the robot's camera (tests/runtime/bags round-trips real bags)"
NEEDS_ROS = "a ROS master (the robot tests run the node against a real roscore)"
NEEDS_TRAINED = "a trained model: random demo weights do not pass the precision gate's defaults"
SCENES_CPU = "seconds of CPU per hundred scenes; tests/scenes runs the generator, its CLI and eval on it"
BENCH_CPU = "minutes of CPU: benchmarks, not tests (benchmarks/ runs the bench; tests/bench tests it)"
SAME_EXPORT = "nothing, but a second full export of a path the RUN_HERE exports take; the flags are parse-checked"
FAMILY_EXPORT = ("nothing, but a full-size export of a family tests/export/families exports and runs at smaller "
                 "sizes (flags parse-checked here)")
TRITON_SERVER = "a Triton server on port 8001 (tests/serve starts bisenet-serve on free ports and runs this)"
NOT_HERE = {  # bisenet-* example -> what it needs that this machine lacks
    "bisenet-run --model model.onnx --camera 0": NEEDS_CAMERA,
    "bisenet-run --model model.fp16.engine --camera csi --flip 2": NEEDS_CAMERA + " (the TX2's CSI camera)",
    "bisenet-run --model model.fp16.engine --camera 1 --output walk_seg.mp4": NEEDS_CAMERA,
    "bisenet-run --model model.fp16.engine --camera csi": NEEDS_CAMERA,
    "bisenet-bench --models resnet18:16 resnet18:32 resnet50:16 --backends torch,ort --threads 2 --markdown speed.md":
        BENCH_CPU,
    "bisenet-bench --models model.onnx --backends trt,ort --precisions fp32,fp16 --trtexec --markdown speed_tx2.md":
        NEEDS_TENSORRT,
    "bisenet-build-engine model.onnx": NEEDS_TENSORRT,
    "bisenet-build-engine model.qdq.onnx --int8": NEEDS_TENSORRT,
    "bisenet-build-engine model.onnx --int8 --calib-images frames/ --calib-count 500": NEEDS_TENSORRT,
    "bisenet-build-engine model.onnx --fp16 -o model.fp16.engine --verify --timing-cache tx2.cache": NEEDS_TENSORRT,
    "bisenet-build-engine model.onnx --fp16 -o model.fp16.engine": NEEDS_TENSORRT,
    "bisenet-eval --model model.fp16.engine --data SUNRGBD --eval-size 512x512 --compare model.onnx": NEEDS_TENSORRT,
    "bisenet-calibrate model.onnx --images calib/ --count 500": NEEDS_TRAINED,
    "bisenet-calibrate model.onnx --images walk.mp4 --frame-step 10 --labels calib_labels/": NEEDS_TRAINED,
    "bisenet-calibrate model.onnx --images calib/": NEEDS_TRAINED,
    "bisenet-export ckpt.pth -o model.onnx --input-size 480x640": SAME_EXPORT,
    "bisenet-export bisenet_deploy/data/scenes_res18_inp16.pth -o demo.onnx --input-size 192x256":
        "nothing, but a second full export; tests/scenes exports the shipped model",
    "bisenet-bench --backends ort,openvino --calib-images calib/": BENCH_CPU,
    "bisenet-calibrate model.onnx --rosbag run.bag --topic /camera/rgb/image_raw --calib-count 500 --frame-step 5":
        NEEDS_BAG,
    "bisenet-doctor --require opencv-gstreamer --require rtsp-server":
        "the robot mirror's GStreamer (here it exits 1 by design: the OpenCV wheel has none)",
    "bisenet-doctor --model model.onnx": "a trained model: on random weights the costs it reports say nothing "
                                         "(tests/doctor runs --model)",
    "bisenet-eval --model model.fp16.engine --rosbag run.bag --topic /camera/rgb/image_raw --compare model.onnx":
        NEEDS_TENSORRT,
    "bisenet-eval --model model.onnx --backend openvino --precision bf16 --data my_set --compare openvino":
        NEEDS_TRAINED,
    "bisenet-ros __name:=segnet_front image_in:=/front/image_raw _compressed:=true _model_path:=model.onnx": NEEDS_ROS,
    "bisenet-ros image_in:=/camera/rgb/image_raw _model_path:=model.fp16.engine": NEEDS_ROS,
    "bisenet-run --model model.onnx --backend openvino --camera 0": NEEDS_CAMERA,
    "bisenet-run --model model.onnx --backend openvino --precision bf16 --verify --video walk.mp4 --headless":
        NEEDS_TRAINED,
    "bisenet-run --model model.qdq.onnx --backend openvino --precision int8 --camera 0": NEEDS_CAMERA,
    "bisenet-run --model model.fp16.engine --camera csi --output rtsp://:8554/seg --bind 0.0.0.0":
        NEEDS_CAMERA,
    "bisenet-run --model model.onnx --camera 0 --output rtp://192.168.1.20:5000 --bitrate 2000":
        NEEDS_CAMERA,
    "bisenet-run --model models/model.fp16.engine --camera csi --output http://:8080/ --bind 0.0.0.0":
        NEEDS_CAMERA + " (the systemd unit's ExecStart)",
    "bisenet-run --model model.onnx --rosbag run.bag --topic /camera/rgb/image_raw --output run_seg.bag":
        NEEDS_BAG,
    "bisenet-run --model model.onnx --rosbag run_ros2/ --topic /camera/image_raw --output seg.mp4":
        NEEDS_BAG,
    "bisenet-scenes held_out --count 100 --size 192x256 --seed 1000": SCENES_CPU,
    "bisenet-eval --model demo.onnx --data held_out": SCENES_CPU,
    "bisenet-scenes out/scenes --count 100 --size 192x256 --seed 1000": SCENES_CPU,
    "bisenet-scenes out/sun --count 50 --size 480x640 --layout sunrgbd --split test": SCENES_CPU,
    # docs/families.md: each family's export -> bisenet-run chain runs in tests/export/families
    "bisenet-export model_final_v2_city.pth --input-size 1024x2048": FAMILY_EXPORT,
    "bisenet-export my_v1.pth --family coincheung-v1 --dataset cityscapes --input-size 512x1024": FAMILY_EXPORT,
    "bisenet-export my_v2.pth --classes my_classes.csv --mean 0.5 0.5 0.5 --std 0.25 0.25 0.25": FAMILY_EXPORT,
    "bisenet-export bisenetv1_r18-d32_cityscapes.pth --input-size 512x1024": FAMILY_EXPORT,
    "bisenet-export bisenetv2_fcn_cityscapes.pth --input-size 512x1024 --dynamic-batch 4": FAMILY_EXPORT,
    # docs/serving.md: tests/serve runs each of these against a real server (the nvidia-pytriton wheel's)
    "bisenet-serve repo": TRITON_SERVER + " (it runs until stopped)",
    "bisenet-run --backend triton --server 127.0.0.1:8001 --images frames/ --output seg/": TRITON_SERVER,
    "bisenet-eval --backend triton --server 127.0.0.1:8001 --data my_set --compare model.onnx": TRITON_SERVER,
    "bisenet-bench --backend triton --server 127.0.0.1:8001 --concurrency 1,2,4,8": TRITON_SERVER,
    "bisenet-export ckpt.pth -o model_logits.onnx --head logits --dynamic-batch 4": SAME_EXPORT,
    "bisenet-package model_logits.onnx --deepstream ds --sources 4":
        "the logits export above; tests/serve/test_deepstream.py packages a dynamic-batch logits model",
}

RUN_BY_CI = "run by .ci/run, as written (test_commands_said_to_run_in_ci_stand_in_ci_run)"
INSTALLS = "installs packages (minutes, network); .ci/run runs the same set-up through bash scripts/setup.sh"
JETSON = "a Jetson with JetPack 4.6 (tests/docker checks the same pins in the TX2 image)"
ON_ROBOT = "the robot's own system (systemd, a ROS installation); nothing here to change"
NOT_A_CHECK = "not a command to check: it sets the shell up for the commands that follow"
OTHER_COMMANDS = {  # any other command -> what checks it, or why nothing here can
    # README.md
    "./scripts/demo.sh": "installs, then runs the RUN_HERE kinds of export, scenes, run and eval on the shipped "
                         "model (tests/scenes); shellcheck checks the script (tests/scripts)",
    "BISENET_TORCH_INDEX=https://download.pytorch.org/whl/cpu ./scripts/demo.sh":
        INSTALLS + "; tests/scripts checks the script reads this variable",
    ".venv/bin/python -m pytest -q": RUN_BY_CI,
    "bash scripts/setup.sh --robot": RUN_BY_CI,
    ".venv-robot/bin/python -m pytest -q -m robot": RUN_BY_CI,
    "scp model.onnx nvidia@tx2:~/bisenet/models/": "a Jetson to copy to",
    # docs/serving.md
    "deepstream-app -c ds/deepstream_app_bisenet.txt": "DeepStream on a Jetson (tests/serve checks every key)",
    ".venv/bin/python benchmarks/triton_vs_local.py --clients 8 --duration 10": BENCH_CPU,
    # docs/workstation.md
    "bash scripts/setup.sh": RUN_BY_CI,
    ". .venv/bin/activate": NOT_A_CHECK,
    ".venv/bin/python -m pip install -e '.[export,runtime]'":
        INSTALLS + "; test_install_lines_install_this_clone_with_extras_it_has checks the extras",
    ".venv/bin/python scripts/train_demo_model.py -o bisenet_deploy/data/scenes_res18_inp16.pth":
        "20 minutes of CPU; tests/scenes/test_train_smoke.py runs a short training with the same script",
    # docs/cpu.md
    ".venv/bin/python -m pip install -e '.[openvino]'":
        INSTALLS + "; test_install_lines_install_this_clone_with_extras_it_has checks the extra",
    # docs/jetson.md
    "apt-get install python3-pip python3-dev build-essential": JETSON,
    "python3 -m pip install --user -i https://pypi.org/simple pip==21.3.1": JETSON,
    "python3 -m pip install --user numpy==1.19.4": JETSON,
    "export PATH=/usr/local/cuda/bin:$PATH": NOT_A_CHECK,
    "python3 -m pip install --user --no-build-isolation pycuda==2022.1": JETSON,
    "python3 -m pip install --user onnxruntime==1.8.1 protobuf==3.19.6 flatbuffers==2.0 tqdm==4.64.1": JETSON,
    "python3 -m pip install --user ./bisenet-deploy": JETSON,
    "v4l2-ctl --list-devices": "a camera",
    "gst-launch-1.0 nvarguscamerasrc sensor-id=0 ! nvoverlaysink": "a Jetson's CSI camera and display",
    "nvpmodel -m 0": "a Jetson",
    "jetson_clocks": "a Jetson",
    "docker build -f docker/tx2/Dockerfile -t bisenet-deploy:tx2 .":
        "a Jetson with Docker; tests/docker reads the Dockerfile, hadolint lints it",
    # docs/robot.md
    "export ROS_PACKAGE_PATH=/path/to/bisenet-deploy/ros:$ROS_PACKAGE_PATH": NOT_A_CHECK,
    "roslaunch bisenet_ros segnet.launch model_path:=/models/model.fp16.engine input:=/camera/rgb/image_raw":
        "a ROS installation and TensorRT; tests/ros/test_node_robot.py runs roslaunch with this launch file",
    "systemctl daemon-reload": ON_ROBOT,
    "systemctl enable --now bisenet-camera.service": ON_ROBOT,
    "journalctl -u bisenet-camera.service -f": ON_ROBOT,
}

SHELL_LANGUAGES = {"bash", "sh", "shell", "console"}
FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```", re.S | re.M)
WRAPPERS = re.compile(r"^(?:sudo |docker/tx2/run\.sh )+")
UNIT_COMMAND = re.compile(r"^Exec\w*=[-@:+!]*(\S+)(.*)$")


def doc_pages():
    """README.md and every page under docs/: a page added there is covered without touching this test."""
    return [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))


def shell_commands(block):
    """The commands of a shell block: continuations joined, comments dropped, split at &&, unwrapped."""
    commands = []
    for line in block.replace("\\\n", " ").splitlines():
        if line.strip().startswith("#"):
            continue
        for command in line.split("  #")[0].split("&&"):
            command = WRAPPERS.sub("", " ".join(command.split()))
            if command:
                commands.append(command)
    return commands


def unit_commands(block):
    """A systemd unit's Exec*= commands, with the program's folder dropped (/home/x/.local/bin/bisenet-run)."""
    commands = []
    for line in block.splitlines():
        match = UNIT_COMMAND.match(line.strip())
        if match:
            commands.append(" ".join((os.path.basename(match.group(1)) + match.group(2)).split()))
    return commands


def page_examples(page):
    """The command examples of one page, in order."""
    examples = []
    for language, block in FENCE.findall(page.read_text()):
        examples += shell_commands(block) if language in SHELL_LANGUAGES else unit_commands(block)
    return examples


def examples_by_page():
    return {page.relative_to(ROOT).as_posix(): page_examples(page) for page in doc_pages()}


def all_examples():
    return {example for examples in examples_by_page().values() for example in examples}


def is_bisenet_command(example):
    return shlex.split(example)[0] in COMMAND_MODULES


def bisenet_examples():
    return sorted(example for example in all_examples() if is_bisenet_command(example))


def main_of(command):
    """The command's main(argv) (its console script, bisenet_deploy.commands, runs it)."""
    return importlib.import_module(COMMAND_MODULES[command]).main


def parser_of(command):
    return importlib.import_module(COMMAND_MODULES[command]).build_parser()


def unlisted(listed):
    """'page: example' for each example of the pages that `listed` does not hold."""
    return ["{}: {}".format(page, example) for page, examples in examples_by_page().items()
            for example in examples if example not in listed]


def test_the_pages_are_found_and_have_examples():
    pages = examples_by_page()
    assert "README.md" in pages and "docs/workstation.md" in pages
    assert pages["README.md"], "no examples found in the README"


def test_every_bisenet_example_is_run_here_or_says_why_not():
    missing = [entry for entry in unlisted(RUN_HERE | set(NOT_HERE)) if is_bisenet_command(entry.split(": ", 1)[1])]
    assert not missing, "add each to RUN_HERE or NOT_HERE (with the reason) in tests/test_readme_examples.py:\n" + \
        "\n".join(missing)
    assert (RUN_HERE | set(NOT_HERE)) - all_examples() == set()  # the lists follow the pages
    assert not RUN_HERE & set(NOT_HERE)


def test_every_other_command_says_what_checks_it():
    missing = [entry for entry in unlisted(set(OTHER_COMMANDS)) if not is_bisenet_command(entry.split(": ", 1)[1])]
    assert not missing, "add each to OTHER_COMMANDS (with what checks it) in tests/test_readme_examples.py:\n" + \
        "\n".join(missing)
    assert set(OTHER_COMMANDS) - all_examples() == set()  # the list follows the pages


def test_no_bisenet_example_hides_outside_a_shell_block():
    for page in doc_pages():
        for language, block in FENCE.findall(page.read_text()):
            if language not in SHELL_LANGUAGES:
                hidden = [line for line in block.splitlines() if line.strip().startswith("bisenet-")]
                assert not hidden, "{}: put command examples in a ```bash block: {}".format(page.name, hidden)


def test_commands_said_to_run_in_ci_stand_in_ci_run():
    ci_lines = {line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()}
    for command, reason in OTHER_COMMANDS.items():
        if reason == RUN_BY_CI:
            assert command in ci_lines, "{} is not in .ci/run: keep the docs and CI the same".format(command)


def test_install_lines_install_this_clone_with_extras_it_has():
    """The package is on no index: an install line names this clone (. or a path), never bisenet-deploy[...]."""
    extras = set(re.search(r"\[project\.optional-dependencies\](.*?)\n\[", (ROOT / "pyproject.toml").read_text(),
                           re.S).group(1).split("\n"))
    extras = {line.split("=")[0].strip() for line in extras if re.match(r"^\w[\w-]* = \[", line)}
    installs = [example for example in all_examples() if re.search(r"\bpip3? install\b", example)]
    assert installs
    for example in installs:
        for argument in shlex.split(example.split("install", 1)[1]):
            assert not re.match(r"^bisenet[-_]deploy\b", argument), "{}: no index has bisenet-deploy".format(example)
            target = re.match(r"^(\.|\./[\w./-]+)\[([\w,-]+)\]$", argument)
            if target:
                assert set(target.group(2).split(",")) <= extras, example


@pytest.mark.parametrize("example", bisenet_examples())
def test_every_example_parses_with_the_command_s_real_flags(example):
    argv = shlex.split(example)
    # NAME:=VALUE are ROS remappings and parameters, which rospy takes before bisenet-ros parses the rest
    parser_of(argv[0]).parse_args([arg for arg in argv[1:] if ":=" not in arg])  # exits 2 on a bad flag


@pytest.fixture(scope="module")
def template(tmp_path_factory, tiny_checkpoint, tiny_onnx_labels):
    """A folder holding what the examples name: the seed-format checkpoint (runs/... and ckpt.pth),
    model.onnx, walk.mp4, frames/, and the datasets SUNRGBD/ and my_set/ in the generic layout."""
    root = tmp_path_factory.mktemp("readme")
    checkpoint = root / "runs" / "SUNRGBD" / "res18_inp32_deconv_Jul27_100319" / "checkpoint.pth.tar"
    checkpoint.parent.mkdir(parents=True)
    write_demo_checkpoint(str(checkpoint), in_planes=8, seed=0)
    shutil.copy(tiny_checkpoint, str(root / "ckpt.pth"))
    shutil.copy(tiny_onnx_labels, str(root / "model.onnx"))
    write_video(root / "walk.mp4", frames=6)
    (root / "frames").mkdir()
    rng = np.random.RandomState(0)
    for index in (3, 7):
        cv2.imwrite(str(root / "frames" / "frame_{:02d}.png".format(index)), rng.randint(0, 255, (48, 64, 3))
                    .astype(np.uint8))
    write_coincheung_v2(root)
    for data in ("SUNRGBD", "my_set"):
        (root / data / "images").mkdir(parents=True)
        (root / data / "labels").mkdir()
        cv2.imwrite(str(root / data / "images" / "a.png"), rng.randint(0, 255, (48, 64, 3)).astype(np.uint8))
        cv2.imwrite(str(root / data / "labels" / "a.png"), rng.randint(0, 37, (48, 64)).astype(np.uint8))
    return root


def write_coincheung_v2(root):
    """model_final_v2_city.pth as CoinCheung saves it (a plain state_dict), its ONNX at a small size, and
    cityscapes/ in the official layout (one city, two frames) for the docs/families.md examples."""
    import torch

    from bisenet_deploy.export.api import export_onnx
    from bisenet_deploy.export.families import family_named

    torch.manual_seed(0)
    torch.save(family_named("coincheung-v2").build({"num_classes": 19}).state_dict(),
               str(root / "model_final_v2_city.pth"))
    export_onnx(str(root / "model_final_v2_city.pth"), str(root / "model_final_v2_city.onnx"), log=lambda line: None,
                input_size=(64, 128))
    rng = np.random.RandomState(1)
    images, labels = root / "cityscapes" / "leftImg8bit" / "val" / "ulm", root / "cityscapes" / "gtFine" / "val" / "ulm"
    images.mkdir(parents=True)
    labels.mkdir(parents=True)
    for frame in ("000000", "000001"):
        stem = "ulm_000000_{}".format(frame)
        cv2.imwrite(str(images / (stem + "_leftImg8bit.png")), rng.randint(0, 255, (64, 128, 3)).astype(np.uint8))
        cv2.imwrite(str(labels / (stem + "_gtFine_labelIds.png")), rng.randint(0, 34, (64, 128)).astype(np.uint8))


@pytest.mark.parametrize("example", sorted(RUN_HERE))
def test_examples_this_machine_can_run_work_on_the_demo_model(example, template, tmp_path, monkeypatch):
    workspace = tmp_path / "workspace"  # each example gets its own copy: an export may replace model.onnx
    shutil.copytree(str(template), str(workspace))
    monkeypatch.chdir(str(workspace))
    argv = shlex.split(example)
    code, stdout, stderr = cli_capture.run_cli(main_of(argv[0]), *argv[1:])
    assert code == 0, (example, stderr)
    for flag in ("--output", "-o"):
        if flag in argv:
            target = argv[argv.index(flag) + 1]
            assert os.path.exists(target) and (not target.endswith("/") or os.listdir(target))


def heading_anchors(page):
    """GitHub's anchors for a page's headings: lower case, punctuation but - and _ dropped, spaces to -."""
    text = re.sub(r"^```.*?^```", "", page.read_text(), flags=re.S | re.M)
    return {re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
            for heading in re.findall(r"^#+ (.+)$", text, re.M)}


def test_links_between_the_pages_lead_somewhere():
    """Every relative link of README.md and docs/*.md names a file that exists, and a heading it has."""
    broken = []
    for page in doc_pages():
        for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text()):
            if re.match(r"^[a-z]+:", target):
                continue  # http:, https:, mailto:
            path, _, anchor = target.partition("#")
            linked = (page.parent / path).resolve() if path else page
            if not linked.exists() or (anchor and linked.suffix == ".md" and anchor not in heading_anchors(linked)):
                broken.append("{}: {}".format(page.relative_to(ROOT), target))
    assert not broken, broken
