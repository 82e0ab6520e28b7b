"""CoinCheung/BiSeNet's BiSeNetV2 (lib/models/bisenetv2.py, current layout): a detail branch at stride 8,
a semantic branch (stem, gather-and-expand layers, context embedding) at stride 32, bilateral guided
aggregation with nearest x4 upsampling, and a head whose logits the source upsamples x8 bilinearly
(align_corners=False). Cityscapes, COCO-Stuff or ADE20K, each with its own mean/std.

The earlier pixelshuffle layout (2021, commit 12cd095) differs only in the head: head.conv_out.0 is a conv
(with bias) to classes x 8 x 8 channels, then PixelShuffle(8): full-resolution logits. The 2020 layout
(bisenetv2/bisenetv2.py: head.conv_out a plain conv, bilinear align_corners=True upsampling in the BGA
layer too) is refused."""

import torch
import torch.nn as nn

from ...core.errors import InputError
from ..upsample import Interpolate
from .base import Family, tensor_shape
from .coincheung_layers import ConvBNReLU, PixelShuffle, conv_bn, global_mean, scaled_size

EXPANSION = 6  # gather-and-expand layers widen their depthwise stage this many times
HEAD_WIDTH = 1024  # the main head's hidden channels
SHUFFLE = 8  # the pixelshuffle layout's head: classes x 8 x 8 channels at 1/8 -> classes at full resolution


class DetailBranch(nn.Module):
    def __init__(self):
        super(DetailBranch, self).__init__()
        self.S1 = nn.Sequential(ConvBNReLU(3, 64, stride=2), ConvBNReLU(64, 64))
        self.S2 = nn.Sequential(ConvBNReLU(64, 64, stride=2), ConvBNReLU(64, 64), ConvBNReLU(64, 64))
        self.S3 = nn.Sequential(ConvBNReLU(64, 128, stride=2), ConvBNReLU(128, 128), ConvBNReLU(128, 128))

    def forward(self, x):
        return self.S3(self.S2(self.S1(x)))


class StemBlock(nn.Module):
    def __init__(self):
        super(StemBlock, self).__init__()
        self.conv = ConvBNReLU(3, 16, stride=2)
        self.left = nn.Sequential(ConvBNReLU(16, 8, 1, padding=0), ConvBNReLU(8, 16, stride=2))
        self.right = nn.MaxPool2d(3, stride=2, padding=1)
        self.fuse = ConvBNReLU(32, 16)

    def forward(self, x):
        feat = self.conv(x)
        return self.fuse(torch.cat([self.left(feat), self.right(feat)], dim=1))


class ContextEmbedding(nn.Module):
    """CEBlock."""

    def __init__(self):
        super(ContextEmbedding, self).__init__()
        self.bn = nn.BatchNorm2d(128)
        self.conv_gap = ConvBNReLU(128, 128, 1, padding=0)
        self.conv_last = ConvBNReLU(128, 128)

    def forward(self, x):
        return self.conv_last(self.conv_gap(self.bn(global_mean(x))) + x)


class GatherExpand(nn.Module):
    """GELayerS1: stride 1, identity shortcut."""

    def __init__(self, chan):
        super(GatherExpand, self).__init__()
        mid_chan = chan * EXPANSION
        self.conv1 = ConvBNReLU(chan, chan)
        self.dwconv = nn.Sequential(*conv_bn(chan, mid_chan, 3, groups=chan) + [nn.ReLU(inplace=True)])
        self.conv2 = nn.Sequential(*conv_bn(mid_chan, chan, 1))
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.relu(self.conv2(self.dwconv(self.conv1(x))) + x)


class GatherExpandDown(nn.Module):
    """GELayerS2: stride 2, with a depthwise-separable shortcut."""

    def __init__(self, in_chan, out_chan):
        super(GatherExpandDown, self).__init__()
        mid_chan = in_chan * EXPANSION
        self.conv1 = ConvBNReLU(in_chan, in_chan)
        self.dwconv1 = nn.Sequential(*conv_bn(in_chan, mid_chan, 3, stride=2, groups=in_chan))
        self.dwconv2 = nn.Sequential(*conv_bn(mid_chan, mid_chan, 3, groups=mid_chan) + [nn.ReLU(inplace=True)])
        self.conv2 = nn.Sequential(*conv_bn(mid_chan, out_chan, 1))
        self.shortcut = nn.Sequential(*conv_bn(in_chan, in_chan, 3, stride=2, groups=in_chan)
                                      + conv_bn(in_chan, out_chan, 1))
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        feat = self.conv2(self.dwconv2(self.dwconv1(self.conv1(x))))
        return self.relu(feat + self.shortcut(x))


class SegmentBranch(nn.Module):
    """The stride-32 semantic feature (the intermediate ones feed only training heads)."""

    def __init__(self):
        super(SegmentBranch, self).__init__()
        self.S1S2 = StemBlock()
        self.S3 = nn.Sequential(GatherExpandDown(16, 32), GatherExpand(32))
        self.S4 = nn.Sequential(GatherExpandDown(32, 64), GatherExpand(64))
        self.S5_4 = nn.Sequential(GatherExpandDown(64, 128), GatherExpand(128), GatherExpand(128), GatherExpand(128))
        self.S5_5 = ContextEmbedding()

    def forward(self, x):
        return self.S5_5(self.S5_4(self.S4(self.S3(self.S1S2(x)))))


