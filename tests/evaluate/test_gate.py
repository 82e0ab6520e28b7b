"""bisenet-eval --compare's verdict: the reduced precision of the two is judged against the other,
whichever flag names it, by the precision gate."""

import collections

from bisenet_deploy.evaluate.gate import judge_compare

Backend = collections.namedtuple("Backend", "precision")


def verdict(model, compare, miou_model, miou_compare, agreement=0.97):
    lines = []
    record, result = judge_compare(Backend(model), Backend(compare), agreement, miou_model, miou_compare, lines.append)
    return record, result, lines


def test_the_reduced_model_is_judged_against_the_fp32_one_either_way():
    record, result, lines = verdict("fp16", "fp32", 0.70, 0.72)
    assert record["judged"] == "--model" and not result.passed and lines[-1].startswith("FAILED | mIoU drop 2.00")
    record, result, _ = verdict("fp32", "int8", 0.72, 0.70)  # --compare runs INT8: it lost the two points
    assert record["judged"] == "--compare" and not result.passed and abs(result.measured - 2.0) < 1e-9
    record, result, _ = verdict("fp32", "int8", 0.70, 0.72)  # INT8 scored higher: nothing lost
    assert record["judged"] == "--compare" and result.passed


def test_without_labels_the_agreement_is_judged_at_the_reduced_precisions_threshold():
    record, result, _ = verdict("fp32", "int8", None, None, agreement=0.95)
    assert record == {"criterion": "agreement", "measured": 0.95, "limit": 0.93, "passed": True, "judged": "--compare"}
    record, result, _ = verdict("fp32", "fp32", float("nan"), float("nan"), agreement=0.95)
    assert record["criterion"] == "agreement" and record["limit"] == 0.99 and not result.passed
