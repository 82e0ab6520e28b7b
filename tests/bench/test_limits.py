"""The MatMul limits, measured by the real engines on small matrices: each OpenVINO precision this CPU runs
natively compiles to a kernel of that precision, ONNX Runtime runs its FP32, and a limit that cannot be
measured is left out with the reason instead of failing the bench. Rates are never judged."""

import numpy as np
import onnxruntime
import pytest

from bisenet_deploy.bench import limits
from bisenet_deploy.runtime.backends.openvino_backend import cpu_facts
from bisenet_deploy.runtime.backends.openvino_precision import native

SMALL = 64


def native_keys():
    capabilities = cpu_facts()[1]
    return [key for key, (engine, precision) in limits.LIMITS.items()
            if engine == "onnxruntime" or native(precision, capabilities)]


def test_the_matmul_models_compute_a_times_w(tmp_path):
    """The FP32 model is exactly a @ w; the QDQ one takes `a` as uint8 and computes its dequantized values
    times w on the int8 grid (scale QDQ_SCALE)."""
    w = np.random.RandomState(0).randn(SMALL, SMALL).astype(np.float32)
    for quantized in (False, True):
        path = limits.write_matmul_onnx(str(tmp_path / "m{}.onnx".format(int(quantized))), SMALL, quantized)
        session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
        a = limits.matmul_input(SMALL, quantized)
        expected = a @ w
        if quantized:
            scale = limits.QDQ_SCALE
            assert a.dtype == np.uint8
            expected = ((a.astype(np.float32) - limits.UINT8_ZERO) * scale) @ (
                np.clip(np.round(w / scale), -128, 127) * scale)
        np.testing.assert_allclose(session.run(None, {"a": a})[0], expected, rtol=1e-4, atol=1e-3)


def test_every_native_limit_runs_in_its_own_precision(tmp_path):
    pytest.importorskip("openvino")
    keys = native_keys()
    probes, missing = limits.open_probes(keys, 1, str(tmp_path), SMALL)
    assert dict(missing) == {} and [probe.key for probe in probes] == keys  # checked kernels, table order
    for probe in probes:
        probe.warm(1)
        probe.measure(99)  # a limit runs LIMIT_RUNS per round, whatever the columns' block
        probe.measure(99)
        assert len(probe.seconds) == 2 * limits.LIMIT_RUNS
        assert probe.gflops() == pytest.approx(2.0 * SMALL ** 3 / np.median(probe.seconds) / 1e9)
        assert probe.label == limits.limit_source(probe.key)


def test_a_kernel_in_another_precision_is_not_reported_as_the_limit(tmp_path, monkeypatch):
    pytest.importorskip("openvino")
    monkeypatch.setitem(limits.RUNTIME_PRECISION, "fp32", ("bf16",))  # as if OpenVINO had not run FP32
    probes, missing = limits.open_probes(["openvino_fp32"], 1, str(tmp_path), SMALL)
    assert probes == []
    assert missing["openvino_fp32"].startswith("OpenVINO ran the FP32 MatMul as ")


def test_a_missing_engine_leaves_its_limit_out_with_the_reason(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "is_installed", lambda name: name != "openvino")
    probes, missing = limits.open_probes(["onnxruntime_fp32", "openvino_bf16", "openvino_fp32"], 1,
                                         str(tmp_path), SMALL)
    assert [probe.key for probe in probes] == ["onnxruntime_fp32"]
    assert list(missing) == ["openvino_fp32", "openvino_bf16"]
    assert all("OpenVINO is not installed" in reason for reason in missing.values())


def test_without_onnx_no_limit_is_measured(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "is_installed", lambda name: name != "onnx")
    probes, missing = limits.open_probes(["onnxruntime_fp32"], 1, str(tmp_path), SMALL)
    assert probes == [] and "onnx is not installed" in missing["onnxruntime_fp32"]
