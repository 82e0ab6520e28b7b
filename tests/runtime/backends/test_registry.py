"""Backends: real ONNX Runtime sessions and the real PyTorch checkpoint on the tiny model."""

import cv2
import numpy as np
import pytest

from agreement import assert_agree
from bisenet_deploy.core.errors import InputError
from bisenet_deploy.core.comparison import SAMPLE_IMAGE
from bisenet_deploy.core.lazy import is_installed
from bisenet_deploy.runtime.backends import BACKENDS, available_backends, create_backend, resolve_backend_name
from bisenet_deploy.runtime.backends.base import Backend
from bisenet_deploy.runtime.backends.ort import OrtBackend
from bisenet_deploy.runtime.backends.torch_backend import TorchBackend
from bisenet_deploy.runtime.model_card import load_model_card
from bisenet_deploy.core.preprocess import preprocess

CPU_ONLY = ["CPUExecutionProvider"]  # exact float comparisons: a GPU provider may use TF32


def network_inputs(input_hw):
    """The sample photo and two random normalized batches, as the network sees them."""
    rng = np.random.RandomState(1)
    return [preprocess(cv2.imread(SAMPLE_IMAGE), input_hw)] + [
        rng.standard_normal((1, 3) + tuple(input_hw)).astype(np.float32) for _ in range(2)]


def run_all(backend, inputs):
    with backend:
        return [backend.infer(x) for x in inputs]


def torch_card(checkpoint, head):
    return load_model_card(checkpoint, {"input_size": (64, 96), "head": head})


def test_ort_backend_runs_the_labels_model(tiny_onnx_labels):
    card = load_model_card(tiny_onnx_labels)
    backend = OrtBackend(tiny_onnx_labels, card, threads=1, providers=CPU_ONLY)
    assert not backend.is_active
    with backend as active:
        assert active is backend and backend.is_active
        labels = backend.infer(network_inputs((64, 96))[0])
        assert backend.last_infer_seconds > 0
        assert "CPUExecutionProvider" in backend.describe()
    assert not backend.is_active
    assert labels.shape == (1, 64, 96) and labels.dtype == np.int32
    assert labels.min() >= 0 and labels.max() < card["num_classes"]
    assert len(np.unique(labels)) > 1  # a random-weight net still varies over a real photo
    description = backend.describe()
    assert description.startswith("ort backend") and "threads=1" in description and tiny_onnx_labels in description


def test_torch_and_ort_logits_agree(tiny_checkpoint, tiny_onnx_logits):
    inputs = network_inputs((64, 96))
    ort_out = run_all(OrtBackend(tiny_onnx_logits, load_model_card(tiny_onnx_logits), providers=CPU_ONLY), inputs)
    torch_out = run_all(TorchBackend(tiny_checkpoint, torch_card(tiny_checkpoint, "logits")), inputs)
    for ours, reference in zip(ort_out, torch_out):
        assert ours.shape == reference.shape == (1, 37, 8, 12)
        assert ours.dtype == reference.dtype == np.float32
        assert np.max(np.abs(ours - reference)) <= 1e-4
        assert_agree(ours.argmax(1), reference.argmax(1), 0.999)


def test_torch_and_ort_labels_agree(tiny_checkpoint, tiny_onnx_labels):
    inputs = network_inputs((64, 96))
    ort_out = run_all(OrtBackend(tiny_onnx_labels, load_model_card(tiny_onnx_labels), providers=CPU_ONLY), inputs)
    torch_out = run_all(TorchBackend(tiny_checkpoint, torch_card(tiny_checkpoint, "labels")), inputs)
    for ours, reference in zip(ort_out, torch_out):
        assert ours.shape == reference.shape == (1, 64, 96)
        assert reference.dtype == np.int32
        assert_agree(ours, reference, 0.999)


def test_torch_backend_gives_back_its_thread_count(tiny_checkpoint):
    import torch

    before = torch.get_num_threads()
    wanted = 1 if before != 1 else 2
    backend = TorchBackend(tiny_checkpoint, torch_card(tiny_checkpoint, "logits"), threads=wanted)
    with backend:
        assert torch.get_num_threads() == wanted
        assert "PyTorch cpu" in backend.describe()
    assert torch.get_num_threads() == before


@pytest.mark.parametrize("batch, expected", [
    (np.zeros((1, 3, 64, 64), np.float32), "1x3x64x64"),
    (np.zeros((1, 3, 96, 64), np.float32), "1x3x96x64"),
    (np.zeros((1, 3, 64, 96), np.float64), "float64"),
    ([[0.0]], "nothing"),
])
def test_wrong_input_is_refused(tiny_onnx_labels, batch, expected):
    backend = OrtBackend(tiny_onnx_labels, load_model_card(tiny_onnx_labels), providers=CPU_ONLY)
    with backend:
        with pytest.raises(InputError) as info:
            backend.infer(batch)
    assert expected in str(info.value) and "1x3x64x96 float32" in str(info.value)


