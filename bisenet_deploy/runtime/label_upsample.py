"""Labels at the frame's size from low-resolution class scores, without the frame-sized score tensor.

The reference (bilinear.argmax_upsampled) interpolates every class score at every frame pixel: at
480x640 with 37 classes that is 11 M interpolated values for 0.3 M labels, and on a BF16 CPU it cost
as much as the network. But bilinear interpolation is a convex combination of a cell's four corners
(neighbouring grid points), so a class that wins at all four corners, each time by more than float
rounding can move a score, wins at every pixel of the cell. Hence, per frame:

1. argmax and runner-up gap at the grid points (h x w x C, small);
2. a cell whose corners agree, all by a safe gap, gives its label to all its pixels (one lookup each);
3. in the other cells (the class boundaries) only the classes that can win somewhere in the cell are
   interpolated: class k cannot where its largest corner score is below the largest smallest-corner
   score of any class. They are interpolated with the reference's arithmetic in the reference's
   order (columns, then rows, the same float32 weights), so the labels equal the reference's, bit
   for bit, ties included (the lowest class wins).

The work is done by native/upsample_argmax.c, the same algorithm and arithmetic in C (built on first
use; with a third of the cells on a boundary, numpy's per-pixel operations cost ~6 ms a 480x640
frame, the C routine ~1.1 ms on one thread, ~0.9 on two); where no C compiler is found, by the numpy code below,
with the same labels.

Called without `out`, the frame-sized buffers are made once and reused (the hot path of a backend
that owns the upsampler); only cell-sized temporaries are allocated per frame.
"""

import ctypes
import functools

import numpy as np

from ..core.machine import usable_cores
from . import native
from .native import address
from .bilinear import argmax_upsampled, linear_taps

NATIVE_NAME = "upsample_argmax"
MAX_THREADS = 4  # the C routine splits the cell rows between this many threads at most

# A bound on how far float32 rounding can move an interpolated score, relative to the largest score
# magnitude: two products and a sum per pass, two passes, a few units of 2**-24 each; 4e-6 is ~60.
ROUNDING = 4e-6


class _Axis(object):
    """One axis of the upsample. Cell i spans the output pixels whose lower source index is i (its
    upper one is min(i + 1, n - 1)); each cell's pixels and weights padded to the longest cell by
    repeating its last pixel, which recomputes and rewrites the same value."""

    def __init__(self, in_size, out_size, align_corners):
        lower, upper, frac = linear_taps(in_size, out_size, align_corners)
        self.cell = lower  # output pixel -> its cell
        self.upper = np.minimum(np.arange(in_size) + 1, in_size - 1)
        counts = np.bincount(lower, minlength=in_size)
        self.empty = counts == 0
        width = max(1, int(counts.max()))
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        # what the C routine reads: cell i's pixels are starts_all[i]:starts_all[i + 1]; per-pixel weights
        self.starts_all = np.concatenate([starts, [out_size]]).astype(np.int32)
        self.upper32 = self.upper.astype(np.int32)
        self.pixel_frac = np.ascontiguousarray(frac, np.float32)
        self.pixel_keep = np.float32(1) - self.pixel_frac
        offsets = np.minimum(np.arange(width)[None, :], np.maximum(counts, 1)[:, None] - 1)
        pixels = np.minimum(starts[:, None] + offsets, out_size - 1)  # lower is sorted: cells are runs
        # (width, cells): gathered by cell, the cells are the last, contiguous axis of every block
        # array, so numpy's inner loops run over hundreds of cells instead of a cell's few pixels
        self.width = width  # the longest cell, in pixels
        self.pixels = np.ascontiguousarray(pixels.T)
        self.frac = np.ascontiguousarray(frac[pixels].T)
        self.keep = np.float32(1) - self.frac  # computed as the reference computes it


