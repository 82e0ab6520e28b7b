"""segnet's point and linear mask filters."""

import numpy as np
import pytest

from bisenet_deploy.core.errors import InputError
from bisenet_deploy.runtime.mask_filters import filtered_mask
from bisenet_deploy.runtime.overlay import colorize

COLORS = [[255, 0, 0], [0, 0, 255]]


def halves(height, width):
    labels = np.zeros((height, width), np.uint8)
    labels[:, width // 2:] = 1
    return labels


def test_point_is_the_exact_colour_of_each_class():
    labels = halves(32, 48)
    np.testing.assert_array_equal(filtered_mask(labels, COLORS, "point", (8, 12)), colorize(labels, COLORS))


def test_linear_blends_across_a_border_and_keeps_the_rest():
    labels = halves(32, 48)
    mask = filtered_mask(labels, COLORS, "linear", (8, 12))
    point = colorize(labels, COLORS)
    np.testing.assert_array_equal(mask[:, :16], point[:, :16])  # far from the border: unchanged
    np.testing.assert_array_equal(mask[:, 32:], point[:, 32:])
    border = mask[:, 23:25].reshape(-1, 3).astype(int)
    assert ((border[:, 0] > 0) & (border[:, 2] > 0)).all()  # both colours mixed at the border


def test_linear_at_the_grid_size_is_point():
    labels = halves(8, 12)
    np.testing.assert_array_equal(filtered_mask(labels, COLORS, "linear", (8, 12)), colorize(labels, COLORS))


def test_unknown_filter_is_refused():
    with pytest.raises(InputError, match="linear or point"):
        filtered_mask(halves(4, 4), COLORS, "cubic", (4, 4))
