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


def _luminance(rgb):
    """WCAG relative luminance of an sRGB colour (0-255 channels)."""
    linear = [c / 255.0 / 12.92 if c <= 10 else ((c / 255.0 + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a, b):
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def forty_of_coco_stuff(height, width):
    """(card of the 171 COCO-Stuff classes, labels holding 40 of them with distinct areas, their order by area)."""
    from bisenet_deploy.core.classes import load_classes
    from bisenet_deploy.core.datasets import classes_csv
    names, colours = load_classes(171, classes_csv("coco-stuff"))
    classes = [26] + list(range(100, 139))  # 26 (handbag) is black in mmseg's palette
    rng = np.random.RandomState(0)
    order = [classes[i] for i in rng.permutation(len(classes))]  # largest first
    areas = np.arange(len(order), 0, -1) * 2 + 100  # all different, the first largest
    flat = np.repeat(order, areas)[:height * width]
    flat = np.concatenate([flat, np.full(height * width - flat.size, order[0])])  # the rest to the largest
    return {"classes": names, "colors": colours}, flat.reshape(height, width).astype(np.uint8), order


@pytest.mark.parametrize("frame_value", [255, 128])  # white: the hardest background for white text
def test_171_class_legend_lists_the_largest_first_then_how_many_more_all_readable(monkeypatch, frame_value):
    import bisenet_deploy.runtime.overlay as overlay
    card, labels, order = forty_of_coco_stuff(480, 640)
    frame = np.full(labels.shape + (3,), frame_value, np.uint8)
    drawn = []
    real_put_text = overlay.cv2.putText

    def recording_put_text(image, text, origin, font, scale, colour, *args):
        drawn.append((text, colour))
        return real_put_text(image, text, origin, font, scale, colour, *args)

    monkeypatch.setattr(overlay.cv2, "putText", recording_put_text)
    renderer = OverlayRenderer(card, alpha=0.0)  # alpha 0: the panel lies over the plain frame
    image = renderer.render(frame, labels)
    assert [e.index for e in renderer.last_legend] == order[:overlay.MAX_LEGEND_ENTRIES]
    assert [text.rsplit(" ", 1)[0] for text, _ in drawn] == [card["classes"][i] for i in order[:12]] + ["+28"]
    assert drawn[-1][0] == "+28 more"
    # readable: every text is TEXT_COLOUR on the dimmed frame; WCAG AA asks 4.5:1 for normal text
    changed = np.any(image != frame, axis=2)
    rows, cols = np.nonzero(changed)
    panel = image[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    dimmed = tuple(int(v) for v in (np.full(3, frame_value) * overlay.PANEL_DIM).astype(np.uint8))
    assert np.all(panel == dimmed, axis=2).mean() > 0.5  # mostly background: the dimmed frame
    for _, colour in drawn:
        assert _contrast(colour[::-1], dimmed) >= 4.5
    # the black class's swatch shows by its edge on the dark panel
    assert np.all(panel == overlay.SWATCH_EDGE[::-1], axis=2).sum() >= 4 * 8


def test_legend_cut_by_the_frame_height_counts_what_it_leaves_out(monkeypatch):
    import bisenet_deploy.runtime.overlay as overlay
    card, labels, order = forty_of_coco_stuff(120, 160)
    drawn = []
    monkeypatch.setattr(overlay.cv2, "putText", lambda image, text, *args: drawn.append(text))
    draw_legend(random_frame(labels.shape + (3,)), labels, card["classes"], card["colors"])
    entries = drawn[:-1]
    assert 1 <= len(entries) < 12 and drawn[-1] == "+{} more".format(40 - len(entries))
    assert [text.rsplit(" ", 1)[0] for text in entries] == [card["classes"][i] for i in order[:len(entries)]]


def test_no_more_line_when_every_present_class_is_listed(monkeypatch):
    import bisenet_deploy.runtime.overlay as overlay
    drawn = []
    monkeypatch.setattr(overlay.cv2, "putText", lambda image, text, *args: drawn.append(text))
    draw_legend(random_frame((240, 320, 3)), quadrant_labels(240, 320), NAMES, COLORS)
    assert [text.split(" ")[0] for text in drawn] == ["floor", "bed", "chair"]
