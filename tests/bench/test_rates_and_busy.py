"""The arithmetic behind the speed table's GFLOP/s, share of limit, round spread and busy-host warning:
figures fed in through the arguments, never timed."""

import pytest

from bisenet_deploy.bench.busy import MAX_ROUND_SPREAD, busy_reasons, round_spread
from bisenet_deploy.bench.rates import achieved_gflops, limit_fields, limit_key


def test_gflops_are_two_flops_per_mac_over_the_network_time():
    assert achieved_gflops(5 * 10 ** 9, 20.0) == pytest.approx(500.0)  # 10 GFLOP in 0.02 s
    assert achieved_gflops(None, 20.0) is None


def test_the_share_is_the_rate_over_the_limit_as_a_fraction():
    fields = limit_fields(3 * 10 ** 9, 40.0, "openvino_bf16", {"openvino_bf16": 250.0})
    assert fields["gflops"] == 150.0 and fields["limit_gflops"] == 250.0
    assert fields["limit_share"] == 0.6 and fields["limit_source"] == "openvino matmul bf16"
    assert fields["macs"] == 3 * 10 ** 9


@pytest.mark.parametrize("macs, key, limits", [
    (None, "openvino_fp32", {"openvino_fp32": 100.0}),  # MACs unknown: a rate but no share
    (10 ** 9, "openvino_int8", {"openvino_int8": None}),  # the limit was not measured
    (10 ** 9, None, {}),  # a GPU column: no limit here
])
def test_an_unknown_figure_leaves_the_share_unknown(macs, key, limits):
    fields = limit_fields(macs, 10.0, key, limits)
    assert fields["limit_share"] is None
    assert (fields["gflops"] is None) == (macs is None)


@pytest.mark.parametrize("backend, device, precision, key", [
    ("openvino", "cpu", "fp32", "openvino_fp32"), ("openvino", "cpu", "bf16", "openvino_bf16"),
    ("openvino", "cpu", "int8", "openvino_int8"), ("openvino", "cpu", "fp16", None),
    ("ort", "cpu", "fp32", "onnxruntime_fp32"), ("torch", "cpu", "fp32", "onnxruntime_fp32"),
    ("ort", "cuda", "fp32", None), ("torch", "cuda", "fp32", None), ("trt", "cuda", "int8", None),
])
def test_each_column_is_judged_against_its_engine_and_precision(backend, device, precision, key):
    assert limit_key(backend, device, precision) == key


def test_round_spread_is_max_minus_min_over_the_median():
    assert round_spread([10.0, 12.0, 11.0]) == pytest.approx(2.0 / 11.0)
    assert round_spread([10.0, 14.0, 11.0, 12.0]) == pytest.approx(4.0 / 11.5)
    assert round_spread([10.0]) is None


def test_a_quiet_host_gets_no_warning():
    assert busy_reasons(2, 0.4, 2.3, 2.0, {"a OV FP32": 0.05, "a ort CPU": None}) == []


def test_load_above_the_threads_at_the_start_is_busy():
    reasons = busy_reasons(2, 2.5, 0.5, 0.0, {})
    assert reasons == ["load average 2.50 above the 2 threads when the bench started"]


def test_the_bench_s_own_load_is_not_counted_at_the_end():
    assert busy_reasons(2, 0.1, 3.5, 2.0, {}) == []  # 1.5 of other work: within 2 threads
    reasons = busy_reasons(2, 0.1, 4.5, 2.0, {})
    assert len(reasons) == 1 and "4.50 when it ended, 2.50 of it other work" in reasons[0]


def test_a_column_whose_rounds_spread_is_busy():
    spreads = {"m OV BF16": MAX_ROUND_SPREAD + 0.01, "m OV FP32": MAX_ROUND_SPREAD}
    assert busy_reasons(2, None, None, None, spreads) == ["m OV BF16: its rounds spread by 21% (over 20%)"]
