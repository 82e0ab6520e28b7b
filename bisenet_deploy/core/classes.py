"""Class names and overlay colours: the seed's SUN RGB-D 37 by default, or a user CSV (name,r,g,b)."""

import csv
import os

from .errors import InputError

DEFAULT_CLASSES_CSV = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "sun37.csv")
# Rows with these names are the dataset's unlabeled index, which the seed maps to ignore (255).
DEFAULT_CLASS_COUNT = 37
_BACKGROUND_NAMES = {"bg", "background", "void", "unlabeled", "unlabelled"}


def read_class_csv(path):
    """[(name, (r, g, b)), ...] in file order."""
    if not os.path.isfile(path):
        raise InputError("class list not found: {}".format(path))
    rows = []
    with open(path, newline="") as handle:
        for number, row in enumerate(csv.reader(handle), start=1):
            if not row or (number == 1 and row[0].strip().lower() == "name"):
                continue
            try:
                name, rgb = row[0].strip(), tuple(int(v) for v in row[1:4])
            except ValueError:
                raise InputError("{}:{}: expected 'name,r,g,b', got {!r}".format(path, number, ",".join(row)))
            if len(rgb) != 3 or not all(0 <= v <= 255 for v in rgb) or not name:
                raise InputError("{}:{}: expected 'name,r,g,b' with 0-255 colours, got {!r}".format(
                    path, number, ",".join(row)))
            rows.append((name, rgb))
    return rows


def load_classes(num_classes, path=None):
    # type: (int, str) -> tuple
    """(names, colours) for a model with `num_classes` outputs; a leading background row is dropped."""
    if path is None and num_classes != DEFAULT_CLASS_COUNT:
        return generic_classes(num_classes)
    rows = read_class_csv(path or DEFAULT_CLASSES_CSV)
    if len(rows) == num_classes + 1 and rows[0][0].lower() in _BACKGROUND_NAMES:
        rows = rows[1:]
    if len(rows) != num_classes:
        raise InputError("{} lists {} classes but the model predicts {}; pass --classes with a matching CSV".format(
            path or "the default SUN RGB-D list", len(rows), num_classes))
    return [name for name, _ in rows], [list(rgb) for _, rgb in rows]


def generic_classes(num_classes):
    # type: (int) -> tuple
    """Names class_0.. and well-separated deterministic colours, for models without a class list."""
    names = ["class_{}".format(i) for i in range(num_classes)]
    colours = []
    for i in range(num_classes):
        # golden-ratio hue steps keep neighbouring indices visually distinct
        hue = (i * 0.618033988749895) % 1.0
        colours.append([int(255 * _hue_channel(hue + shift)) for shift in (1.0 / 3, 0.0, -1.0 / 3)])
    return names, colours


def _hue_channel(h):
    h = h % 1.0
    return max(0.0, min(1.0, abs(h * 6.0 - 3.0) - 1.0)) * 0.75 + 0.2
