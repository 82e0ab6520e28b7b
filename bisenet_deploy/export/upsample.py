"""Ways to express an upsample in an ONNX graph, all with the signature `up(x, size)`.

Every interpolation inside a network is an `Interpolate` module (a "site"), so the exporter can find
each one and swap in the chosen form. Bilinear sites:
- `resize`: F.interpolate -> native ONNX Resize (exact; TensorRT >= 8.0 honours its modes).
- `deconv`: replicate-pad by one pixel (Slice+Concat, which every TensorRT parses) then a fixed-weight
  depthwise ConvTranspose. Exact for align_corners=False at integer scales; for align_corners=True
  it is an approximation whose argmax agreement the exporter measures and reports.
- `matmul`: constant interpolation matrices, y = A_h @ x @ A_w^T. Exact for either align_corners,
  any sizes, on any TensorRT (MatMul needs no special parser support).
Nearest sites (BiSeNetV1/V2's x2 and x4 feature upsampling) are exact in every form: Resize nearest
(asymmetric, floor: the one mode TensorRT 7.1 imports), a ones-kernel depthwise ConvTranspose, or
one-hot matrices.
"""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from .names import UPSAMPLE_MODES

KINDS = ("bilinear", "nearest")

def interpolation_matrix(in_size, out_size, align_corners, kind="bilinear"):
    # type: (int, int, bool, str) -> np.ndarray
    """(out_size, in_size) matrix A such that A @ v is PyTorch's 1-D interpolation of v."""
    if kind == "nearest":
        # PyTorch's legacy nearest: source = floor(dst * in / out), clamped
        src = np.minimum(np.floor(np.arange(out_size, dtype=np.float32) * np.float32(in_size / out_size)),
                         in_size - 1).astype(np.int64)
        matrix = np.zeros((out_size, in_size), dtype=np.float32)
        matrix[np.arange(out_size), src] = 1.0
        return matrix
    # Source coordinates in float32, as PyTorch computes them, so the rounding matches too.
    out_idx = np.arange(out_size, dtype=np.float32)
    if align_corners:
        scale = np.float32((in_size - 1) / (out_size - 1) if out_size > 1 else 0.0)
        src = out_idx * scale
    else:
        scale = np.float32(in_size / out_size)
        src = np.maximum((out_idx + np.float32(0.5)) * scale - np.float32(0.5), np.float32(0.0))
    lower = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
    upper = np.minimum(lower + 1, in_size - 1)
    frac = src - lower
    matrix = np.zeros((out_size, in_size), dtype=np.float64)
    np.add.at(matrix, (np.arange(out_size), lower), 1.0 - frac)
    np.add.at(matrix, (np.arange(out_size), upper), frac)
    return matrix.astype(np.float32)


def triangle_kernel(scale):
    # type: (int) -> np.ndarray
    """1-D kernel of a stride-`scale` transposed conv that performs half-pixel linear interpolation."""
    length = 2 * scale if scale % 2 == 0 else 2 * scale - 1
    centre = (length - 1) / 2.0
    return (1.0 - np.abs(np.arange(length) - centre) / scale).astype(np.float32)


def deconv_padding(scale):
    # type: (int) -> int
    """ConvTranspose padding that crops the replicate-padded result back to exactly `scale` x size."""
    return (len(triangle_kernel(scale)) + scale) // 2


class Interpolate(nn.Module):
    """An interpolation site and its reference: PyTorch's own (exports as ONNX Resize)."""

    def __init__(self, kind="bilinear", align_corners=False):
        super(Interpolate, self).__init__()
        if kind not in KINDS:
            raise ValueError("interpolation kind must be one of {}, not {!r}".format(KINDS, kind))
        self.kind, self.align_corners = kind, align_corners

    def forward(self, x, size):
        size = (int(size[0]), int(size[1]))
        if self.kind == "nearest":
            return F.interpolate(x, size=size, mode="nearest")
        return F.interpolate(x, size=size, mode="bilinear", align_corners=self.align_corners)


