"""Every command refuses an output it cannot write before doing the work: one line naming the path and
the reason in words, exit 2, nothing left behind. Real refusals: a read-only mount (fs_faults), /proc
(a file used as a folder), and outputs that are the command's own input."""

import os

import pytest
from fs_faults import names_under, read_only_dir  # noqa: F401 (fixture)

import cli_capture
from bisenet_deploy.bench.main import main as bench_main
from bisenet_deploy.calib.main import main as calibrate_main
from bisenet_deploy.engines.main import main as build_engine_main
from bisenet_deploy.evaluate.main import main as eval_main
from bisenet_deploy.export.main import main as export_main


def commands(checkpoint, onnx, target):
    """(name, main, argv) writing `target` (a path ending in the kind of file each command writes)."""
    return [
        ("export", export_main, [checkpoint, "-o", target + ".onnx"]),
        ("calibrate", calibrate_main, [onnx, "--images", os.path.dirname(onnx), "-o", target + ".onnx"]),
        ("build-engine", build_engine_main, [onnx, "-o", target + ".engine"]),
        ("build-engine cache", build_engine_main, [onnx, "--timing-cache", target + ".cache"]),
        ("eval", eval_main, ["--model", onnx, "--data", os.path.dirname(onnx), "--json", target + ".json"]),
        ("bench", bench_main, ["--models", onnx, "--backends", "ort", "--json", target + ".json"]),
    ]


@pytest.mark.parametrize("index", range(6))
@pytest.mark.parametrize("where, reason", [("ro", "read-only"), ("proc", "is a file, not a folder")])
def test_unwritable_output_is_one_line_exit_2_before_the_work(index, where, reason, read_only_dir, tiny_checkpoint,
                                                             tiny_onnx_labels):
    target = os.path.join(read_only_dir, "out") if where == "ro" else "/proc/version/out"
    name, main, argv = commands(tiny_checkpoint, tiny_onnx_labels, target)[index]
    code, stdout, stderr = cli_capture.run_cli(main, *argv)
    assert code == 2, (name, stdout, stderr)
    assert reason in stderr and "/out." in stderr and len(stderr.strip().splitlines()) == 1, (name, stderr)
    assert "Traceback" not in stderr
    assert stdout.strip() == "", (name, stdout)  # refused before any stage started
    if where == "ro":
        assert names_under(read_only_dir) == ["existing.txt", "sub"]


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux's /proc, where no folder can be made")
@pytest.mark.parametrize("index", range(6))
def test_a_folder_that_cannot_be_made_is_named_not_its_parent(index, tiny_checkpoint, tiny_onnx_labels):
    name, main, argv = commands(tiny_checkpoint, tiny_onnx_labels, "/proc/nope/out")[index]
    code, stdout, stderr = cli_capture.run_cli(main, *argv)
    assert code == 2 and len(stderr.strip().splitlines()) == 1, (name, stderr)
    assert "the folder /proc/nope does not exist and cannot be created in /proc" in stderr, (name, stderr)
    assert stdout.strip() == "", (name, stdout)


def test_a_parent_that_is_a_file_is_named_not_file_exists(tmp_path, tiny_checkpoint):
    notes = tmp_path / "notes.txt"
    notes.write_text("x")
    code, _, stderr = cli_capture.run_cli(export_main, tiny_checkpoint, "-o", str(notes / "x.onnx"))
    assert code == 2 and "notes.txt is a file, not a folder" in stderr and "File exists" not in stderr, stderr


@pytest.mark.parametrize("make_argv", [
    lambda onnx, ckpt: (eval_main, ["--model", onnx, "--data", "nowhere", "--json", onnx]),
    lambda onnx, ckpt: (calibrate_main, [onnx, "--images", "nowhere", "-o", onnx]),
    lambda onnx, ckpt: (bench_main, ["--models", onnx, "--json", "same.txt", "--csv", "same.txt"]),
])
def test_an_output_that_is_an_input_is_refused_untouched(make_argv, tiny_onnx_labels, tiny_checkpoint, tmp_path,
                                                        monkeypatch):
    monkeypatch.chdir(str(tmp_path))
    before = open(tiny_onnx_labels, "rb").read()
    main, argv = make_argv(tiny_onnx_labels, tiny_checkpoint)
    code, _, stderr = cli_capture.run_cli(main, *argv)
    assert code == 2 and "same file" in stderr, stderr
    assert open(tiny_onnx_labels, "rb").read() == before


def test_an_os_error_without_a_path_is_told_without_a_question_mark():
    import errno

    from bisenet_deploy.core.outpaths import describe_os_error

    text = describe_os_error(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)), writing=None)
    assert text == "a write failed: the disk is full (no space left on the device)"
