"""What bisenet-eval checks besides the metrics: label values that are neither a class nor the ignore
index (which the metrics would drop without a word), and that two compared models run at one size."""

import collections

import numpy as np

from ..core.errors import InputError
from ..core.metrics import IGNORE_INDEX
from ..core.wording import count

SHOWN_FILES = 5  # files named in the warning; the JSON lists them all


def values_text(values, num_classes):
    # type: (list, int) -> str
    """'131 label values 19..149 exceed the model's 19 classes': the count and range of the values, not
    each one (a 150-class dataset under a 19-class model has 131 of them)."""
    low, high = min(values), max(values)
    span = str(low) if low == high else "{}..{}".format(low, high)
    one = len(values) == 1
    if low >= num_classes:
        where = "{} the model's {}".format("exceeds" if one else "exceed", count(num_classes, "class", "classes"))
    else:  # negative values: there is no "above" to speak of
        where = "{} outside the model's classes 0..{}".format("lies" if one else "lie", num_classes - 1)
    return "{} {} {}".format(count(len(values), "label value"), span, where)


class UnknownLabels(object):
    """Counts label pixels outside 0..num_classes-1 that are not IGNORE_INDEX, per file and per value.
    `strict_flag`: the flag that makes them an error, named in the warning (None: the command has none)."""

    def __init__(self, num_classes, strict=False, strict_flag="--strict-labels"):
        self.num_classes = num_classes
        self.strict = strict
        self.strict_flag = strict_flag
        self.pixels = 0
        self.values = collections.Counter()
        self.files = collections.OrderedDict()  # name -> pixels

    def check(self, name, label):
        label = np.asarray(label)
        unknown = (label != IGNORE_INDEX) & ((label < 0) | (label >= self.num_classes))
        found = int(unknown.sum())
        if not found:
            return
        values, counts = np.unique(label[unknown], return_counts=True)
        if self.strict:
            raise InputError("label {}: {} ({}, not the ignore index {}; {})".format(
                name, values_text([int(v) for v in values], self.num_classes), count(found, "pixel"), IGNORE_INDEX,
                self.strict_flag))
        self.pixels += found
        self.files[name] = self.files.get(name, 0) + found
        self.values.update(dict((int(v), int(c)) for v, c in zip(values, counts)))

    def warning(self):
        """One short line for the log, or None when every label value was a class or the ignore index."""
        if not self.pixels:
            return None
        names = list(self.files)
        shown = ", ".join(names[:SHOWN_FILES]) + (", ..." if len(names) > SHOWN_FILES else "")
        strict = "; {} makes this an error".format(self.strict_flag) if self.strict_flag else ""
        return ("warning: {} (is this data from another dataset?): {} in {} left out of the metrics (the ignore "
                "index is {}){}. Files: {}".format(values_text(sorted(self.values), self.num_classes),
                                                  count(self.pixels, "label pixel"), count(len(names), "file"),
                                                  IGNORE_INDEX, strict, shown))

    def record(self):
        return {"pixels": self.pixels, "values": dict((str(v), c) for v, c in sorted(self.values.items())),
                "files": dict(self.files)}


def comparison_sizes(card, other_card, model, other):
    """Refuse a comparison of two models that run at different input sizes: their agreement would
    measure the resize, not the precision or the backend."""
    if tuple(card["input_size"]) != tuple(other_card["input_size"]):
        raise InputError("--compare {} runs at {}x{} but {} at {}x{}; an agreement across input sizes measures the "
                         "resize, not the model. Export both at one size (bisenet-export --input-size), or give "
                         "--input-size for a checkpoint".format(other, other_card["input_size"][0],
                                                                other_card["input_size"][1], model,
                                                                card["input_size"][0], card["input_size"][1]))
