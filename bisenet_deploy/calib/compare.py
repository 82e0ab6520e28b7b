"""Measure a QDQ INT8 model against its FP32 original with ONNX Runtime on the CPU: argmax pixel
agreement, max abs diff of the logits, and the mIoU of both when ground-truth labels are given.

Label maps are compared at the network's input size; mIoU is computed at each label's own size, as
bisenet-eval does. Label files are single-channel PNGs named like their image (NAME.png holds the
class index per pixel, 255 = ignore), the generic layout of runtime/datasets.py.
"""

import collections
import math
import os

import numpy as np

from ..core.errors import InputError
from ..runtime.backends.ort import CPU_PROVIDER, session_from_onnx
from ..core.labels import Sample, load_label
from ..core.metrics import ConfusionMatrix
from ..runtime.postprocess import labels_from_output

LABEL_EXTENSION = ".png"

Comparison = collections.namedtuple(
    "Comparison", "images pixels agreement worst_agreement max_abs_diff labelled miou_reference miou_candidate")
Comparison.__doc__ = """agreement: fraction of all compared pixels where both models pick the same class;
worst_agreement: the lowest single image's; max_abs_diff: largest logit difference (None for a labels
head); labelled: images that had a label; miou_*: mIoU of each model over them (None without labels)."""


def find_labels(labels_dir):
    # type: (str) -> dict
    """{name: label path} for the PNG labels in `labels_dir`."""
    if not os.path.isdir(labels_dir):
        raise InputError("--labels folder not found: {}".format(labels_dir))
    labels = {}
    for entry in sorted(os.listdir(labels_dir)):
        stem, extension = os.path.splitext(entry)
        if extension.lower() == LABEL_EXTENSION:
            labels[stem] = os.path.join(labels_dir, entry)
    if not labels:
        raise InputError("no label PNGs (NAME.png, class index per pixel) in {}".format(labels_dir))
    return labels


class _Tally(object):
    """Running agreement, max abs diff and confusion matrices over the compared images."""

    def __init__(self, card, with_labels):
        self.card = card
        self.images = self.pixels = self.agreeing = 0
        self.worst = 1.0
        self.max_abs_diff = None if card["head"] == "labels" else 0.0
        self.matrices = [ConfusionMatrix(card["num_classes"]) for _ in range(2)] if with_labels else None
        self.labelled = 0

    def add(self, reference, candidate, label):
        """One image: `reference`/`candidate` are the two models' outputs for it (batch of one)."""
        input_hw = tuple(self.card["input_size"])
        if self.max_abs_diff is not None:
            difference = np.abs(reference.astype(np.float64) - candidate.astype(np.float64))
            self.max_abs_diff = max(self.max_abs_diff, float(difference.max()))
        maps = [self._label_map(output, input_hw) for output in (reference, candidate)]
        agreeing = int(np.count_nonzero(maps[0] == maps[1]))
        self.images += 1
        self.pixels += maps[0].size
        self.agreeing += agreeing
        self.worst = min(self.worst, agreeing / float(maps[0].size))
        if label is not None:
            self.labelled += 1
            for matrix, output in zip(self.matrices, (reference, candidate)):
                matrix.update(label, self._label_map(output, label.shape))

    def _label_map(self, output, hw):
        """(H, W) class map at `hw`; a labels head at its own size needs no resize (nor a class count)."""
        if self.card["head"] == "labels" and tuple(output.shape[1:]) == tuple(hw):
            return output[0]
        return labels_from_output(output, self.card, hw)

    def result(self):
        mious = [None, None]
        if self.labelled:
            mious = [matrix.mean_iou() for matrix in self.matrices]
            mious = [None if math.isnan(value) else value for value in mious]
        return Comparison(self.images, self.pixels, self.agreeing / float(self.pixels), self.worst, self.max_abs_diff,
                          self.labelled, mious[0], mious[1])


def compare_models(reference_path, candidate_path, card, stream, labels=None, batch=1, threads=None):
    # type: (str, str, dict, object, dict, int, int) -> Comparison
    """Run both models on every frame of `stream` (a CalibrationStream) and tally how they differ.

    `labels` is {name: label PNG path} (see find_labels); `batch` the models' fixed batch size.
    """
    if labels is not None and not card.get("num_classes"):
        raise InputError("--labels needs the number of classes, which a model without a bisenet-deploy card does "
                         "not state")
    sessions = [session_from_onnx(path, threads, [CPU_PROVIDER]) for path in (reference_path, candidate_path)]
    input_name, output_name = card["input"]["name"], card["output"]["name"]
    tally = _Tally(card, labels is not None)
    pending = []  # (name, network input) until a full batch is ready

    def run_pending():
        x = np.concatenate([item for _, item in pending])
        outputs = [session.run([output_name], {input_name: x})[0] for session in sessions]
        for index, (name, _) in enumerate(pending):
            label = None
            if labels is not None and name in labels:
                label = load_label(Sample(name, None, labels[name]), "generic")
            tally.add(outputs[0][index:index + 1], outputs[1][index:index + 1], label)
        del pending[:]

    for name, frame in stream.frames():
        pending.append((name, stream.preprocess(frame)))
        if len(pending) == batch:
            run_pending()
    if tally.images == 0:
        raise InputError("no image could be compared{}".format(
            "" if not pending else ": the models take batches of {} and only {} images were left".format(
                batch, len(pending))))
    return tally.result()


def _percent(value):
    return "-" if value is None else "{:.2f}%".format(100.0 * value)


def format_comparison(result, head):
    # type: (Comparison, str) -> str
    """A short table: agreement, max abs diff and mIoU of FP32 and QDQ INT8."""
    rows = [("pixel agreement", "", "{:.3f}% (worst image {:.3f}%)".format(
        100.0 * result.agreement, 100.0 * result.worst_agreement))]
    if head == "logits":
        rows.append(("max abs diff (logits)", "", "{:.4g}".format(result.max_abs_diff)))
    if result.labelled:
        change = ""
        if result.miou_reference is not None and result.miou_candidate is not None:
            change = " ({:+.2f} points)".format(100.0 * (result.miou_candidate - result.miou_reference))
        rows.append(("mIoU ({} labelled)".format(result.labelled), _percent(result.miou_reference),
                     _percent(result.miou_candidate) + change))
    width = max(len(row[0]) for row in rows)
    lines = ["  {:<{w}}  {:>8}  {}".format("", "FP32", "QDQ INT8", w=width)]
    lines += ["  {:<{w}}  {:>8}  {}".format(name, reference, candidate, w=width) for name, reference, candidate in rows]
    return "\n".join(lines)


def comparison_record(result, images_kind):
    # type: (Comparison, str) -> dict
    """The comparison as plain JSON values, for the model card."""
    return {"images": images_kind, "count": result.images, "pixel_agreement": result.agreement,
            "worst_image_agreement": result.worst_agreement, "max_abs_diff": result.max_abs_diff,
            "labelled": result.labelled, "miou_fp32": result.miou_reference, "miou_int8": result.miou_candidate}
