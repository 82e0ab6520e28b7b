"""How bisenet-eval --compare says the mIoU difference: which model minus which, with the sign in words,
so "-0.42" cannot be read either way round."""

import math

# Below this many points the two figures print the same at two decimals: "equal", not "+0.00 (higher)"
EQUAL_POINTS = 0.005


def miou_change_text(miou_model, miou_compare):
    # type: (float, float) -> str
    """'mIoU change, --compare minus --model: -0.42 points (--compare lower)'; mIoUs are 0..1."""
    if any(value is None or math.isnan(value) for value in (miou_model, miou_compare)):
        return "mIoU change: n/a (no labelled pixels to score)"
    change = 100.0 * (miou_compare - miou_model)
    if abs(change) < EQUAL_POINTS:
        return "mIoU change, --compare minus --model: 0.00 points (equal)"
    return "mIoU change, --compare minus --model: {:+.2f} points (--compare {})".format(
        change, "lower" if change < 0 else "higher")