class GuidedAggregation(nn.Module):
    """BGALayer: each branch gates the other at its own resolution."""

    def __init__(self):
        super(GuidedAggregation, self).__init__()
        self.left1 = nn.Sequential(*conv_bn(128, 128, 3, groups=128) + [nn.Conv2d(128, 128, 1, bias=False)])
        self.left2 = nn.Sequential(*conv_bn(128, 128, 3, stride=2)
                                   + [nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=False)])
        self.right1 = nn.Sequential(*conv_bn(128, 128, 3))
        self.right2 = nn.Sequential(*conv_bn(128, 128, 3, groups=128) + [nn.Conv2d(128, 128, 1, bias=False)])
        self.up1 = Interpolate("nearest")
        self.up2 = Interpolate("nearest")
        self.conv = nn.Sequential(*conv_bn(128, 128, 3) + [nn.ReLU(inplace=True)])

    def forward(self, detail, semantic):
        left1, left2 = self.left1(detail), self.left2(detail)
        right1, right2 = self.right1(semantic), self.right2(semantic)
        left = left1 * torch.sigmoid(self.up1(right1, scaled_size(right1, 4)))
        right = left2 * torch.sigmoid(right2)
        return self.conv(left + self.up2(right, scaled_size(right, 4)))


class SegmentHead(nn.Module):
    """The main SegmentHead without its final bilinear upsample; conv_out keeps the source's indices (current
    layout: 0 is an Identity where the training heads upsample; pixelshuffle layout: conv, PixelShuffle)."""

    def __init__(self, in_chan, mid_chan, num_classes, pixel_shuffle):
        super(SegmentHead, self).__init__()
        self.conv = ConvBNReLU(in_chan, mid_chan)
        self.drop = nn.Dropout(0.1)
        if pixel_shuffle:
            self.conv_out = nn.Sequential(nn.Conv2d(mid_chan, num_classes * SHUFFLE * SHUFFLE, 1, bias=True),
                                          PixelShuffle(SHUFFLE))
        else:
            self.conv_out = nn.Sequential(nn.Identity(), nn.Conv2d(mid_chan, num_classes, 1, bias=True))

    def forward(self, x):
        return self.conv_out(self.drop(self.conv(x)))


class BiSeNetV2(nn.Module):
    """Image -> 1/8-resolution logits (full-resolution for the pixelshuffle layout)."""

    def __init__(self, num_classes, layout="current"):
        super(BiSeNetV2, self).__init__()
        self.detail = DetailBranch()
        self.segment = SegmentBranch()
        self.bga = GuidedAggregation()
        self.head = SegmentHead(128, HEAD_WIDTH, num_classes, pixel_shuffle=layout == "pixelshuffle")

    def forward(self, x):
        return self.head(self.bga(self.detail(x), self.segment(x)))


class CoinCheungV2Family(Family):
    name = "coincheung-v2"
    title = "CoinCheung/BiSeNet BiSeNetV2"
    source = "coincheung"
    head_align_corners = False  # its SegmentHead: nn.Upsample(scale_factor=8, bilinear, align_corners=False)
    input_multiple = 32  # the stride-32 semantic map is upsampled x4 onto the stride-8 detail map
    # present in every CoinCheung V2 layout; config() tells them apart
    signature = ("detail.S1.0.conv.weight", "segment.S1S2.conv.conv.weight", "segment.S5_5.conv_gap.conv.weight",
                 "bga.left1.0.weight", "head.conv.conv.weight")
    aux_prefixes = ("aux2.", "aux3.", "aux4.", "aux5_4.")

    def config(self, state_dict, path):
        if "head.conv_out.weight" in state_dict:
            raise InputError(
                "{} is CoinCheung's 2020 BiSeNetV2 layout (head.conv_out a plain conv; its BGA layer upsamples "
                "bilinearly with align_corners=True); it is not rebuilt".format(path))
        config = {"arch": "bisenetv2", "in_planes": None, "variant": None, "layout": "current"}
        if "head.conv_out.0.weight" not in state_dict:
            config["num_classes"] = tensor_shape(state_dict, "head.conv_out.1.weight", path)[0]
            return config
        head_chan = tensor_shape(state_dict, "head.conv_out.0.weight", path)[0]
        if head_chan % (SHUFFLE * SHUFFLE):
            raise InputError("{}: head.conv_out.0 has {} channels, not classes x {}".format(
                path, head_chan, SHUFFLE * SHUFFLE))
        config.update(layout="pixelshuffle", num_classes=head_chan // (SHUFFLE * SHUFFLE), output_stride=1)
        return config

    def build(self, config):
        return BiSeNetV2(config["num_classes"], config.get("layout", "current"))

    def describe(self, config):
        layout = config.get("layout", "current")
        return "CoinCheung BiSeNetV2 ({} classes{})".format(
            config["num_classes"], "" if layout == "current" else ", earlier {} layout".format(layout))


FAMILY = CoinCheungV2Family()
