"""evaluate/change.py: --compare's mIoU difference names its order and says its sign in words."""

import pytest

from bisenet_deploy.evaluate.change import miou_change_text


@pytest.mark.parametrize("model, compare, text", [
    (0.7200, 0.7158, "mIoU change, --compare minus --model: -0.42 points (--compare lower)"),
    (0.7158, 0.7200, "mIoU change, --compare minus --model: +0.42 points (--compare higher)"),
    (0.7200, 0.72001, "mIoU change, --compare minus --model: 0.00 points (equal)"),
    (0.7200, float("nan"), "mIoU change: n/a (no labelled pixels to score)"),
])
def test_the_change_names_its_order_and_its_sign(model, compare, text):
    assert miou_change_text(model, compare) == text
