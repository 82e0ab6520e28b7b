"""Ground-truth label files: one class index per pixel, read by bisenet-eval and bisenet-calibrate.

Each layout stores its own raw coding; load_label maps it to model indices with 255 = ignore:
  generic     the model index itself
  sunrgbd     the seed's: raw k -> class k-1, raw 0 (unlabeled) -> ignore
  cityscapes  gtFine labelIds 0..33 -> the 19 train ids; void and unevaluated ids -> ignore
              (the id/trainId table of mcordts/cityscapesScripts: cityscapesscripts/helpers/labels.py)
  ade20k      ADEChallengeData2016: raw 0 (other) -> ignore, raw 1..150 -> class 0..149
  coco-stuff  stuffthingmaps ids 0..181 -> the 171 classes in id order; the 11 thing ids COCO never
              annotates -> ignore (as CoinCheung/BiSeNet lib/data/coco.py and mmsegmentation's
              tools/dataset_converters/coco_stuff164k.py); 255 (unlabeled) -> ignore
In the raw codings 255 is ignore as well.
"""

import collections

import cv2
import numpy as np

from .errors import InputError
from .metrics import IGNORE_INDEX

Sample = collections.namedtuple("Sample", "name image_path label_path")
LAYOUTS = ("generic", "sunrgbd", "cityscapes", "ade20k", "coco-stuff")

CITYSCAPES_TRAIN_IDS = {7: 0, 8: 1, 11: 2, 12: 3, 13: 4, 17: 5, 19: 6, 20: 7, 21: 8, 22: 9, 23: 10, 24: 11, 25: 12,
                        26: 13, 27: 14, 28: 15, 31: 16, 32: 17, 33: 18}
CITYSCAPES_IDS = 34  # labelIds 0..33; the other ids are void or not evaluated
ADE20K_CLASSES = 150
COCO_STUFF_IDS = 182
COCO_STUFF_UNUSED_IDS = (11, 25, 28, 29, 44, 65, 67, 68, 70, 82, 90)


def _raw_table(raw_to_index):
    """256 entries raw value -> model index: the listed ones, 255 -> ignore, the rest -1 (not in the coding)."""
    table = np.full(256, -1, np.int16)
    for raw, index in raw_to_index.items():
        table[raw] = index
    table[IGNORE_INDEX] = IGNORE_INDEX
    return table


def _coco_stuff_indices():
    used = [raw for raw in range(COCO_STUFF_IDS) if raw not in COCO_STUFF_UNUSED_IDS]
    indices = dict((raw, IGNORE_INDEX) for raw in COCO_STUFF_UNUSED_IDS)
    indices.update((raw, index) for index, raw in enumerate(used))
    return indices


# layout -> (raw -> model index table, the raw values it accepts in words)
RAW_CODINGS = {
    "cityscapes": (_raw_table(dict((raw, CITYSCAPES_TRAIN_IDS.get(raw, IGNORE_INDEX))
                                   for raw in range(CITYSCAPES_IDS))), "Cityscapes labelIds 0..33 and 255"),
    "ade20k": (_raw_table(dict((raw, raw - 1 if raw else IGNORE_INDEX) for raw in range(ADE20K_CLASSES + 1))),
               "ADE20K 0..150 (0 = other) and 255"),
    "coco-stuff": (_raw_table(_coco_stuff_indices()), "COCO-Stuff ids 0..181 and 255 (unlabeled)"),
}


def _read_raw_label(path):
    """The stored integer array of a .npy or single-channel image label file."""
    if path.lower().endswith(".npy"):
        try:
            raw = np.load(path, allow_pickle=False)
        except (OSError, ValueError, EOFError) as exc:
            raise InputError("cannot read label {}: {}".format(path, exc))
        if not isinstance(raw, np.ndarray):  # an .npz archive, not one array
            raise InputError("label {} holds an archive of arrays, not one label array".format(path))
    else:
        raw = cv2.imread(path, cv2.IMREAD_UNCHANGED)
        if raw is None:
            raise InputError("cannot read label {}: not a readable image".format(path))
    if raw.ndim == 3 and raw.shape[2] == 1:
        raw = raw[:, :, 0]
    if raw.ndim != 2:
        raise InputError("label {} must be one class index per pixel (h, w), got shape {}; "
                         "colour-coded masks are not class maps".format(path, raw.shape))
    if not np.issubdtype(raw.dtype, np.integer):
        # The seed casts with astype(int); accept floats only when that loses nothing.
        if not (np.issubdtype(raw.dtype, np.floating) and np.array_equal(raw, np.round(raw))):
            raise InputError("label {} must hold integer class indices, got {}".format(path, raw.dtype))
    return raw.astype(np.int64)


def load_label(sample, layout):
    # type: (Sample, str) -> np.ndarray
    """(h, w) uint8 model class indices with 255 = ignore."""
    if layout not in LAYOUTS:
        raise InputError("unknown dataset layout {!r}; choose {}".format(layout, ", ".join(LAYOUTS)))
    raw = _read_raw_label(sample.label_path)
    if layout in RAW_CODINGS:
        return _map_raw(raw, sample.label_path, *RAW_CODINGS[layout])
    labels = raw
    if layout == "sunrgbd":
        # The seed's mapbg(0): raw k is model class k-1; raw 0 (unlabeled) becomes -1, then the ignore index.
        labels = raw - 1
        labels[labels == -1] = IGNORE_INDEX
    if labels.size and (labels.min() < 0 or labels.max() > IGNORE_INDEX):
        raise InputError("label {} holds values outside {} ({}..{})".format(
            sample.label_path, "0..256 (0 = unlabeled)" if layout == "sunrgbd" else "0..255",
            int(raw.min()), int(raw.max())))
    return labels.astype(np.uint8)




def _map_raw(raw, path, table, accepted):
    """`raw` through `table`, refusing values outside the coding (they would be guessed, not measured)."""
    inside = (raw >= 0) & (raw < len(table))
    mapped = table[np.where(inside, raw, 0)]
    bad = ~inside | (mapped < 0)
    if bad.any():
        values = np.unique(raw[bad])
        raise InputError("label {} holds values outside {}: {}{}".format(
            path, accepted, ", ".join(str(int(v)) for v in values[:5]), " ..." if len(values) > 5 else ""))
    return mapped.astype(np.uint8)