def _replicate_pad1(x):
    # Concat of edge slices rather than Pad(mode=edge): TensorRT 7.1/8.0 parse only constant-0 Pad.
    x = torch.cat((x[:, :, :1], x, x[:, :, -1:]), dim=2)
    return torch.cat((x[:, :, :, :1], x, x[:, :, :, -1:]), dim=3)


class DeconvUpsample(nn.Module):
    """Upsampling by an integer factor as a fixed-weight depthwise ConvTranspose, for any channel count
    (the weight is expanded per call; export folds it into a constant). `nearest`: a ones kernel, exact.
    `bilinear`: a triangle kernel after a one-pixel replicate pad, exact for align_corners=False."""

    def __init__(self, scale, kind="bilinear"):
        super(DeconvUpsample, self).__init__()
        if int(scale) != scale or scale < 1:
            raise ValueError("deconv upsampling needs an integer scale factor, got {}".format(scale))
        self.scale, self.kind = int(scale), kind
        if kind == "nearest":
            kernel, self.padding = torch.ones(self.scale, self.scale), 0
        else:
            kernel_1d = torch.from_numpy(triangle_kernel(self.scale))
            kernel, self.padding = torch.outer(kernel_1d, kernel_1d), deconv_padding(self.scale)
        self.register_buffer("kernel", kernel[None, None], persistent=False)

    def forward(self, x, size):
        if int(size[0]) != x.shape[2] * self.scale or int(size[1]) != x.shape[3] * self.scale:
            raise ValueError("DeconvUpsample(scale={}) cannot map {} to {}".format(
                self.scale, tuple(x.shape[2:]), tuple(size)))
        channels = int(x.shape[1])
        weight = self.kernel.expand(channels, 1, -1, -1).contiguous()
        source = x if self.kind == "nearest" else _replicate_pad1(x)
        return F.conv_transpose2d(source, weight, stride=self.scale, padding=self.padding, groups=channels)


class MatmulUpsample(nn.Module):
    """Constant interpolation matrices for one fixed (in -> out) size pair."""

    def __init__(self, in_hw, out_hw, align_corners, kind="bilinear"):
        super(MatmulUpsample, self).__init__()
        self.in_hw, self.out_hw = tuple(in_hw), tuple(out_hw)
        rows = interpolation_matrix(in_hw[0], out_hw[0], align_corners, kind)
        cols = interpolation_matrix(in_hw[1], out_hw[1], align_corners, kind).T.copy()
        self.register_buffer("rows", torch.from_numpy(rows), persistent=False)
        self.register_buffer("cols", torch.from_numpy(cols), persistent=False)

    def forward(self, x, size):
        if tuple(x.shape[2:]) != self.in_hw or (int(size[0]), int(size[1])) != self.out_hw:
            raise ValueError("MatmulUpsample was built for {} -> {}, got {} -> {}".format(
                self.in_hw, self.out_hw, tuple(x.shape[2:]), tuple(size)))
        return torch.matmul(torch.matmul(self.rows, x), self.cols)


def is_exact(mode, align_corners, kind="bilinear"):
    # type: (str, bool, str) -> bool
    """Whether `mode` reproduces PyTorch's interpolation up to float rounding."""
    return mode in ("resize", "matmul") or kind == "nearest" or (mode == "deconv" and not align_corners)


def make_upsample(mode, align_corners, in_hw, out_hw, kind="bilinear"):
    """The module for `mode` that maps (N, C, *in_hw) to (N, C, *out_hw) as a `kind` interpolation."""
    if mode == "resize":
        return Interpolate(kind, align_corners)
    if mode == "matmul":
        return MatmulUpsample(in_hw, out_hw, align_corners, kind)
    if mode == "deconv":
        if out_hw[0] % in_hw[0] or out_hw[1] % in_hw[1] or out_hw[0] // in_hw[0] != out_hw[1] // in_hw[1]:
            raise ValueError("deconv upsampling needs one integer scale for both axes: {} -> {}".format(
                in_hw, out_hw))
        return DeconvUpsample(out_hw[0] // in_hw[0], kind)
    raise ValueError("unknown upsample mode {!r}; choose from {}".format(mode, UPSAMPLE_MODES))
