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

from bisenet_deploy.bench import limits, timing
from bisenet_deploy.core import machine
from bisenet_deploy.bench.main import main
from bisenet_deploy.bench.records import column_label
from bisenet_deploy.bench.report import markdown_report
from bisenet_deploy.runtime.backends.openvino_backend import cpu_facts
from bisenet_deploy.runtime.backends.openvino_precision import native

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


def test_every_record_has_its_rate_and_share_of_the_cpu_limit(grid_run):
    records = grid_run["records"]
    limit = records[0]["environment"]["matmul_limits_gflops"]["onnxruntime_fp32"]
    assert limit > 0 and records[0]["environment"]["matmul_limits_missing"] == {}
    assert len({r["macs"] for r in records}) == 1 and records[0]["macs"] > 0  # one network, one count
    for record in records:  # torch CPU has no probe of its own: ONNX Runtime's FP32 is its reference
        assert record["limit_source"] == "onnxruntime matmul fp32" and record["limit_gflops"] == limit
        recomputed = 2 * record["macs"] / record["latency_ms"] / 1e6
        # the record rounds GFLOP/s to 0.05 and the latency to 0.0005 ms, which moves the recomputed rate
        rounding = 0.05 + recomputed * 0.0005 / record["latency_ms"]
        assert record["gflops"] == pytest.approx(recomputed, abs=rounding * 1.01)
        assert record["limit_share"] == pytest.approx(record["gflops"] / limit, abs=2e-3)
        assert record["rounds"] == 1 and record["round_spread"] is None  # 3 iterations: one round


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
    for record in grid_run["records"]:  # the limits table: GMACs, network median, GFLOP/s, limit, source, share
        assert "res18 | 8 | {} | {:.2f} | {:.2f} | {:.1f} | {:.1f} | onnxruntime matmul fp32 | {:.0%} | /".format(
            record["column"], record["macs"] / 1e9, record["latency_ms"], record["gflops"], record["limit_gflops"],
            record["limit_share"]) in lines
    assert "- onnxruntime fp32: {:.1f} GFLOP/s".format(grid_run["records"][0]["limit_gflops"]) in lines
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
        assert int(row["macs"]) == record["macs"] and float(row["gflops"]) == record["gflops"]
        assert float(row["limit_gflops"]) == record["limit_gflops"] and row["limit_source"] == record["limit_source"]
        assert float(row["limit_share"]) == record["limit_share"] and row["round_spread"] == ""
        assert float(row["env_matmul_limits_gflops_onnxruntime_fp32"]) == record["limit_gflops"]


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


def test_markdown_says_which_limits_are_missing_and_that_the_host_was_busy():
    """Formatting only: an x86 run without OpenVINO's BF16 limit, on a busy host, and a GPU column."""
    environment = {"threads": 2, "matmul_limit_size": 2048, "busy_host": "load average 3.10 above the 2 threads",
                   "matmul_limits_gflops": {"openvino_fp32": 250.0, "onnxruntime_fp32": 240.0},
                   "matmul_limits_missing": {"openvino_bf16": "OpenVINO ran the BF16 MatMul as gemm_mlas_f32 (f32)"}}
    records = [dict(handmade_record("resnet18", 32, "openvino", "cpu", "fp32", 20.0), macs=2 * 10 ** 9, gflops=80.0,
                    limit_gflops=250.0, limit_source="openvino matmul fp32", limit_share=0.32, round_spread=0.05,
                    environment=environment),
               dict(handmade_record("resnet18", 32, "trt", "cuda", "fp16", 100.0), macs=2 * 10 ** 9, gflops=400.0,
                    limit_gflops=None, limit_source=None, limit_share=None, round_spread=0.31,
                    environment=environment)]
    lines = markdown_report(records).splitlines()
    assert lines[2] == "**Busy host**: load average 3.10 above the 2 threads; the figures below may not be this " \
                       "machine's."
    assert "res18 | 32 | OV FP32 | 2.00 | 50.00 | 80.0 | 250.0 | openvino matmul fp32 | 32% | 5%" in lines
    assert "res18 | 32 | TRT FP16 | 2.00 | 10.00 | 400.0 | / | / | / | 31%" in lines
    assert "MatMul limits (2048x2048 by 2048x2048, 2 threads):" in lines
    assert "- openvino fp32: 250.0 GFLOP/s" in lines and "- onnxruntime fp32: 240.0 GFLOP/s" in lines
    assert "- openvino bf16: not measured: OpenVINO ran the BF16 MatMul as gemm_mlas_f32 (f32)" in lines


