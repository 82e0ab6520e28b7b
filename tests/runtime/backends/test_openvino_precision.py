"""auto's precision on a CPU: chosen by what the CPU runs natively and, for BF16, by what it runs faster
(measured by OpenVINO itself, cached); the rules as plain Python with any capability list, the speed
probe with the real CPU plugin."""

import json

import pytest

from bisenet_deploy.runtime.backends.openvino_precision import plan_precision, prefers_openvino
from bisenet_deploy.runtime.backends import openvino_speed

AVX512_BF16 = ["FP32", "BF16", "FP16", "INT8"]


def test_auto_takes_bf16_only_where_it_is_native_and_faster():
    assert plan_precision("auto", AVX512_BF16, False, bf16_fast=True).used == "bf16"
    slow = plan_precision("auto", AVX512_BF16, False, bf16_fast=False)
    assert slow.used == "fp32" and any("no faster than FP32" in note for note in slow.notes)
    assert plan_precision("auto", ["FP32", "INT8"], False, bf16_fast=True).used == "fp32"


def test_an_int8_models_float_layers_follow_the_same_rule():
    assert plan_precision("int8", AVX512_BF16, True, bf16_fast=True).hint == "bf16"
    assert plan_precision("int8", AVX512_BF16, True, bf16_fast=False).hint == "f32"


def test_an_explicit_bf16_request_runs_even_where_it_is_slower():
    assert plan_precision("bf16", AVX512_BF16, False, bf16_fast=False).used == "bf16"


def test_openvino_is_preferred_for_qdq_models_and_fast_bf16_only():
    assert prefers_openvino(AVX512_BF16, qdq=True, bf16_fast=False)
    assert prefers_openvino(AVX512_BF16, qdq=False, bf16_fast=True)
    assert not prefers_openvino(AVX512_BF16, qdq=False, bf16_fast=False)


@pytest.mark.parametrize("speed, pays", [({"fp32": 100.0, "bf16": 250.0}, True), ({"fp32": 300.0, "bf16": 165.0}, False),
                                         ({"fp32": 100.0, "bf16": 110.0}, False)])
def test_bf16_must_beat_fp32_by_a_margin(speed, pays):
    assert openvino_speed.bf16_pays(speed) is pays


def test_the_probe_measures_both_precisions_once_and_caches_them(tmp_path, monkeypatch):
    ov = pytest.importorskip("openvino")
    core = ov.Core()
    if "BF16" not in [str(c) for c in core.get_property("CPU", "OPTIMIZATION_CAPABILITIES")]:
        pytest.skip("this CPU has no native BF16 to measure")
    monkeypatch.setattr(openvino_speed, "PROBE_SIZE", 256)  # the arithmetic, not this CPU's peak
    cache = str(tmp_path / "speed.json")
    first = openvino_speed.bf16_speed(core, "test cpu", 1, cache)
    assert set(first) == {"fp32", "bf16"} and all(value > 0 for value in first.values())
    stored = json.loads(open(cache).read())
    assert list(stored.values()) == [first] and "test cpu" in list(stored)[0]
    monkeypatch.setattr(openvino_speed, "matmul_gflops", lambda *args, **kwargs: pytest.fail("measured again"))
    assert openvino_speed.bf16_speed(core, "test cpu", 1, cache) == first
