"""bisenet-bench run in-process on tiny models with real backends: JSON, markdown and CSV outputs, bad input.

Speed is never asserted; only that the numbers are there, consistent with each other and well formed.
"""

import csv
import json
import math
import os
import platform

import numpy as np
import pytest
from cli_capture import run_cli

from bisenet_deploy.core import machine
from bisenet_deploy.bench.main import column_label, main
from bisenet_deploy.bench.report import markdown_report

TINY_ARGS = ["--iters", "3", "--warmup", "1", "--threads", "1", "--backends", "torch,ort"]


def run_bench(argv):
    """(exit code, stdout, stderr) of bisenet-bench's main run in this process."""
    return run_cli(main, *argv)


@pytest.fixture(scope="module")
def grid_run(tmp_path_factory):
    """The default kind of run: a grid spec (random weights) on torch and ort, every output file."""
    folder = tmp_path_factory.mktemp("bench_grid")
    paths = {kind: str(folder / "speed.{}".format(kind)) for kind in ("json", "md", "csv")}
    code, out, err = run_bench(["--models", "resnet18:8", "--input-size", "64x64"] + TINY_ARGS + [
        "--json", paths["json"], "--markdown", paths["md"], "--csv", paths["csv"]])
    assert code == 0, err
    with open(paths["json"]) as handle:
        records = json.load(handle)
    return {"folder": folder, "paths": paths, "records": records, "stdout": out}


def assert_rate_matches(fps, latency_ms):
    assert latency_ms > 0 and math.isfinite(latency_ms)
    assert fps == pytest.approx(1000.0 / latency_ms, rel=2e-3)


def test_json_has_one_record_per_backend(grid_run):
    records = grid_run["records"]
    assert isinstance(records, list)
    assert sorted(r["backend"] for r in records) == ["ort", "torch"]
    for record in records:
        assert record["model"] == "resnet18:8" and record["model_source"] == "grid"
        assert (record["arch"], record["in_planes"], record["variant"]) == ("resnet18", 8, "deconv")
        assert record["precision"] == "fp32" and record["device"] == "cpu"
        assert record["input_size"] == [64, 64] and record["frame_size"] == [480, 640]
        assert (record["threads"], record["iters"], record["warmup"]) == (1, 3, 1)
        assert_rate_matches(record["fps"], record["latency_ms"])
        assert_rate_matches(record["e2e_fps"], record["e2e_latency_ms"])
        assert record["latency_p90_ms"] >= record["latency_ms"]
        assert record["e2e_latency_p90_ms"] >= record["e2e_latency_ms"]
        assert record["pipelined_fps"] > 0
        assert record["pipelined_share"] == pytest.approx(record["pipelined_fps"] / record["fps"], abs=2e-3)
        assert record["preprocess_ms"] > 0 and record["postprocess_ms"] > 0  # both timed, whichever path


def test_every_record_carries_the_environment(grid_run):
    for record in grid_run["records"]:
        env = record["environment"]
        assert env["threads"] == 1 and env["cores"] == os.cpu_count()
        assert env["python"] == platform.python_version() and env["numpy"] == np.__version__
        assert env["opencv"] and env["onnxruntime"] and env["torch"]
        assert env["cpu"]
        assert (env["jetson"] is None) == (not os.path.isfile(machine.TEGRA_RELEASE))


def test_markdown_has_the_seed_layout(grid_run):
    with open(grid_run["paths"]["md"]) as handle:
        text = handle.read()
    lines = text.splitlines()
    assert "arch | CP in_planes | torch CPU | ort CPU" in lines
    fps = {r["column"]: r["fps"] for r in grid_run["records"]}
    assert "res18 | 8 | {:.1f} | {:.1f}".format(fps["torch CPU"], fps["ort CPU"]) in lines
    assert "## Environment" in lines and "- threads: 1" in lines
    for record in grid_run["records"]:  # the latency table ends each row with the pipelined rate and share
        ending = "| {:.1f} | {:.1f} | {:.0%}".format(record["e2e_fps"], record["pipelined_fps"],
                                                     record["pipelined_share"])
        assert any(line.startswith("res18 | 8 | " + record["column"]) and line.endswith(ending) for line in lines)
    assert text == grid_run["stdout"]  # the printed table is the file


