"""Draw a label map over a frame: class colours, alpha blend, a legend of the classes present, a status line.

The legend lists the largest classes first, at most MAX_LEGEND_ENTRIES and what fits the frame's height, and
ends with "+N more" when a frame holds more (150- and 171-class models often show dozens at once).

Cards store colours as RGB (the seed's palette); OpenCV frames are BGR, so colours are flipped here once.
"""

import collections

import cv2
import numpy as np

from ..core.errors import InputError

LegendEntry = collections.namedtuple("LegendEntry", "index name share")
FONT = cv2.FONT_HERSHEY_SIMPLEX
TEXT_COLOUR = (255, 255, 255)
PANEL_DIM = 0.35  # text panels keep this much of the image behind them, so white text reads on any frame (>= 7:1)
SWATCH_EDGE = (160, 160, 160)  # so a dark class colour still shows as a square on the dark panel
PAD = 4
MAX_LEGEND_ENTRIES = 12


def palette_bgr(colors):
    # type: (list) -> np.ndarray
    """(num_classes, 3) uint8 BGR from the card's [[r, g, b], ...]."""
    return np.asarray(colors, dtype=np.uint8).reshape(-1, 3)[:, ::-1].copy()


def colorize(labels, colors):
    # type: (np.ndarray, list) -> np.ndarray
    """(h, w, 3) uint8 BGR colour mask of a label map."""
    palette = palette_bgr(colors)
    if labels.size and int(labels.max()) >= len(palette):
        raise InputError("label {} has no colour: the class list has {} entries".format(int(labels.max()), len(palette)))
    return palette[labels]


def blend(frame_bgr, mask_bgr, alpha):
    # type: (np.ndarray, np.ndarray, float) -> np.ndarray
    """alpha * mask + (1 - alpha) * frame, rounded to uint8."""
    if not 0.0 <= alpha <= 1.0:
        raise InputError("--alpha must be between 0 and 1, got {}".format(alpha))
    if frame_bgr.shape != mask_bgr.shape:
        raise ValueError("frame {} and mask {} differ in shape".format(frame_bgr.shape, mask_bgr.shape))
    return cv2.addWeighted(mask_bgr, float(alpha), frame_bgr, 1.0 - float(alpha), 0.0)


def present_classes(labels, names):
    # type: (np.ndarray, list) -> list
    """[LegendEntry] of every class present, largest pixel share first."""
    counts = np.bincount(labels.ravel(), minlength=len(names)).astype(np.float64)
    total = max(float(labels.size), 1.0)
    present = [i for i in np.argsort(-counts, kind="stable") if counts[i] > 0]
    return [LegendEntry(int(i), names[i], counts[i] / total) for i in present]


def legend_entries(labels, names, max_entries=MAX_LEGEND_ENTRIES):
    # type: (np.ndarray, list, int) -> list
    """[LegendEntry] of the classes present, largest pixel share first, at most `max_entries`."""
    return present_classes(labels, names)[:max_entries]


def _text_scale(image_height):
    # readable on a 480-line frame, not overwhelming on 1080p, still legible on thumbnails
    return min(0.8, max(0.3, image_height / 900.0))


def draw_legend(image, labels, names, colors, max_entries=MAX_LEGEND_ENTRIES):
    # type: (np.ndarray, np.ndarray, list, list, int) -> np.ndarray
    """Draw, in place, a panel at the top right listing the classes present; returns `image`."""
    present = present_classes(labels, names)
    return _draw_legend_entries(image, present[:max_entries], colors, max(0, len(present) - max_entries))


def _legend_rows(entries, hidden, fit):
    """(entries to draw, classes left out) when `fit` rows fit: a "+N more" row takes the last one."""
    if len(entries) + (1 if hidden else 0) <= fit:
        return entries, hidden
    shown = max(1, fit - 1)
    return entries[:shown], hidden + len(entries) - shown


