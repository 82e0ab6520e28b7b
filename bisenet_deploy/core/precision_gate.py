"""The precision gate: one rule for every reduced precision (bisenet-calibrate's QDQ INT8 model, OpenVINO
BF16/FP16/INT8 on a CPU, TensorRT FP16/INT8), judged on what users care about, never on a drawn picture.

- Where labels exist (--labels, --verify-labels, the generated scenes, bisenet-eval data): the mIoU drop
  against FP32, at most MAX_MIOU_DROP_POINTS.
- Without labels: the argmax agreement with FP32 pooled over the user's own images, at least
  MIN_AGREEMENT[precision].
Pixel agreement, the worst image and the max abs diff are always reported beside the verdict.

Margins behind the defaults (benchmarks/precision_margins.py; docs/cpu.md "Precision gates"): the trained demo
model against ONNX Runtime FP32 on 100 generated held-out scenes, QDQ from bisenet-calibrate's defaults,
on an AMX Xeon, an Intel Xeon with AVX-512 BF16/FP16/VNNI but no AMX, and an AMD EPYC (AVX-512, no AMX):
- INT8 agreement: lowest 95.0% (OpenVINO INT8 at 512x512, far from the model's 192x256 training size;
  99.1% at 192x256 under ONNX Runtime on every kind); 0.93 leaves 2 points. A QDQ copy whose activation
  scales are 10x too coarse agrees on 88-92% at 192x256 (and loses 7-10 mIoU points): agreement alone
  judges poorly, so labels decide where they exist.
- BF16 (8 mantissa bits): lowest 99.56%; 0.97 leaves room for networks with flatter scores.
- FP16 and FP32: 99.95% and 100%; 0.99 leaves about a point for TensorRT's own kernels (and TF32).
- mIoU: no precision cost more than 0.73 points on any kind measured (AMD, ORT INT8 at 512x512); 1.0 is
  the default.
"""

import collections

MAX_MIOU_DROP_POINTS = 1.0
MIN_AGREEMENT = {"fp32": 0.99, "bf16": 0.97, "fp16": 0.99, "int8": 0.93}
# Below this FP32 mIoU the labels say little about the model (another dataset's classes, an untrained
# net): the verdict still follows them, with a warning that names the figure.
MEANINGFUL_MIOU = 0.10

Verdict = collections.namedtuple("Verdict", "passed criterion measured limit text warning")
Verdict.__doc__ = """criterion: "miou_drop" (points) or "agreement" (fraction); measured/limit in those
units; text: one line for logs and errors; warning: a line to show, or None."""


def judge(precision, agreement, miou_reference=None, miou_candidate=None, max_miou_drop=None,
          min_agreement=None):
    # type: (str, float, float, float, float, float) -> Verdict
    """The verdict on a reduced-precision model measured against FP32 on the same images.

    `agreement` is the pooled pixel agreement (0..1); `miou_*` are given where labels exist (0..1);
    `max_miou_drop` is in points (default MAX_MIOU_DROP_POINTS), `min_agreement` a fraction (default
    MIN_AGREEMENT[precision])."""
    if miou_reference is not None and miou_candidate is not None:
        limit = MAX_MIOU_DROP_POINTS if max_miou_drop is None else float(max_miou_drop)
        drop = 100.0 * (miou_reference - miou_candidate)
        passed = drop <= limit + 1e-9
        text = "mIoU drop {:.2f} points {} {:.2f} (FP32 {:.2f}% -> {} {:.2f}%; pixel agreement {:.3f}%)".format(
            drop, "<=" if passed else ">", limit, 100.0 * miou_reference, precision.upper(), 100.0 * miou_candidate,
            100.0 * agreement)
        warning = None
        if miou_reference < MEANINGFUL_MIOU:
            warning = ("FP32 scores only {:.1f}% mIoU on these labels, so they say little about this model; give "
                       "labelled images of its own dataset".format(100.0 * miou_reference))
        return Verdict(passed, "miou_drop", drop, limit, text, warning)
    limit = MIN_AGREEMENT.get(precision, MIN_AGREEMENT["fp32"]) if min_agreement is None else float(min_agreement)
    passed = agreement >= limit
    text = "pixel agreement {:.3f}% {} {:.3f}% ({} without labels)".format(
        100.0 * agreement, ">=" if passed else "<", 100.0 * limit, precision.upper())
    return Verdict(passed, "agreement", agreement, limit, text, None)


def verdict_record(verdict):
    # type: (Verdict) -> dict
    """The verdict as plain JSON values (model cards, eval JSON)."""
    return {"criterion": verdict.criterion, "measured": verdict.measured, "limit": verdict.limit,
            "passed": bool(verdict.passed)}