def test_csv_holds_the_same_records(grid_run):
    with open(grid_run["paths"]["csv"], newline="") as handle:
        rows = list(csv.DictReader(handle))
    records = grid_run["records"]
    assert len(rows) == len(records)
    for row, record in zip(rows, records):
        assert (row["model"], row["backend"], row["precision"]) == (record["model"], record["backend"], "fp32")
        assert float(row["latency_ms"]) == record["latency_ms"] and float(row["fps"]) == record["fps"]
        assert row["input_size"] == "64x64"
        assert row["env_python"] == platform.python_version()


def test_outputs_leave_no_temporary_files(grid_run):
    assert sorted(os.listdir(str(grid_run["folder"]))) == ["speed.csv", "speed.json", "speed.md"]


def test_model_files_run_at_their_own_size(tiny_onnx_logits, tiny_checkpoint, tmp_path):
    """An .onnx runs on ort only (torch runs checkpoints); a .pth runs on torch and, exported, on ort."""
    out = str(tmp_path / "files.json")
    code, stdout, err = run_bench(["--models", tiny_onnx_logits, tiny_checkpoint, "--input-size", "64x96"]
                                  + TINY_ARGS + ["--json", out])
    assert code == 0, err
    with open(out) as handle:
        records = json.load(handle)
    assert [(r["model"], r["backend"]) for r in records] == [
        (tiny_onnx_logits, "ort"), (tiny_checkpoint, "torch"), (tiny_checkpoint, "ort")]
    for record in records:
        assert record["model_source"] == "file" and record["input_size"] == [64, 96]
        assert record["in_planes"] == 8
        assert_rate_matches(record["fps"], record["latency_ms"])
    assert "res18 (tiny_logits.onnx) | 8 | / | {:.1f}".format(records[0]["fps"]) in stdout.splitlines()