def _draw_legend_entries(image, entries, colors, hidden=0):
    if not entries:
        return image
    height, width = image.shape[:2]
    scale = _text_scale(height)
    (_, text_h), baseline = cv2.getTextSize("Ag", FONT, scale, 1)  # the height depends on the scale, not the text
    swatch = text_h + baseline
    row_h = swatch + PAD
    entries, hidden = _legend_rows(entries, hidden, (height - 2 * PAD) // row_h)
    texts = ["{} {:.0f}%".format(entry.name, 100 * entry.share) for entry in entries]
    more = ["+{} more".format(hidden)] if hidden else []
    text_w = max(cv2.getTextSize(text, FONT, scale, 1)[0][0] for text in texts + more)
    x0 = width - min(width, PAD * 3 + swatch + text_w)
    _dim(image[0:PAD * 2 + (len(texts) + len(more)) * row_h, x0:width])
    palette = palette_bgr(colors)
    for row, (entry, text) in enumerate(zip(entries, texts)):
        top = PAD + row * row_h
        colour = tuple(int(c) for c in palette[entry.index])
        cv2.rectangle(image, (x0 + PAD, top), (x0 + PAD + swatch, top + swatch), colour, -1)
        cv2.rectangle(image, (x0 + PAD - 1, top - 1), (x0 + PAD + swatch + 1, top + swatch + 1), SWATCH_EDGE, 1)
        cv2.putText(image, text, (x0 + 2 * PAD + swatch, top + text_h), FONT, scale, TEXT_COLOUR, 1, cv2.LINE_AA)
    if more:
        top = PAD + len(texts) * row_h
        cv2.putText(image, more[0], (x0 + 2 * PAD + swatch, top + text_h), FONT, scale, TEXT_COLOUR, 1, cv2.LINE_AA)
    return image


def draw_status(image, text):
    # type: (np.ndarray, str) -> np.ndarray
    """Draw, in place, one status line (e.g. FPS) on a dark panel at the top left; returns `image`."""
    scale = _text_scale(image.shape[0])
    (text_w, text_h), baseline = cv2.getTextSize(text, FONT, scale, 1)
    _dim(image[0:text_h + baseline + 2 * PAD, 0:text_w + 2 * PAD])
    cv2.putText(image, text, (PAD, PAD + text_h), FONT, scale, TEXT_COLOUR, 1, cv2.LINE_AA)
    return image


def _dim(region):
    region[...] = (region * PANEL_DIM).astype(region.dtype)


class OverlayRenderer(object):
    """The visualisation choices of one run, applied to each frame; `last_legend` lists what was drawn."""

    def __init__(self, card, alpha=0.5, mask_only=False, legend=True):
        if not 0.0 <= alpha <= 1.0:
            raise InputError("--alpha must be between 0 and 1, got {}".format(alpha))
        self.names, self.colors = list(card["classes"]), list(card["colors"])
        self.alpha, self.mask_only, self.legend = float(alpha), mask_only, legend
        self.last_legend = []

    @property
    def blend_alpha(self):
        """The alpha a backend that blends on the GPU should use, or None when the mask is shown alone."""
        return None if self.mask_only else self.alpha

    def render(self, frame_bgr, labels, status_text=None, blended=None, mask=None):
        # type: (np.ndarray, np.ndarray, str, np.ndarray, np.ndarray) -> np.ndarray
        """A new BGR image: the mask (or the frame blended with it), legend and status; `frame_bgr` is untouched.

        `blended`: the frame already blended at this renderer's alpha (on the GPU); it is copied, not kept.
        `mask`: the colour mask when the caller already has it.
        """
        if blended is None or self.mask_only:
            mask = colorize(labels, self.colors) if mask is None else mask
        # the legend and status are drawn on `image`, so mask-only needs its own copy to keep the mask plain
        if self.mask_only:
            image = mask.copy()
        else:
            image = blended.copy() if blended is not None else blend(frame_bgr, mask, self.alpha)
        present = present_classes(labels, self.names) if self.legend else []
        self.last_legend = present[:MAX_LEGEND_ENTRIES]
        _draw_legend_entries(image, self.last_legend, self.colors, len(present) - len(self.last_legend))
        if status_text:
            draw_status(image, status_text)
        return image