class LabelUpsampler(object):
    """`upsampler(scores_hwc, out=None)`: uint8/uint16 labels at `out_hw` equal to
    bilinear.argmax_upsampled(scores_hwc.transpose(2, 0, 1), out_hw, align_corners)."""

    def __init__(self, scores_hw, out_hw, num_classes, align_corners, dtype=np.uint8, use_native=True):
        """`use_native=False` keeps the numpy code (tests compare the two)."""
        self.scores_hw = tuple(int(v) for v in scores_hw)
        self.out_hw = tuple(int(v) for v in out_hw)
        self.num_classes = int(num_classes)
        self.dtype = dtype
        self.align_corners = bool(align_corners)
        self.rows = _Axis(self.scores_hw[0], self.out_hw[0], align_corners)
        self.cols = _Axis(self.scores_hw[1], self.out_hw[1], align_corners)
        self.empty = self.rows.empty[:, None] | self.cols.empty[None, :]
        self._buffers = None  # (labels, C scratch, contiguous scores), made on the first call without `out`
        self.native = _native_routine() if use_native else None
        self._native_geometry = None  # the C routine's fixed arguments, made on its first call
        self.threads = max(1, min(MAX_THREADS, usable_cores()))

    def __call__(self, scores, out=None):
        # type: (np.ndarray, np.ndarray) -> np.ndarray
        """Labels for (h, w, C) float32 scores, written into `out` (no state kept: safe to share between
        threads) or into a buffer this upsampler reuses every call."""
        shape = self.scores_hw + (self.num_classes,)
        if np.shape(scores) != shape:
            raise ValueError("scores of shape {}, expected {}".format(np.shape(scores), shape))
        if out is None:
            if self._buffers is None:
                self._buffers = (np.empty(self.out_hw, self.dtype), self._scratch(), np.empty(shape, np.float32))
            labels, scratch, contiguous = self._buffers
            if not (scores.flags.c_contiguous and scores.dtype == np.float32):  # e.g. ONNX Runtime's NHWC view
                np.copyto(contiguous, scores, casting="same_kind")
                scores = contiguous
        else:
            labels, scratch = out, None
            scores = np.ascontiguousarray(scores, np.float32)
        if self.native is not None and labels.flags.c_contiguous and labels.dtype == self.dtype:
            if self._native_call(scores, labels, scratch or self._scratch()):
                return labels
            return self._reference(scores, labels)
        tolerance = self._tolerance(scores)
        if not np.isfinite(tolerance):
            return self._reference(scores, labels)
        best = scores.argmax(axis=2)
        safe = self._safe_gap(scores, best, tolerance)
        up_r, up_c = self.rows.upper, self.cols.upper
        agree = (best == best[up_r]) & (best == best[:, up_c]) & (best == best[up_r][:, up_c])
        uniform = agree & safe & safe[up_r] & safe[:, up_c] & safe[up_r][:, up_c] | self.empty
        row_labels = np.take(best.astype(self.dtype), self.rows.cell, axis=0)
        np.take(row_labels, self.cols.cell, axis=1, out=labels)
        mixed_r, mixed_c = np.nonzero(~uniform)
        if len(mixed_r):
            self._boundary_cells(scores, mixed_r, mixed_c, labels, tolerance)
        return labels

    def _native_call(self, scores, labels, scratch):
        """True when the C routine wrote the labels; False (nothing written) when a score is NaN or infinite."""
        if self._native_geometry is None:  # the same tables every call: their addresses once
            rows, cols = self.rows, self.cols
            self._native_geometry = (self.scores_hw[0], self.scores_hw[1], self.num_classes) + tuple(
                address(a) for a in (rows.starts_all, rows.upper32, rows.pixel_keep, rows.pixel_frac,
                                  cols.starts_all, cols.upper32, cols.pixel_keep, cols.pixel_frac)) + (
                self.out_hw[1], rows.width, cols.width, ctypes.c_float(ROUNDING))
        status = self.native(address(scores), *(self._native_geometry + tuple(address(a) for a in scratch)),
                             self.threads, address(labels), int(np.dtype(self.dtype).itemsize == 2))
        return status == 0

    def _reference(self, scores, labels):
        """The reference's labels: for scores with a NaN or infinity, where the convex-hull argument fails."""
        labels[...] = argmax_upsampled(scores.transpose(2, 0, 1), self.out_hw, self.align_corners, self.dtype)
        return labels

    def _scratch(self):
        """The C routine's work buffers: best class and its lead per grid point; per thread, each part
        on whole cache lines, the candidate classes, a cell's top and bottom columns and its tile of
        best scores and classes."""
        points = self.scores_hw[0] * self.scores_hw[1]
        tile = self.threads * _padded(self.rows.width * self.cols.width)
        return (np.empty(points, np.intc), np.empty(points, np.float32),
                _aligned(self.threads * _padded(self.num_classes), np.intc),
                _aligned(self.threads * _padded(2 * self.cols.width), np.float32),
                _aligned(tile, np.float32), _aligned(tile, np.int32))

    def _tolerance(self, scores):
        """ROUNDING times the largest score magnitude; NaN or inf when a score is (numpy's max and min
        propagate a NaN)."""
        high, low = abs(float(scores.max())), abs(float(scores.min()))
        if not (np.isfinite(high) and np.isfinite(low)):
            return float("nan")
        return float(np.float32(ROUNDING) * max(high, low, 1e-30))

    def _safe_gap(self, scores, best, tolerance):
        """Grid points whose best class leads the runner-up by more than rounding can close."""
        if self.num_classes == 1:
            return np.ones(best.shape, bool)
        flat = scores.reshape(-1, self.num_classes)
        top = flat[np.arange(len(flat)), best.ravel()]
        others = flat.copy()
        others[np.arange(len(flat)), best.ravel()] = -np.inf
        return (top - others.max(axis=1) > tolerance).reshape(best.shape)

    def _boundary_cells(self, scores, cell_r, cell_c, labels, tolerance):
        """Interpolate the classes that can win in each listed cell, at its pixels only."""
        up_r, up_c = self.rows.upper[cell_r], self.cols.upper[cell_c]
        corners = (scores[cell_r, cell_c], scores[cell_r, up_c], scores[up_r, cell_c], scores[up_r, up_c])
        floor = np.minimum(np.minimum(corners[0], corners[1]), np.minimum(corners[2], corners[3])).max(axis=1)
        ceiling = np.maximum(np.maximum(corners[0], corners[1]), np.maximum(corners[2], corners[3]))
        candidates = ceiling >= (floor - 2 * tolerance)[:, None]
        counts = candidates.sum(axis=1)
        order = np.argsort(-counts, kind="stable")  # most candidates first: slot k is a prefix of the cells
        candidates, counts = candidates[order], counts[order]
        cell_r, cell_c, corners = cell_r[order], cell_c[order], [corner[order] for corner in corners]
        which, classes = np.nonzero(candidates)  # ascending classes within each cell
        slots = np.zeros((len(order), int(counts[0])), np.int64)
        slots[which, np.cumsum(candidates, axis=1)[which, classes] - 1] = classes
        prefix = [int(np.count_nonzero(counts > k)) for k in range(int(counts[0]))]
        self._write_cells(cell_r, cell_c, corners, slots, prefix, labels)

    def _write_cells(self, cell_r, cell_c, corners, slots, prefix, labels):
        """(rows, cols, cells) blocks, one candidate slot at a time; slot k covers the first prefix[k]
        cells. A strict comparison in ascending class order keeps the first best: the argmax tie rule."""
        frac_c, keep_c = self.cols.frac[:, cell_c], self.cols.keep[:, cell_c]  # (cols, cells)
        frac_r, keep_r = self.rows.frac[:, None, cell_r], self.rows.keep[:, None, cell_r]  # (rows, 1, cells)
        everything = np.arange(len(cell_r))
        best_score = best_class = None
        for k, count in enumerate(prefix):
            cells, classes = everything[:count], slots[:count, k]
            top_left, top_right, bottom_left, bottom_right = (corner[cells, classes] for corner in corners)
            top = top_left * keep_c[:, :count] + top_right * frac_c[:, :count]  # the reference's columns pass
            bottom = bottom_left * keep_c[:, :count] + bottom_right * frac_c[:, :count]
            score = top * keep_r[..., :count] + bottom * frac_r[..., :count]  # then its rows pass
            if best_score is None:
                best_score, best_class = score, np.empty(score.shape, self.dtype)
                best_class[...] = classes
                continue
            better = score > best_score[..., :count]
            np.copyto(best_score[..., :count], score, where=better)
            np.copyto(best_class[..., :count], classes.astype(self.dtype), where=better)
        labels[self.rows.pixels[:, None, cell_r], self.cols.pixels[None, :, cell_c]] = best_class


CACHE_LINE = 64


def _padded(count):
    """`count` 4-byte elements rounded up to whole cache lines (native/upsample_argmax.c's padded)."""
    return -(-count // 16) * 16


def _aligned(count, dtype):
    """A 1-D array of `count` elements starting on a cache line."""
    raw = np.empty(count * np.dtype(dtype).itemsize + CACHE_LINE, np.uint8)
    start = -raw.ctypes.data % CACHE_LINE
    return raw[start:start + count * np.dtype(dtype).itemsize].view(dtype)


def _native_routine():
    """The C upsample_argmax with its argument types, or None where it cannot be built."""
    pointer, integer = ctypes.c_void_p, ctypes.c_int
    return native.routine(NATIVE_NAME, [pointer, integer, integer, integer] + [pointer] * 8 + [integer] * 3
                          + [ctypes.c_float] + [pointer] * 6 + [integer, pointer, integer], integer)


@functools.lru_cache(maxsize=8)
def shared_upsampler(scores_hw, out_hw, num_classes, align_corners, dtype):
    """A LabelUpsampler per geometry, for callers that pass `out` (which keeps it stateless)."""
    return LabelUpsampler(scores_hw, out_hw, num_classes, align_corners, dtype)