def test_infer_before_activate_is_a_bug(tiny_onnx_labels):
    backend = OrtBackend(tiny_onnx_labels, load_model_card(tiny_onnx_labels))
    with pytest.raises(RuntimeError):
        backend.infer(np.zeros((1, 3, 64, 96), np.float32))


def test_ort_refuses_a_corrupt_model(tmp_path, tiny_onnx_labels):
    card = load_model_card(tiny_onnx_labels)
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(open(tiny_onnx_labels, "rb").read()[:5000])
    with pytest.raises(InputError, match="cannot load"):
        OrtBackend(str(broken), card).activate()
    with pytest.raises(InputError, match="not found"):
        OrtBackend(str(tmp_path / "gone.onnx"), card).activate()


def test_threads_must_be_positive(tiny_onnx_labels):
    with pytest.raises(InputError, match="--threads"):
        OrtBackend(tiny_onnx_labels, load_model_card(tiny_onnx_labels), threads=0)


def test_available_reads_installed_packages_only():
    class NeedsMissingPackage(Backend):
        requires = ("bisenet_deploy_no_such_package",)

    assert OrtBackend.available() is True
    assert TorchBackend.available() is True
    assert NeedsMissingPackage.available() is False
    assert available_backends() == [n for n in ("trt", "openvino", "ort", "torch", "triton")
                                    if n in available_backends()]
    assert {"ort", "torch"} <= set(available_backends())


@pytest.mark.parametrize("model, expected", [
    ("m.onnx", "ort"), ("M.ONNX", "ort"), ("ckpt.pth", "torch"), ("checkpoint.pth.tar", "torch"),
])
def test_auto_picks_the_backend_for_the_file(model, expected):
    assert resolve_backend_name("auto", model) == expected
    assert resolve_backend_name(expected, model) == expected


@pytest.mark.skipif(is_installed("tensorrt"), reason="tensorrt is installed here")
@pytest.mark.parametrize("name", ["auto", "trt"])
def test_engine_without_tensorrt_says_how_to_get_it(name):
    with pytest.raises(InputError) as info:
        resolve_backend_name(name, "model.engine")
    message = str(info.value)
    assert "TensorRT is not installed" in message and "python3-libnvinfer" in message


@pytest.mark.parametrize("name, model, words", [
    ("ort", "model.engine", ["--backend ort runs .onnx", "--backend trt"]),
    ("torch", "model.onnx", ["--backend torch runs .pth", "--backend ort"]),
    ("ort", "ckpt.pth", ["bisenet-export"]),
    ("trt", "model.onnx", ["bisenet-build-engine"]),
    ("tensorflow", "model.onnx", ["unknown backend", "auto, trt, openvino, ort, torch"]),
    ("auto", "model.bin", ["unknown model type"]),
])
def test_wrong_backend_for_the_file_is_refused(name, model, words):
    with pytest.raises(InputError) as info:
        resolve_backend_name(name, model)
    for word in words:
        assert word in str(info.value)


class _TrtStub(Backend):
    """Stands in for the TensorRT backend of a later issue."""
    name = "trt"
    kinds = ("engine",)
    requires = ()


def test_auto_prefers_trt_for_an_engine_with_stub(monkeypatch):
    monkeypatch.setitem(BACKENDS, "trt", _TrtStub)
    assert resolve_backend_name("auto", "model.engine") == "trt"
    assert available_backends()[0] == "trt"
    assert resolve_backend_name("auto", "model.onnx") == "ort"


@pytest.mark.skipif(is_installed("tensorrt") and is_installed("pycuda"), reason="TensorRT and pycuda are installed")
def test_trt_backend_unavailable_without_tensorrt_or_pycuda():
    assert "trt" not in available_backends()
    with pytest.raises(InputError) as info:
        resolve_backend_name("trt", "model.engine")
    missing = [p for p in ("tensorrt", "pycuda") if not is_installed(p)]
    assert ("TensorRT is not installed" in str(info.value)) == ("tensorrt" in missing)
    assert ("pycuda is not installed" in str(info.value)) == ("pycuda" in missing)


def test_create_backend_builds_an_inactive_backend(tiny_onnx_labels, tiny_checkpoint):
    card = load_model_card(tiny_onnx_labels)
    backend = create_backend("ort", tiny_onnx_labels, card, threads=2, providers=CPU_ONLY)
    assert isinstance(backend, OrtBackend) and not backend.is_active
    assert backend.threads == 2 and backend.providers == CPU_ONLY and backend.precision == "fp32"
    torch_backend = create_backend("torch", tiny_checkpoint, torch_card(tiny_checkpoint, "logits"))
    assert isinstance(torch_backend, TorchBackend) and not torch_backend.is_active
    with pytest.raises(InputError):
        create_backend("torch", tiny_onnx_labels, card)