@pytest.mark.parametrize("argv, words", [
    (["--models", "resnet18"], "ARCH:IN_PLANES"),
    (["--models", "vgg16:32"], "ARCH:IN_PLANES"),
    (["--models", "resnet18:wide"], "ARCH:IN_PLANES"),
    (["--models", "resnet18:32:bicubic"], "ARCH:IN_PLANES"),
    (["--models", "no/such/model.onnx"], "not found"),
    (["--input-size", "100x100"], "multiples of 16"),
    (["--input-size", "big"], "HxW"),
    (["--backends", "torch,tensorflow"], "unknown backend 'tensorflow'"),
    (["--iters", "0"], "--iters"),
    (["--threads", "0"], "--threads"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, argv, words):
    out = str(tmp_path / "never.json")
    code, _, err = run_bench(argv + ["--json", out])
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and words in err
    assert not os.path.exists(out)


def test_a_size_the_onnx_was_not_exported_at_is_refused(tiny_onnx_logits):
    code, _, err = run_bench(["--models", tiny_onnx_logits, "--input-size", "64x64", "--backends", "ort"])
    assert code == 2 and len(err.strip().splitlines()) == 1 and "--input-size" in err


def test_a_model_no_selected_backend_runs_is_refused(tiny_onnx_logits):
    code, _, err = run_bench(["--models", tiny_onnx_logits, "--backends", "torch"])
    assert code == 2 and "nothing to measure" in err


def handmade_record(arch, in_planes, backend, device, precision, fps, variant="deconv"):
    latency = 1000.0 / fps
    return {"model": "{}:{}".format(arch, in_planes), "model_source": "grid", "arch": arch, "in_planes": in_planes,
            "variant": variant, "backend": backend, "device": device, "precision": precision,
            "column": column_label(backend, device, precision), "input_size": [512, 512], "frame_size": [480, 640],
            "threads": 6, "iters": 50, "warmup": 5, "latency_ms": latency, "latency_p90_ms": latency * 1.1,
            "fps": fps, "e2e_latency_ms": latency + 5, "e2e_latency_p90_ms": latency + 6,
            "e2e_fps": 1000.0 / (latency + 5),
            "environment": {"cpu": "ARMv8 Processor rev 3 (v8l)", "threads": 6,
                            "jetson": {"model": "NVIDIA Jetson TX2", "l4t": "R32.7.1", "nvpmodel": "MAXN (0)",
                                       "clocks": "on"}}}


def test_markdown_formatter_adds_trt_columns_from_handmade_records():
    """Formatting only: hand-made records stand in for a TX2 run with TensorRT engines."""
    records = [handmade_record("resnet18", 32, "trt", "cuda", "int8", 30.0),
               handmade_record("resnet18", 32, "torch", "cpu", "fp32", 9.8),
               handmade_record("resnet18", 32, "trt", "cuda", "fp16", 24.5),
               handmade_record("resnet18", 32, "ort", "cpu", "fp32", 18.0),
               handmade_record("resnet50", 16, "torch", "cpu", "fp32", 8.6, variant="upsample")]
    lines = markdown_report(records).splitlines()
    assert "arch | CP in_planes | torch CPU | ort CPU | TRT FP16 | TRT INT8" in lines
    assert "res18 | 32 | 9.8 | 18.0 | 24.5 | 30.0" in lines
    assert "res50(up) | 16 | 8.6 | / | / | /" in lines
    assert "- jetson_model: NVIDIA Jetson TX2" in lines and "- jetson_l4t: R32.7.1" in lines
    assert "- jetson_nvpmodel: MAXN (0)" in lines and "- jetson_clocks: on" in lines


def test_column_labels():
    assert column_label("torch", "cpu", "fp32") == "torch CPU"
    assert column_label("ort", "cuda", "fp32") == "ort CUDA"
    assert column_label("trt", "cuda", "fp16") == "TRT FP16"


def test_tegra_release_is_parsed():
    line = "# R32 (release), REVISION: 7.1, GCID: 29818004, BOARD: t186ref, EABI: aarch64, DATE: Sat Feb 19 2022"
    assert machine.parse_tegra_release(line) == "R32.7.1"
    assert machine.parse_tegra_release("garbage") is None


def test_nvpmodel_output_is_parsed():
    assert machine.parse_nvpmodel("NV Fan Mode:quiet\nNV Power Mode: MAXN\n0\n") == "MAXN (0)"
    assert machine.parse_nvpmodel("NV Power Mode: MAXP_CORE_ARM\n3\n") == "MAXP_CORE_ARM (3)"
    assert machine.parse_nvpmodel("") is None


def test_cpu_model_reads_arm_cpuinfo(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nmodel name\t: ARMv8 Processor rev 3 (v8l)\nBogoMIPS\t: 62.50\n")
    assert machine.cpu_model(str(cpuinfo)) == "ARMv8 Processor rev 3 (v8l)"
    cpuinfo.write_text("processor\t: 0\nHardware\t: NVIDIA Tegra\n")
    assert machine.cpu_model(str(cpuinfo)) == "NVIDIA Tegra"


@pytest.mark.parametrize("frequencies, state", [
    ([("2035200", "2035200"), ("2035200", "2035200")], "on"),
    ([("345600", "2035200"), ("2035200", "2035200")], "off"),
    ([], None),
])
def test_jetson_clocks_state_from_cpufreq(tmp_path, frequencies, state):
    for index, (low, high) in enumerate(frequencies):
        folder = tmp_path / "cpu{}".format(index) / "cpufreq"
        folder.mkdir(parents=True)
        (folder / "scaling_min_freq").write_text(low + "\n")
        (folder / "scaling_max_freq").write_text(high + "\n")
    assert machine.jetson_clocks_state(str(tmp_path / "cpu[0-9]*" / "cpufreq")) == state
