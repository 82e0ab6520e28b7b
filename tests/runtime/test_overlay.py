"""Overlay: class colours in BGR, alpha blending, the legend of present classes, the status line."""

import numpy as np
import pytest

from bisenet_deploy.core.errors import InputError
from bisenet_deploy.runtime.overlay import OverlayRenderer, blend, colorize, draw_legend, draw_status, legend_entries

NAMES = ["wall", "floor", "bed", "chair"]
COLORS = [[255, 0, 0], [0, 200, 0], [10, 20, 30], [1, 2, 250]]  # RGB, as cards store them
CARD = {"classes": NAMES, "colors": COLORS}


def quadrant_labels(height=120, width=160):
    """floor on the top half, bed bottom-left, chair bottom-right: shares 1/2, 1/4, 1/4 (no wall)."""
    labels = np.ones((height, width), np.uint8)
    labels[height // 2:, : width // 2] = 2
    labels[height // 2:, width // 2:] = 3
    return labels


def random_frame(shape, seed=0):
    return np.random.RandomState(seed).randint(0, 256, shape).astype(np.uint8)


def test_colorize_uses_the_card_colours_in_bgr_order():
    labels = quadrant_labels()
    mask = colorize(labels, COLORS)
    assert mask.shape == labels.shape + (3,) and mask.dtype == np.uint8
    for index, rgb in enumerate(COLORS):
        assert (mask[labels == index] == rgb[::-1]).all()
    assert tuple(mask[-1, -1]) == (250, 2, 1)


def test_label_without_a_colour_is_refused():
    with pytest.raises(InputError, match="no colour"):
        colorize(np.full((2, 2), 4, np.uint8), COLORS)


@pytest.mark.parametrize("renderer", [OverlayRenderer(CARD, alpha=1.0, legend=False),
                                      OverlayRenderer(CARD, alpha=0.3, mask_only=True, legend=False)])
def test_opaque_and_mask_only_show_exactly_the_class_colours(renderer):
    labels = quadrant_labels()
    frame = random_frame(labels.shape + (3,))
    before = frame.copy()
    image = renderer.render(frame, labels)
    expected = np.array([rgb[::-1] for rgb in COLORS], np.uint8)[labels]
    assert np.array_equal(image, expected)
    assert np.array_equal(frame, before)  # the caller's frame is never drawn on


def test_blend_arithmetic_at_half_alpha():
    frame, mask = random_frame((50, 70, 3), 1), random_frame((50, 70, 3), 2)
    blended = blend(frame, mask, 0.5)
    manual = 0.5 * mask.astype(np.float64) + 0.5 * frame.astype(np.float64)
    assert blended.dtype == np.uint8
    assert np.max(np.abs(blended - manual)) <= 1.0
    assert np.array_equal(blend(frame, mask, 0.0), frame)


@pytest.mark.parametrize("alpha", [-0.1, 1.5])
def test_alpha_out_of_range_is_refused(alpha):
    with pytest.raises(InputError, match="--alpha"):
        OverlayRenderer(CARD, alpha=alpha)
    with pytest.raises(InputError, match="--alpha"):
        blend(random_frame((4, 4, 3)), random_frame((4, 4, 3)), alpha)


def test_legend_entries_are_the_present_classes_by_share():
    labels = quadrant_labels()
    labels[:, :10] = 3  # chair now outweighs bed
    entries = legend_entries(labels, NAMES)
    counts = np.bincount(labels.ravel(), minlength=len(NAMES))
    present = sorted((i for i in range(len(NAMES)) if counts[i]), key=lambda i: -counts[i])
    assert [e.index for e in entries] == present == [1, 3, 2]
    assert [e.name for e in entries] == ["floor", "chair", "bed"]
    assert [e.share for e in entries] == pytest.approx([counts[i] / labels.size for i in present])
    assert [e.index for e in legend_entries(labels, NAMES, max_entries=2)] == [1, 3]


def test_legend_is_drawn_top_right_in_place():
    labels = quadrant_labels(240, 320)
    frame = random_frame(labels.shape + (3,))
    with_legend = frame.copy()
    returned = draw_legend(with_legend, labels, NAMES, COLORS)
    assert returned is with_legend
    changed = np.any(with_legend != frame, axis=2)
    assert changed[:40, -60:].mean() > 0.5  # the panel
    assert not changed[120:, :160].any()  # far from it nothing moves
    # each present class gets a swatch of its own colour; the absent one (wall, blue) does not
    for index in (1, 2, 3):
        assert np.all(with_legend[:120, 160:] == COLORS[index][::-1], axis=2).sum() >= 16
    assert not np.all(with_legend[:120, 160:] == COLORS[0][::-1], axis=2).any()


def test_renderer_records_its_legend():
    labels = quadrant_labels()
    renderer = OverlayRenderer(CARD)
    plain = OverlayRenderer(CARD, legend=False).render(random_frame(labels.shape + (3,)), labels)
    image = renderer.render(random_frame(labels.shape + (3,)), labels)
    assert renderer.last_legend == legend_entries(labels, NAMES)
    assert np.any(image != plain)


def test_legend_fits_a_tiny_frame():
    labels = np.arange(12, dtype=np.uint8).reshape(3, 4).repeat(6, axis=0).repeat(5, axis=1) % 4
    image = draw_legend(random_frame(labels.shape + (3,)), labels, NAMES, COLORS)
    assert image.shape == labels.shape + (3,)


def test_status_line_is_drawn_top_left():
    frame = np.full((120, 200, 3), 128, np.uint8)
    image = draw_status(frame.copy(), "12.3 FPS (network 40.1)")
    changed = np.any(image != frame, axis=2)
    assert changed[:30, :100].any() and not changed[60:, :].any()
    renderer_image = OverlayRenderer(CARD, alpha=0.0, legend=False).render(frame, np.zeros((120, 200), np.uint8),
                                                                           status_text="12.3 FPS (network 40.1)")
    assert np.array_equal(renderer_image, image)
