"""Precision decisions: honest about what the GPU and the TensorRT generation can do."""

import pytest

from bisenet_deploy.engines.device import has_fast_fp16, has_fast_int8
from bisenet_deploy.engines.precision import Capabilities, GraphFacts, default_precision, graph_facts, plan_precision
from bisenet_deploy.core.errors import InputError


def caps(flags=True, calibrators=True, fp16=True, int8=False, capability="6.2", qdq=True, converter=False):
    return Capabilities("8.2.1", flags, calibrators, fp16, int8, "NVIDIA Tegra X2 (sm_62)", capability, qdq,
                        converter)


FLOAT = GraphFacts(qdq=False, float16_weights=False)
QDQ = GraphFacts(qdq=True, float16_weights=False)
HALF = GraphFacts(qdq=False, float16_weights=True)


@pytest.mark.parametrize("capability,fp16,int8", [
    ("5.3", True, False),   # Nano / TX1
    ("6.1", False, True),   # GTX 10xx: DP4A, slow FP16
    ("6.2", True, False),   # TX2
    ("7.2", True, True),    # Xavier
    ("8.7", True, True),    # Orin
    ("6.0", True, False),   # P100
])
def test_architecture_table(capability, fp16, int8):
    assert (has_fast_fp16(capability), has_fast_int8(capability)) == (fp16, int8)


def test_tx2_int8_refusal_says_why_and_what_to_do():
    with pytest.raises(InputError) as info:
        plan_precision("int8", caps(), FLOAT, have_calibration_data=True)
    text = str(info.value)
    assert "no fast INT8" in text and "--fp16" in text and "--force-int8" in text and "sm_62" in text


def test_forced_int8_keeps_fp16_fallback_and_warns():
    plan = plan_precision("int8", caps(), FLOAT, force_int8=True, have_calibration_data=True)
    assert plan.used == "int8" and plan.flags == ["INT8", "FP16"] and plan.calibrate
    assert any("slower than FP16" in note for note in plan.notes)


def test_qdq_model_builds_explicit_int8_without_calibrator():
    plan = plan_precision("int8", caps(int8=True, capability="7.2"), QDQ)
    assert plan.used == "int8" and not plan.calibrate and "INT8" in plan.flags


def test_qdq_model_is_refused_where_tensorrt_predates_explicit_quantization():
    with pytest.raises(InputError, match="cannot build explicit INT8"):
        plan_precision("int8", caps(int8=True, capability="7.2", qdq=False), QDQ)


def test_qdq_model_requires_int8_flag():
    with pytest.raises(InputError, match="QDQ"):
        plan_precision("fp16", caps(int8=True), QDQ)


def test_no_fast_fp16_falls_back_to_fp32_and_says_so():
    plan = plan_precision("fp16", caps(fp16=False, int8=True, capability="6.1"), FLOAT)
    assert plan.used == "fp32" and plan.flags == [] and "no fast FP16" in plan.notes[0]


def test_trt11_precision_comes_from_the_onnx():
    trt11 = caps(flags=False, calibrators=False, fp16=True, int8=True, capability="8.9")
    assert plan_precision("fp16", trt11, HALF).used == "fp16"
    assert plan_precision("int8", trt11, QDQ).flags == []
    with pytest.raises(InputError, match="onnxconverter-common"):
        plan_precision("fp16", trt11, FLOAT)
    converting = plan_precision("fp16", trt11._replace(fp16_converter=True), FLOAT)
    assert converting.used == "fp16" and converting.convert_to_fp16 and converting.flags == []
    assert not plan_precision("fp16", trt11, HALF).convert_to_fp16
    with pytest.raises(InputError, match="FP16 weights"):
        plan_precision("fp32", trt11, HALF)
    with pytest.raises(InputError, match="bisenet-calibrate"):
        plan_precision("int8", trt11, FLOAT)


def test_trt11_still_refuses_int8_on_a_gpu_without_fast_int8():
    with pytest.raises(InputError, match="no fast INT8"):
        plan_precision("int8", caps(flags=False, calibrators=False), QDQ)


def test_default_precision():
    assert default_precision(caps(), FLOAT) == "fp16"
    assert default_precision(caps(fp16=False), FLOAT) == "fp32"
    assert default_precision(caps(flags=False), FLOAT) == "fp32"
    assert default_precision(caps(flags=False), HALF) == "fp16"
    assert default_precision(caps(flags=False, converter=True), FLOAT) == "fp16"
    assert default_precision(caps(), QDQ) == "int8"


def test_unknown_precision_is_bad_input():
    with pytest.raises(InputError, match="unknown precision"):
        plan_precision("fp8", caps(), FLOAT)


def test_graph_facts_on_a_real_export(tiny_onnx_labels):
    with open(tiny_onnx_labels, "rb") as handle:
        data = handle.read()
    assert graph_facts(data, {"input": {"dtype": "float32"}}) == GraphFacts(False, False)


def test_graph_facts_without_onnx_use_the_protobuf_op_name_and_card(tiny_onnx_labels, monkeypatch):
    from bisenet_deploy.engines import precision

    monkeypatch.setattr(precision, "is_installed", lambda name: False)
    with open(tiny_onnx_labels, "rb") as handle:
        data = handle.read()
    card = {"input": {"dtype": "float32"}}
    assert graph_facts(data, card) == GraphFacts(False, False)
    assert graph_facts(data + b"QuantizeLinear", card).qdq
    assert graph_facts(data, dict(card, calibration={"method": "entropy"})).qdq
    assert graph_facts(data, {"input": {"dtype": "float16"}}).float16_weights
