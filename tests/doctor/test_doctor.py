"""Tests for bisenet_deploy/doctor: the report on this machine, --require, --json, and the Jetson, GPU and
camera findings from stand-in facts (no Jetson, GPU or camera here)."""

import json
import shutil

import cli_capture
import pytest

from bisenet_deploy.doctor import hardware, software
from bisenet_deploy.runtime import native
from bisenet_deploy.doctor import main as doctor_main
from bisenet_deploy.doctor.main import main
from bisenet_deploy.doctor.report import check, format_text, unmet
from bisenet_deploy.core.lazy import is_installed

SECTIONS = ("python", "opencv", "gstreamer", "gpu", "backends", "ros", "cameras", "jetson")


def test_report_covers_every_section_and_exits_0_whatever_is_missing():
    code, stdout, stderr = cli_capture.run_cli(main)
    assert code == 0, stderr
    lines = stdout.splitlines()
    for section in SECTIONS:
        assert section in lines
    for label in ("Python", "numpy", "C label step", "OpenCV GStreamer", "TensorRT", "pycuda", "nvcc", "CUDA GPU", "fast FP16",
                  "fast INT8", "ONNX Runtime", "OpenVINO", "ROS 1 (rospy)", "V4L2 cameras", "Jetson"):
        assert any(line[6:].startswith(label) for line in lines), label
    assert lines[-1].split()[1].rstrip(":") == "missing"


def test_every_missing_piece_comes_with_a_fix_in_json():
    code, stdout, _ = cli_capture.run_cli(main, "--json")
    findings = json.loads(stdout)
    assert code == 0 and {item["key"] for item in findings} >= {"python", "opencv-gstreamer", "gst-tools", "tensorrt",
                                                                 "gpu", "camera"}
    assert all(item["fix"] for item in findings if item["ok"] is False)
    assert all(item["fix"] is None for item in findings if item["ok"] is True)


def test_require_what_is_here_exits_0():
    code, _, stderr = cli_capture.run_cli(main, "--require", "python", "--require", "numpy", "--require", "opencv")
    assert code == 0 and stderr == ""


@pytest.mark.skipif(is_installed("tensorrt"), reason="TensorRT is installed here")
def test_require_what_is_missing_exits_1_with_one_line():
    code, _, stderr = cli_capture.run_cli(main, "--require", "python", "--require", "tensorrt")
    assert code == 1 and stderr.strip() == "bisenet-doctor: required but not found: tensorrt"


def _gstreamer_without_opencv_gstreamer():
    """A machine with GStreamer 1.22 whose OpenCV (a pip wheel) has none: the case --require gstreamer confused."""
    return [check("gst-tools", "gstreamer", "GStreamer", True, "GStreamer 1.22.0"),
            check("opencv-gstreamer", "opencv", "OpenCV GStreamer", False, "no", "use the system OpenCV")]


def test_require_gstreamer_is_the_old_name_and_its_failure_says_it_means_opencvs(monkeypatch):
    monkeypatch.setattr(doctor_main, "all_checks", _gstreamer_without_opencv_gstreamer)
    code, stdout, stderr = cli_capture.run_cli(main, "--require", "gstreamer")
    assert code == 1 and "ok  GStreamer" in stdout and len(stderr.strip().splitlines()) == 1
    assert "required but not found: gstreamer (= opencv-gstreamer: OpenCV built with GStreamer" in stderr
    assert "GStreamer itself is --require gst-tools" in stderr


def test_require_opencv_gstreamer_and_gst_tools_name_the_two_things(monkeypatch):
    monkeypatch.setattr(doctor_main, "all_checks", _gstreamer_without_opencv_gstreamer)
    code, _, stderr = cli_capture.run_cli(main, "--require", "gst-tools")
    assert code == 0 and stderr == ""
    code, _, stderr = cli_capture.run_cli(main, "--require", "opencv-gstreamer", "--require", "gst-tools")
    assert code == 1 and stderr.strip() == "bisenet-doctor: required but not found: opencv-gstreamer"


