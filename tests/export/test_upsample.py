"""The deconv and matmul substitutions equal PyTorch's bilinear interpolation where claimed."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st

from bisenet_deploy.export.upsample import interpolation_matrix, is_exact, make_upsample

SIZES = [(1, 1), (2, 3), (5, 7), (13, 9), (60, 80)]


def reference(x, out_hw, align_corners):
    return F.interpolate(x, size=out_hw, mode="bilinear", align_corners=align_corners)


@pytest.mark.parametrize("in_hw", SIZES)
@pytest.mark.parametrize("scale", [2, 3, 8])
def test_deconv_is_exact_for_half_pixel_bilinear(in_hw, scale):
    x = torch.randn(2, 5, *in_hw)
    out_hw = (in_hw[0] * scale, in_hw[1] * scale)
    got = make_upsample("deconv", False, in_hw, out_hw)(x, out_hw)
    expected = reference(x, out_hw, False)
    assert got.shape == expected.shape
    # PyTorch computes odd-scale source coordinates in float32, hence float rounding, not more
    assert torch.max(torch.abs(got - expected)) <= 5e-5
    # borders included: the first/last rows and columns replicate the edge pixels exactly
    assert torch.allclose(got[..., 0, 0], x[..., 0, 0], atol=1e-6)
    assert torch.allclose(got[..., -1, -1], x[..., -1, -1], atol=1e-6)


@pytest.mark.parametrize("in_hw", SIZES)
@pytest.mark.parametrize("out_hw_of", [lambda h, w: (2 * h, 2 * w), lambda h, w: (8 * h, 8 * w),
                                       lambda h, w: (h + 3, 2 * w + 1)])
@pytest.mark.parametrize("align_corners", [False, True])
def test_matmul_is_exact_for_any_sizes(in_hw, out_hw_of, align_corners):
    out_hw = out_hw_of(*in_hw)
    x = torch.randn(1, 4, *in_hw)
    got = make_upsample("matmul", align_corners, in_hw, out_hw)(x, out_hw)
    assert torch.max(torch.abs(got - reference(x, out_hw, align_corners))) <= 2e-5


def test_deconv_only_approximates_align_corners_true():
    x = torch.randn(1, 3, 30, 40)
    up = make_upsample("deconv", True, (30, 40), (240, 320))(x, (240, 320))
    error = torch.max(torch.abs(up - reference(x, (240, 320), True)))
    assert error > 1e-2  # the approximation is real and must be reported as such
    assert not is_exact("deconv", True) and is_exact("deconv", False)
    assert is_exact("matmul", True) and is_exact("resize", True)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 40), st.integers(1, 90), st.booleans())
def test_interpolation_rows_are_convex_weights(in_size, out_size, align_corners):
    matrix = interpolation_matrix(in_size, out_size, align_corners)
    assert matrix.shape == (out_size, in_size)
    assert np.all(matrix >= 0) and np.allclose(matrix.sum(axis=1), 1.0, atol=1e-6)
    if align_corners and out_size > 1:
        # the corners map onto the input corners (up to float32 coordinates, as PyTorch computes them)
        assert matrix[0, 0] == 1.0 and matrix[-1, -1] == pytest.approx(1.0, abs=1e-5)


def test_wrong_sizes_are_rejected():
    with pytest.raises(ValueError, match="integer scale"):
        make_upsample("deconv", False, (4, 4), (10, 10))
    up = make_upsample("matmul", True, (4, 4), (8, 8))
    with pytest.raises(ValueError, match="built for"):
        up(torch.randn(1, 1, 5, 5), (10, 10))
    with pytest.raises(ValueError, match="unknown upsample"):
        make_upsample("cubic", True, (4, 4), (8, 8))


@pytest.mark.parametrize("mode", ["resize", "matmul", "deconv"])
@pytest.mark.parametrize("scale", [2, 4])
def test_every_form_of_nearest_upsampling_is_exact(mode, scale):
    """BiSeNetV1's x2 and BiSeNetV2's x4 feature upsampling: PyTorch's nearest, in each ONNX form."""
    x = torch.randn(2, 5, 6, 7)
    out_hw = (6 * scale, 7 * scale)
    want = F.interpolate(x, size=out_hw, mode="nearest")
    got = make_upsample(mode, False, (6, 7), out_hw, kind="nearest")(x, out_hw)
    assert torch.equal(got, want) and is_exact(mode, False, "nearest")
