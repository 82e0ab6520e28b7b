"""bisenet-bench's TensorRT columns: engines measured through the TensorRT backend on stand-ins for
TensorRT and pycuda (names say "stub"), the copy/mapped columns, and the trtexec cross-check with a
stand-in trtexec script."""

import json
import os
import stat

import pytest
from cli_capture import run_cli
from trt_stubs import TX2, FakeMemory, StubGpuOps, StubPycudaDriver, make_trt, write_engine_sidecar

from bisenet_deploy.engines.trt_api import TrtApi
from bisenet_deploy.bench import main as bench, trt as bench_trt
from bisenet_deploy.runtime.backends import BACKENDS
from bisenet_deploy.runtime.backends.trt_backend import TrtBackend
from bisenet_deploy.core.cuda_context import CudaContext
from bisenet_deploy.runtime.model_card import load_model_card

TRT8 = """[11/25/2026-10:00:00] [I] === Performance summary ===
[11/25/2026-10:00:00] [I] Throughput: 97.1 qps
[11/25/2026-10:00:00] [I] Latency: min = 10.1 ms, max = 12.0 ms, mean = 10.4 ms, median = {latency} ms
[11/25/2026-10:00:00] [I] GPU Compute Time: min = 9.5 ms, max = 11.2 ms, mean = 9.8 ms, median = {gpu} ms, percentile(99%) = 11.0 ms
[11/25/2026-10:00:00] [I] D2H Latency: min = 0.1 ms, max = 0.2 ms, mean = 0.1 ms, median = 0.15 ms
"""
TRT7 = """[I] Host Latency
[I] min: 10.1 ms (end to end 19.0 ms)
[I] median: {latency} ms (end to end 19.8 ms)
[I] GPU Compute
[I] min: 9.5 ms
[I] max: 11.2 ms
[I] mean: 9.8 ms
[I] median: {gpu} ms
"""


@pytest.mark.parametrize("template", [TRT8, TRT7])
def test_trtexec_median_gpu_compute_is_read_from_either_layout(template):
    assert bench_trt.parse_trtexec_median(template.format(latency=10.3, gpu=9.74)) == 9.74


def test_trtexec_report_without_gpu_compute_gives_none():
    assert bench_trt.parse_trtexec_median("[E] Engine deserialization failed\n") is None
    assert bench_trt.parse_trtexec_median(TRT8.replace("GPU Compute Time", "Something")
                                          .format(latency=1, gpu=2)) is None


def write_trtexec_stub(folder, gpu_ms, exit_code=0):
    """An executable that records its arguments and prints a TensorRT 8 performance summary."""
    script = folder / "trtexec"
    script.write_text("#!/bin/sh\necho \"$@\" > \"{}\"\ncat <<'EOF'\n{}EOF\nexit {}\n".format(
        folder / "args.txt", TRT8.format(latency=gpu_ms + 0.5, gpu=gpu_ms), exit_code))
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


def test_trtexec_runs_on_the_engine_with_stub(tmp_path):
    trtexec = write_trtexec_stub(tmp_path, 4.25)
    assert bench_trt.trtexec_latency_ms("/models/m.engine", 30, 200, trtexec) == 4.25
    args = (tmp_path / "args.txt").read_text().split()
    assert args == ["--loadEngine=/models/m.engine", "--iterations=30", "--warmUp=200", "--duration=0"]


def test_failing_trtexec_gives_none_with_stub(tmp_path):
    assert bench_trt.trtexec_latency_ms("m.engine", 5, 200, write_trtexec_stub(tmp_path, 1.0, exit_code=1)) is None


def test_missing_trtexec_is_bad_input(monkeypatch):
    monkeypatch.setenv("PATH", "")
    monkeypatch.setattr(bench_trt, "JETPACK_TRTEXEC", "/nonexistent/trtexec")
    with pytest.raises(Exception, match="trtexec is neither on PATH"):
        bench_trt.find_trtexec()


@pytest.fixture
def stub_trt_bench(tiny_onnx_labels, tmp_path, monkeypatch):
    """An engine + sidecar for the tiny labels model, and the trt backend wired to stand-ins."""
    engine = str(tmp_path / "tiny.fp16.engine")
    open(engine, "wb").write(b"PLAN ['FP16']")
    card = load_model_card(tiny_onnx_labels)
    stub = make_trt("8.2", FakeMemory(), input_shape=(1, 3, 64, 96), output_shape=(1, 64, 96))
    write_engine_sidecar(engine, card, stub.module.__version__, tiny_onnx_labels)

    class StubWiredTrtBackend(TrtBackend):
        def __init__(self, model_path, card, threads=None, memory="auto"):
            super(StubWiredTrtBackend, self).__init__(
                model_path, card, threads, memory, api=TrtApi(trt=stub.module),
                cuda=CudaContext(driver=StubPycudaDriver(stub.memory)), device=TX2, gpu_ops=StubGpuOps(stub.memory))

    class Always(StubWiredTrtBackend):
        requires = ()

        @classmethod
        def bench_columns(cls):  # the Jetson's two buffer schemes, as on the TX2 the stub stands for
            return [("cuda", {"memory": m}) for m in ("copy", "mapped")]

    monkeypatch.setitem(BACKENDS, "trt", Always)
    return engine


def test_bench_fills_the_trt_columns_with_stub(stub_trt_bench, tmp_path, monkeypatch):
    out_json, out_md = str(tmp_path / "speed.json"), str(tmp_path / "speed.md")
    trtexec_dir = tmp_path / "bin"
    trtexec_dir.mkdir()
    write_trtexec_stub(trtexec_dir, 3.5)
    monkeypatch.setenv("PATH", str(trtexec_dir) + os.pathsep + os.environ["PATH"])
    code, out, err = run_cli(bench.main, "--models", stub_trt_bench, "--backends", "trt", "--iters", "3",
                             "--warmup", "1", "--trtexec", "--json", out_json, "--markdown", out_md)
    assert code == 0, err
    records = json.load(open(out_json))
    assert [r["column"] for r in records] == ["TRT FP16", "TRT FP16 mapped"]
    assert [r["memory"] for r in records] == ["copy", "mapped"]
    assert records[0]["trtexec_latency_ms"] == 3.5 and "trtexec_latency_ms" not in records[1]
    header = [line for line in out.splitlines() if line.startswith("arch |")][0]
    assert header.endswith("TRT FP16 | TRT FP16 mapped")
    assert "## trtexec cross-check" in open(out_md).read()
    for record in records:  # stub events tick once per enqueue: 1 "ms" network, consistent FPS
        assert record["latency_ms"] == 1.0 and record["fps"] == 1000.0


def test_precisions_flag_is_checked():
    code, _, err = run_cli(bench.main, "--precisions", "fp16,bf16")
    assert code == 2 and "fp32,fp16,int8" in err
