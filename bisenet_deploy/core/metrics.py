"""Segmentation metrics computed as the seed does (Shuai-Xie/BiSeNet-wali:utils/metrics.py).

One confusion matrix, rows = ground truth, columns = prediction, accumulated over the pixels whose
ground truth lies in [0, num_classes); everything else (the ignore index 255, the unlabeled SUN RGB-D
pixels) is skipped. IoU = diag / (row + col - diag) with no epsilon, so a class with an empty union is
NaN and `np.nanmean` leaves it out of the mean, while a class present but never predicted counts as 0.
numpy only, so it runs on the TX2.
"""

import math

import numpy as np

from .errors import InputError

IGNORE_INDEX = 255


def _ratio(numerator, denominator):
    """numerator / denominator elementwise, NaN where the denominator is 0 (no warnings)."""
    numerator = np.asarray(numerator, np.float64)
    denominator = np.asarray(denominator, np.float64)
    result = np.full(numerator.shape, np.nan)
    np.divide(numerator, denominator, out=result, where=denominator != 0)
    return result


def _nanmean(values):
    """np.nanmean without its 'mean of empty slice' warning: NaN when every value is NaN."""
    values = np.asarray(values, np.float64)
    present = values[~np.isnan(values)]
    return float(present.mean()) if present.size else float("nan")


def _check_same_shape(a, b, what):
    if a.shape != b.shape:
        raise InputError("{}: shapes differ, {} vs {}".format(what, a.shape, b.shape))


class ConfusionMatrix(object):
    """Pixel counts per (ground truth, prediction) pair, accumulated image by image."""

    def __init__(self, num_classes):
        # type: (int) -> None
        if int(num_classes) < 1:
            raise ValueError("num_classes must be at least 1, got {}".format(num_classes))
        self.num_classes = int(num_classes)
        self.matrix = np.zeros((self.num_classes, self.num_classes), np.int64)

    def update(self, gt, pred):
        """Add one image: `gt` and `pred` are integer class-index arrays of the same shape."""
        gt, pred = np.asarray(gt), np.asarray(pred)
        _check_same_shape(gt, pred, "label map and prediction")
        counted = (gt >= 0) & (gt < self.num_classes)
        gt_counted = gt[counted].astype(np.int64)
        pred_counted = pred[counted].astype(np.int64)
        out_of_range = (pred_counted < 0) | (pred_counted >= self.num_classes)
        if out_of_range.any():
            raise InputError("prediction holds class index {} but the model has {} classes (0..{})".format(
                int(pred_counted[out_of_range][0]), self.num_classes, self.num_classes - 1))
        # One bincount over the flattened (gt, pred) pair index builds the whole matrix at once.
        pairs = gt_counted * self.num_classes + pred_counted
        counts = np.bincount(pairs, minlength=self.num_classes ** 2)
        self.matrix += counts.reshape(self.num_classes, self.num_classes).astype(np.int64)
        return self

    def merge(self, other):
        """Add another matrix's counts (e.g. from another worker or split); returns self."""
        if other.num_classes != self.num_classes:
            raise ValueError("cannot merge confusion matrices of {} and {} classes".format(
                self.num_classes, other.num_classes))
        self.matrix += other.matrix
        return self

    @property
    def gt_pixels(self):
        """Counted ground-truth pixels per class (the row sums)."""
        return self.matrix.sum(axis=1)

    def pixel_accuracy(self):
        # type: () -> float
        """Correct pixels / counted pixels; NaN when nothing was counted."""
        total = self.matrix.sum()
        return float(np.trace(self.matrix)) / float(total) if total else float("nan")

    def class_iou(self):
        """Per-class IoU, NaN where the class is in neither the ground truth nor the prediction."""
        diag = np.diag(self.matrix)
        union = self.matrix.sum(axis=1) + self.matrix.sum(axis=0) - diag
        return _ratio(diag, union)

    def class_accuracy(self):
        """Per-class recall (diag / row sum), NaN where the class is absent from the ground truth."""
        return _ratio(np.diag(self.matrix), self.matrix.sum(axis=1))

    def mean_iou(self):
        # type: () -> float
        return _nanmean(self.class_iou())

    def mean_accuracy(self):
        # type: () -> float
        return _nanmean(self.class_accuracy())


def agreement(labels_a, labels_b):
    # type: (np.ndarray, np.ndarray) -> float
    """Fraction of pixels where two label maps (e.g. FP32 and FP16 predictions) agree."""
    labels_a, labels_b = np.asarray(labels_a), np.asarray(labels_b)
    _check_same_shape(labels_a, labels_b, "the two predictions")
    if labels_a.size == 0:
        raise InputError("the two predictions are empty")
    return float(np.count_nonzero(labels_a == labels_b)) / float(labels_a.size)


def _percent(value):
    return "-" if value is None or math.isnan(value) else "{:.2f}".format(100.0 * value)


def format_class_table(names, iou, acc=None):
    # type: (list, np.ndarray, np.ndarray) -> str
    """A plain-text table, one row per class, values in percent and '-' where undefined (NaN)."""
    if len(names) != len(iou) or (acc is not None and len(acc) != len(iou)):
        raise ValueError("{} class names for {} IoU values{}".format(
            len(names), len(iou), "" if acc is None else " and {} accuracies".format(len(acc))))
    width = max([len("class")] + [len(str(name)) for name in names])
    header = ["{:<{w}}".format("class", w=width), "{:>7}".format("IoU %")]
    if acc is not None:
        header.append("{:>7}".format("acc %"))
    lines = ["  ".join(header)]
    for index, name in enumerate(names):
        cells = ["{:<{w}}".format(str(name), w=width), "{:>7}".format(_percent(float(iou[index])))]
        if acc is not None:
            cells.append("{:>7}".format(_percent(float(acc[index]))))
        lines.append("  ".join(cells))
    return "\n".join(lines)


def _number_or_none(value):
    """A JSON-safe float: NaN becomes None (null), since strict JSON has no NaN."""
    value = float(value)
    return None if math.isnan(value) else value


def report_dict(cm, names):
    # type: (ConfusionMatrix, list) -> dict
    """The metrics as plain JSON-able values (fractions in [0, 1], undefined ones as None)."""
    if len(names) != cm.num_classes:
        raise ValueError("{} class names for a {}-class confusion matrix".format(len(names), cm.num_classes))
    iou, acc, gt_pixels = cm.class_iou(), cm.class_accuracy(), cm.gt_pixels
    return {
        "mIoU": _number_or_none(cm.mean_iou()),
        "pixel_acc": _number_or_none(cm.pixel_accuracy()),
        "mean_acc": _number_or_none(cm.mean_accuracy()),
        "num_classes": cm.num_classes,
        "pixels": int(cm.matrix.sum()),
        "per_class": [
            {"name": str(name), "iou": _number_or_none(iou[index]), "acc": _number_or_none(acc[index]),
             "gt_pixels": int(gt_pixels[index])}
            for index, name in enumerate(names)
        ],
    }
