"""--verify: the engine's output against ONNX Runtime's on the same inputs, with real ONNX Runtime
sessions; where TensorRT itself would run, a stand-in (named "stub") returns ONNX Runtime's output
with a known share of pixels changed."""

import pytest
from trt_stubs import TX2

from bisenet_deploy.engines import main as engines_main
from bisenet_deploy.engines.verify import MIN_AGREEMENT, compare_backends, default_inputs, failures
from bisenet_deploy.core.errors import WorkFailed
from bisenet_deploy.runtime.backends.ort import OrtBackend
from bisenet_deploy.runtime.model_card import load_model_card

CPU = ["CPUExecutionProvider"]


class DisagreeingEngineStub(object):
    """Answers like ONNX Runtime, except that a `wrong` share of label pixels is moved to another class."""

    def __init__(self, onnx_path, card, wrong):
        self.reference = OrtBackend(onnx_path, card, providers=CPU)
        self.card, self.wrong = card, wrong

    def __enter__(self):
        self.reference.activate()
        return self

    def __exit__(self, *exc):
        self.reference.deactivate()

    def infer(self, batch):
        output = self.reference.infer(batch).copy()
        flat = output.reshape(-1)
        count = int(round(self.wrong * flat.size))
        flat[:count] = (flat[:count] + 1) % self.card["num_classes"]
        return output


@pytest.mark.parametrize("fixture", ["tiny_onnx_labels", "tiny_onnx_logits"])
def test_identical_backends_agree_completely(fixture, request):
    onnx_path = request.getfixturevalue(fixture)
    card = load_model_card(onnx_path)
    with OrtBackend(onnx_path, card, providers=CPU) as a, OrtBackend(onnx_path, card, providers=CPU) as b:
        rows = compare_backends(a, b, card, default_inputs(card))
    assert [row.name for row in rows] == ["sample image", "random #1", "random #2"]
    assert all(row.agreement == 1.0 for row in rows) and failures(rows, "fp16") == []
    if card["head"] == "logits":
        assert all(row.max_abs_diff == 0.0 for row in rows)
    else:  # a labels head has no scores to compare
        assert all(row.max_abs_diff != row.max_abs_diff for row in rows)


def test_tolerance_depends_on_the_precision_with_stub(tiny_onnx_labels):
    card = load_model_card(tiny_onnx_labels)
    with DisagreeingEngineStub(tiny_onnx_labels, card, 0.05) as engine, \
            OrtBackend(tiny_onnx_labels, card, providers=CPU) as reference:
        rows = compare_backends(engine, reference, card, default_inputs(card))
    assert all(abs(row.agreement - 0.95) < 1e-3 for row in rows)
    # judged on the picture only: noise inputs are near-ties everywhere
    assert [row.name for row in failures(rows, "fp16")] == ["sample image"] and failures(rows, "int8") == []
    assert MIN_AGREEMENT["fp32"] >= MIN_AGREEMENT["fp16"] > MIN_AGREEMENT["int8"]


def test_verify_failure_exits_1_with_the_numbers_with_stub(tiny_onnx_labels, monkeypatch):
    card = load_model_card(tiny_onnx_labels)
    from bisenet_deploy.runtime.backends import trt_backend

    monkeypatch.setattr(trt_backend, "TrtBackend",
                        lambda path, card_, api, cuda, device: DisagreeingEngineStub(tiny_onnx_labels, card_, 0.2))
    sidecar = {"model_card": card, "precision": "fp16"}
    with pytest.raises(WorkFailed) as info:
        engines_main.verify_built_engine("m.engine", tiny_onnx_labels, sidecar, None, TX2, None)
    assert "80.00%" in str(info.value) and "at least 99%" in str(info.value) and "random" not in str(info.value)