def test_require_an_unknown_name_is_a_usage_error():
    code, _, stderr = cli_capture.run_cli(main, "--require", "flux-capacitor")
    assert code == 2 and "invalid choice" in stderr


def test_unknown_counts_as_not_found_for_require():
    checks = [check("a", "s", "A", True, "x"), check("b", "s", "B", None, "?", "do b"), check("c", "s", "C", False,
                                                                                         "no", "do c")]
    assert unmet(checks, ["a", "b", "c", "d"]) == ["b", "c", "d"]
    text = format_text(checks)
    assert "fix: do c" in text and "fix: do b" in text and text.endswith("1 missing: C")


def test_tx2_gpu_facts_stand_in_say_fast_fp16_and_no_fast_int8():
    found = dict((item.key, item) for item in hardware.gpu_checks(("NVIDIA Tegra X2", "6.2", "pycuda")))
    assert found["gpu"].ok and "sm_62" in found["gpu"].detail
    assert found["fast-fp16"].ok is True
    assert found["fast-int8"].ok is False and "--fp16" in found["fast-int8"].fix


def test_gpu_unknown_says_why():
    found = dict((item.key, item) for item in hardware.gpu_checks((None, None, "pycuda is not installed")))
    assert found["gpu"].ok is False and found["fast-fp16"].ok is None
    assert "pycuda is not installed" in found["fast-int8"].detail and "pycuda" in found["fast-int8"].fix


def test_jetson_stand_in_facts_give_jetpack_and_the_power_fixes():
    facts = {"model": "NVIDIA Jetson TX2", "l4t": "R32.7.1", "nvpmodel": "MAXP_CORE_ARM (3)", "clocks": "off"}
    found = dict((item.key, item) for item in hardware.jetson_checks(on_jetson=True, facts=facts))
    assert found["jetson"].ok and "JetPack 4.6.1" in found["jetson"].detail
    assert found["nvpmodel"].ok is False and "nvpmodel -m 0" in found["nvpmodel"].fix
    assert found["jetson_clocks"].ok is False and "sudo jetson_clocks" in found["jetson_clocks"].fix
    maxn = dict(facts, nvpmodel="MAXN (0)", clocks="on")
    assert all(item.ok for item in hardware.jetson_checks(on_jetson=True, facts=maxn))


def test_camera_device_stubs_and_argus_socket_are_found(tmp_path):
    for name in ("video0", "video2", "video10"):
        (tmp_path / name).write_text("")
    socket_path = tmp_path / "argus_socket"
    found = dict((item.key, item) for item in hardware.camera_checks(str(tmp_path / "video*"), str(socket_path),
                                                                     on_jetson=True))
    assert found["camera"].ok and found["camera"].detail.index("video2") < found["camera"].detail.index("video10")
    assert found["csi"].ok is False and "nvargus-daemon" in found["csi"].fix
    socket_path.write_text("")
    assert hardware.camera_checks(str(tmp_path / "nothing*"), str(socket_path), on_jetson=True)[1].ok is True


@pytest.mark.skipif(not (shutil.which("cc") or shutil.which("gcc")), reason="no C compiler here")
def test_the_compiled_label_step_is_found_where_a_compiler_is():
    code, _, stderr = cli_capture.run_cli(main, "--require", "c-label-step")
    assert code == 0 and stderr == ""


def test_without_a_compiler_the_label_step_is_reported_with_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("CC", str(tmp_path / "no-such-cc"))
    monkeypatch.setattr(native, "_LOADED", {})
    found = software.label_step_check()
    assert found.ok is None and "apt-get install gcc" in found.fix
    assert found.detail.startswith("upsample_argmax and frame_input through numpy")
    monkeypatch.setenv(native.DISABLE_VARIABLE, "1")
    assert "turned off by BISENET_NO_NATIVE" in software.label_step_check().detail
