"""Calibration images: a folder, a glob or a video, turned into network-input batches by exactly the
runtime's reference preprocessing, so INT8 ranges are measured on what the network will really see.

The selection is made on the list of files (or frame indices) before anything is decoded: shuffled
with a seed, then cut to `count`, so `--count 500` is a random, representative subset of a large
folder rather than its first 500 names, and the same seed always picks the same images in the same
order. Only one batch is held in memory at a time. Every batch holds exactly `batch_size` images
(TensorRT's calibrator requires it), so a final partial batch is dropped, and the stream says so.
"""

import logging
import sys

import numpy as np

from ..core.defaults import CALIBRATION_IMAGES
from ..core.errors import InputError
from ..core.lazy import is_installed
from ..core.preprocess import preprocess
from ..runtime.image_sets import open_image_source

log = logging.getLogger(__name__)

# Below this many usable images the ranges follow a handful of scenes; refuse rather than build a
# model that works on the calibration set only.
MIN_IMAGES = 10
SUGGESTED_IMAGES = CALIBRATION_IMAGES


def shuffled(keys, seed):
    """`keys` in a seeded random order (numpy's RandomState: the same order on every numpy version)."""
    keys = list(keys)
    if seed is None:
        return keys
    order = np.random.RandomState(seed).permutation(len(keys))
    return [keys[index] for index in order]


class _NoBar(object):
    def update(self, count):
        pass

    def close(self):
        pass


def _progress_bar(total, enabled, description):
    if not enabled or not is_installed("tqdm"):
        return _NoBar()
    import tqdm
    # disable=None: no bar when stderr is not a terminal (logs, CI), so errors stay one line
    return tqdm.tqdm(total=total, desc=description, unit="img", file=sys.stderr, disable=None, leave=False)


class CalibrationStream(object):
    """Batches of preprocessed calibration images from a folder, glob or video.

    spec        folder, glob, image or video path, or an ImageSource already opened
    card        the model card: input_size, mean, std and input dtype
    batch_size  images per batch; every batch holds exactly this many
    count       use at most this many images (None: all)
    seed        shuffles the selection (None: name / time order)
    min_images  InputError when fewer usable images than this remain
    progress    show a progress bar on stderr (only when it is a terminal), titled `progress_label`
    frame_step  for videos, use every frame_step-th frame
    keys        use exactly these keys of the source, in this order, instead of a seeded selection

    After iterating, `used`, `skipped` (unreadable) and `dropped` (the final partial batch) count images.
    """

    def __init__(self, spec, card, batch_size=1, count=None, seed=0, min_images=MIN_IMAGES, progress=True,
                 frame_step=1, keys=None, progress_label="calibration images"):
        if int(batch_size) < 1:
            raise InputError("the calibration batch size must be at least 1, got {}".format(batch_size))
        if count is not None and int(count) < 1:
            raise InputError("the calibration image count must be at least 1, got {}".format(count))
        # a listing already opened: open_image_source's, or another with its interface (a bag topic's)
        self.source = spec if hasattr(spec, "read_keys") else open_image_source(spec, frame_step)
        self.card = card
        self.batch_size = int(batch_size)
        self.seed = seed
        self.min_images = max(int(min_images), self.batch_size)
        self.progress = progress
        self.progress_label = progress_label
        if keys is None:
            order = shuffled(self.source.keys, seed)
            limit = len(order) if count is None else int(count)
            self.selected, self.unused = order[:limit], order[limit:]
        else:
            self.selected, self.unused = list(keys), []
        if self.source.sequential:
            self.selected.sort()
        self.used = self.dropped = 0
        self._skipped_keys = set()
        if len(self.selected) < self.min_images:
            raise InputError("{} offers {} images{}, fewer than the {} needed{}".format(
                self.source.location, len(self.source.keys),
                "" if len(self.selected) == len(self.source.keys) else " ({} selected)".format(len(self.selected)),
                self.min_images, "" if self.min_images > self.batch_size else " for one batch of {}".format(
                    self.batch_size)))
        if keys is None and len(self.selected) < SUGGESTED_IMAGES:
            log.warning("calibrating on %d images; NVIDIA suggests about %d representative images",
                        len(self.selected), SUGGESTED_IMAGES)

    @property
    def input_hw(self):
        return int(self.card["input_size"][0]), int(self.card["input_size"][1])

    @property
    def dtype(self):
        return np.dtype(self.card["input"].get("dtype", "float32"))

    @property
    def batch_shape(self):
        """(N, 3, H, W): the shape of every batch, for sizing device buffers."""
        return (self.batch_size, 3) + self.input_hw

    @property
    def num_batches(self):
        """Batches `batches()` yields: exact unless some images turn out to be unreadable."""
        return len(self.selected) // self.batch_size

    def describe(self):
        order = "in name order" if self.seed is None else "shuffled with seed {}".format(self.seed)
        if self.source.sequential:
            order = "in time order" if self.seed is None else "picked with seed {}, in time order".format(self.seed)
        return "using {} of {} ({}), {} batches of {}x3x{}x{} {}".format(
            len(self.selected), self.source.describe(), order, self.num_batches, self.batch_size,
            self.input_hw[0], self.input_hw[1], self.dtype.name)

    @property
    def skipped(self):
        """Selected images that could not be read (so far)."""
        return len(self._skipped_keys)

    def _skip(self, key):
        if key not in self._skipped_keys:
            self._skipped_keys.add(key)
            log.warning("skipping %s: not a readable image", self.source.item_text(key))

    def _require_usable(self, usable):
        if usable < self.min_images:
            raise InputError("only {} of the {} selected images in {} could be read ({} skipped); at least {} "
                             "are needed".format(usable, usable + self.skipped, self.source.location, self.skipped,
                                                 self.min_images))

    def check_readable(self):
        """Decode every selected image once and drop the unreadable ones, so `num_batches` becomes
        exact (onnxruntime's strided calibration needs the count up front). Decoding is cheap next
        to running the network. Returns self."""
        readable = []
        bar = _progress_bar(len(self.selected), self.progress, "checking images")
        try:
            for key, frame in self.source.subset(self.selected).read_keys():
                bar.update(1)
                if frame is None:
                    self._skip(key)
                else:
                    readable.append(key)
        finally:
            bar.close()
        self._require_usable(len(readable))
        self.selected = readable
        return self

    def frames(self):
        """(name, BGR frame) for each readable selected image; unreadable ones are skipped with a warning."""
        self.used = self.dropped = 0
        bar = _progress_bar(len(self.selected), self.progress, self.progress_label)
        try:
            for key, frame in self.source.subset(self.selected).read_keys():
                bar.update(1)
                if frame is None:
                    self._skip(key)
                    continue
                self.used += 1
                yield self.source.name(key), frame
        finally:
            bar.close()
        self._require_usable(self.used)

    def preprocess(self, frame):
        """(1, 3, H, W) network input from one BGR frame: the runtime's reference preprocessing."""
        return preprocess(frame, self.input_hw, self.card["mean"], self.card["std"], self.dtype)

    def batches(self):
        """(N, 3, H, W) arrays of exactly `batch_size` images; a final partial batch is dropped."""
        batch = []
        for _, frame in self.frames():
            batch.append(self.preprocess(frame))
            if len(batch) == self.batch_size:
                yield np.concatenate(batch)
                batch = []
        self.dropped = len(batch)
        if batch:
            log.info("dropped the last %d calibration image(s): every batch must hold exactly %d", len(batch),
                     self.batch_size)