def test_records_from_before_the_limits_get_no_limits_table():
    lines = markdown_report([handmade_record("resnet18", 32, "torch", "cpu", "fp32", 9.8)]).splitlines()
    assert not any(line.startswith("## Against this CPU's limits") for line in lines)
    assert not any(line.startswith("**Busy host**") for line in lines)


def test_the_rounds_alternate_between_all_columns_and_limits(tiny_onnx_logits, monkeypatch):
    """Instrumented: every block a column or a limit runs is logged in order; 7 iterations are rounds of 5
    and 2, each running every column, then every limit, in turn."""
    order = []

    def recording(cls, label_of):
        measure = cls.measure

        def logged(self, count):
            order.append((label_of(self), count))
            return measure(self, count)
        monkeypatch.setattr(cls, "measure", logged)

    pytest.importorskip("openvino")
    ov_columns = [p for p in ("fp32", "bf16") if native(p, cpu_facts()[1])]  # no QDQ model: no INT8 column
    recording(timing.ColumnTimer, lambda timer: timer.label)
    recording(limits.MatMulProbe, lambda probe: probe.label)
    code, _, err = run_bench(["--models", tiny_onnx_logits, "--backends", "ort,openvino", "--iters", "7",
                              "--warmup", "1", "--threads", "1"])
    assert code == 0, err
    columns = ["{} on {} cpu".format(tiny_onnx_logits, name) for name in ["ort"] + ["openvino"] * len(ov_columns)]
    probes = ["openvino matmul " + p for p in ov_columns] + ["onnxruntime matmul fp32"]
    assert order == [(label, size) for size in (5, 2) for label in columns + probes]


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


def test_calib_images_take_a_bisenet_scenes_folder(tiny_onnx_logits, tmp_path):
    """--calib-images calib/ where calib/ is bisenet-scenes output (calib/images + calib/labels), as the
    README's OpenVINO example runs it: the OV INT8 column's QDQ model is calibrated on its pictures."""
    from bisenet_deploy.bench.openvino import calibrate
    from bisenet_deploy.runtime.backends.openvino_precision import is_qdq_file
    from bisenet_deploy.scenes.main import main as scenes_main

    scenes = str(tmp_path / "calib")
    assert scenes_main([scenes, "--count", "12", "--size", "64x96", "--seed", "3"]) == 0
    workdir = tmp_path / "work"
    workdir.mkdir()
    qdq = calibrate(tiny_onnx_logits, str(workdir), scenes + os.sep, debug=False)
    assert is_qdq_file(qdq)


def test_a_missing_calib_images_folder_fails_before_any_model_is_built(tmp_path, monkeypatch):
    """One line naming the flag, exit 2, and nothing prepared: the folder is listed before the models."""
    import bisenet_deploy.bench.main as bench_main
    from bisenet_deploy.runtime.image_sets import SPEC_FORMS

    def must_not_build(*args, **kwargs):
        raise AssertionError("a model was prepared before --calib-images was checked")

    monkeypatch.setattr(bench_main, "prepare_model", must_not_build)
    code, _, err = run_cli(bench_main.main, "--backends", "ort,openvino", "--calib-images", tmp_path / "calib")
    assert code == 2 and err.strip() == "bisenet-bench: --calib-images not found: {} (expected {})".format(
        tmp_path / "calib", SPEC_FORMS)


def test_a_failed_calibration_names_one_program(tiny_onnx_logits, tmp_path):
    from bisenet_deploy.bench.openvino import calibrate
    from bisenet_deploy.core.errors import InputError

    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError) as failure:
        calibrate(tiny_onnx_logits, str(tmp_path), str(empty), debug=False)
    assert "bisenet-calibrate:" not in str(failure.value) and "no images" in str(failure.value)
