"""What bisenet-eval checks besides the metrics: label values that are neither a class nor the ignore
index (which the metrics would drop without a word), and that two compared models run at one size."""

import collections

import numpy as np

from ..core.errors import InputError
from ..core.metrics import IGNORE_INDEX
from ..core.wording import count

SHOWN_FILES = 5  # files named in the warning; the JSON lists them all


class UnknownLabels(object):
    """Counts label pixels outside 0..num_classes-1 that are not IGNORE_INDEX, per file and per value."""

    def __init__(self, num_classes, strict=False):
        self.num_classes = num_classes
        self.strict = strict
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
            raise InputError("label {} holds {} with value(s) {}, neither a class (0..{}) nor the ignore index {} "
                             "(--strict-labels)".format(name, count(found, "pixel"), ", ".join(str(int(v))
                                                                                           for v in values),
                                                         self.num_classes - 1, IGNORE_INDEX))
        self.pixels += found
        self.files[name] = self.files.get(name, 0) + found
        self.values.update(dict((int(v), int(c)) for v, c in zip(values, counts)))

    def warning(self):
        """One line for the log, or None when every label value was a class or the ignore index."""
        if not self.pixels:
            return None
        names = list(self.files)
        shown = ", ".join(names[:SHOWN_FILES]) + (", ..." if len(names) > SHOWN_FILES else "")
        return ("warning: {} in {} hold values that are neither a class (0..{}) nor the ignore index {} "
                "(values {}): they are left out of the metrics; --strict-labels makes this an error. Files: {}".format(
                    count(self.pixels, "label pixel"), count(len(names), "file"), self.num_classes - 1,
                    IGNORE_INDEX, ", ".join(str(v) for v in sorted(self.values)), shown))

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
