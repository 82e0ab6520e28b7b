"""bisenet-build-engine's command line on a machine without TensorRT (every machine here)."""

import subprocess
import sys

import pytest

from bisenet_deploy.engines.main import main
from bisenet_deploy.core.lazy import is_installed

needs_no_tensorrt = pytest.mark.skipif(is_installed("tensorrt"), reason="TensorRT is installed here")


@needs_no_tensorrt
def test_without_tensorrt_one_line_with_how_to_get_it(tiny_onnx_labels):
    completed = subprocess.run([sys.executable, "-m", "bisenet_deploy.engines.main", tiny_onnx_labels, "--fp16"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=120)
    assert completed.returncode == 2
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in completed.stderr
    assert "TensorRT is not installed" in lines[0] and "python3-libnvinfer" in lines[0] and "docker/tx2" in lines[0]


@pytest.mark.parametrize("argv,message", [
    (["missing.onnx"], "ONNX model not found"),
    (["{onnx}", "--fp16", "--int8"], "not allowed with argument"),
    (["{onnx}", "--workspace", "0"], "--workspace must be a positive"),
    (["{onnx}", "--calib-count", "-3", "--int8"], "--calib-count must be positive"),
    (["{onnx}", "-o", "model.plan"], "must end in .engine"),
    (["{onnx}", "--fp16", "--calib-images", "frames/"], "only apply to --int8"),
    (["{onnx}", "--fp16", "--force-int8"], "only applies to --int8"),
    (["{onnx}", "--int8", "--calib-cache", "nowhere.cache"], "does not exist"),
    (["{onnx}", "--fp16", "--verify-images", "nowhere/"], "--verify-images not found: nowhere/"),
    (["{onnx}", "--fp16", "--verify-labels", "labels/"], "--verify-labels needs --verify-images"),
    (["{onnx}", "--fp16", "--verify", "--verify-count", "0"], "--verify-count must be at least 1"),
])
def test_bad_usage_is_one_line_and_exit_2(argv, message, tiny_onnx_labels, capsys):
    try:
        code = main([a.format(onnx=tiny_onnx_labels) for a in argv])
    except SystemExit as exit_:  # argparse's own usage errors
        code = exit_.code
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_foreign_file_is_refused_before_tensorrt(tmp_path, capsys):
    foreign = tmp_path / "weights.pth"
    foreign.write_bytes(b"not onnx")
    assert main([str(foreign)]) == 2
    assert "expected an .onnx model" in capsys.readouterr().err
