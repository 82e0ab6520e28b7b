"""Building blocks CoinCheung/BiSeNet's BiSeNetV1 and BiSeNetV2 share, under that project's parameter
names (`conv`, `bn`), so its state_dicts load strict."""

import torch
import torch.nn as nn


class ConvBNReLU(nn.Module):
    """Conv2d without bias, BatchNorm2d, ReLU."""

    def __init__(self, in_chan, out_chan, kernel=3, stride=1, padding=1, groups=1):
        super(ConvBNReLU, self).__init__()
        self.conv = nn.Conv2d(in_chan, out_chan, kernel, stride=stride, padding=padding, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(out_chan)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.relu(self.bn(self.conv(x)))


def conv_bn(in_chan, out_chan, kernel, stride=1, groups=1):
    """[Conv2d without bias (same padding), BatchNorm2d]: the layers of one nn.Sequential entry pair."""
    return [nn.Conv2d(in_chan, out_chan, kernel, stride=stride, padding=kernel // 2, groups=groups, bias=False),
            nn.BatchNorm2d(out_chan)]


def global_mean(x):
    """Mean over the spatial axes, kept as 1x1 (CoinCheung's torch.mean(dim=(2, 3), keepdim=True):
    ONNX ReduceMean, which every TensorRT parses)."""
    return torch.mean(x, dim=(2, 3), keepdim=True)


def scaled_size(x, factor):
    # type: (torch.Tensor, int) -> tuple
    """The (h, w) that nn.Upsample(scale_factor=factor) gives `x`, as the explicit size an Interpolate
    site takes."""
    return int(x.shape[2]) * factor, int(x.shape[3]) * factor


class PixelShuffle(nn.Module):
    """nn.PixelShuffle (CoinCheung's earlier heads) as Reshape, Transpose, Reshape. torch would export
    DepthToSpace(mode=CRD), which the older onnx-tensorrt importers rearrange as DCR (they never read
    `mode`): a silently wrong map that no lint sees. Reshape/Transpose parse right on every TensorRT."""

    def __init__(self, factor):
        super(PixelShuffle, self).__init__()
        self.factor = factor

    def forward(self, x):
        factor = self.factor
        chan, height, width = (int(d) for d in x.shape[1:])
        classes = chan // (factor * factor)
        # channel c * f * f + i * f + j of pixel (h, w) -> class c at (h * f + i, w * f + j)
        blocks = x.reshape(-1, classes, factor, factor, height, width).permute(0, 1, 4, 2, 5, 3)
        return blocks.reshape(-1, classes, height * factor, width * factor)
