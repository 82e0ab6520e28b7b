"""The FP16 copy TensorRT 11 builds FP16 engines from: real conversion, checked with ONNX Runtime."""

import numpy as np
import onnx
import pytest

from agreement import assert_agree
from bisenet_deploy.core.comparison import verification_inputs
from bisenet_deploy.engines.fp16_onnx import convert_to_fp16
from bisenet_deploy.core.precision_gate import MIN_AGREEMENT
from bisenet_deploy.core.modelcard import MODEL_CARD_KEY
from bisenet_deploy.scenes.demo_model import DEMO_INPUT_SIZE

ort = pytest.importorskip("onnxruntime")


def run(model_bytes, x):
    session = ort.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])
    return session.run(None, {"input": x})[0]


@pytest.mark.parametrize("fixture", ["demo_onnx_logits", "demo_onnx_labels"])
def test_fp16_copy_keeps_io_types_card_and_answers(fixture, request):
    data = open(request.getfixturevalue(fixture), "rb").read()
    converted = convert_to_fp16(data)
    model = onnx.load_from_string(converted)
    assert all(init.data_type != onnx.TensorProto.FLOAT for init in model.graph.initializer)
    assert any(init.data_type == onnx.TensorProto.FLOAT16 for init in model.graph.initializer)
    original = onnx.load_from_string(data)
    assert [o.type.tensor_type.elem_type for o in model.graph.output] == \
        [o.type.tensor_type.elem_type for o in original.graph.output]
    assert {p.key: p.value for p in model.metadata_props}[MODEL_CARD_KEY] == \
        {p.key: p.value for p in original.metadata_props}[MODEL_CARD_KEY]
    ((_, picture),) = verification_inputs(DEMO_INPUT_SIZE, 1, random_count=0)
    full, half = run(data, picture), run(converted, picture)
    assert half.dtype == full.dtype and half.shape == full.shape
    if fixture == "demo_onnx_logits":
        assert np.max(np.abs(half - full)) < 0.01 * np.max(np.abs(full))  # FP16 rounding, not a different model
    else:  # the trained model: FP16 moves only a few boundary pixels of the sample picture
        assert_agree(half, full, MIN_AGREEMENT["fp16"])

