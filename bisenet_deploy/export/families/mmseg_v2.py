"""open-mmlab/mmsegmentation's BiSeNetV2 with its FCNHead decode head; the configs bisenetv2_fcn_*.

Facts (mmseg backbones/bisenetv2.py, mmcv DepthwiseSeparableConvModule): every conv is an mmcv
ConvModule. The detail branch is three stages of 3x3 ConvModules (2, 3, 3 of them, the first of each
with stride 2) to 1/8. The semantic branch is a stem (conv_first/2, then [1x1, 3x3/2] `convs` beside a
3x3/2 max-pool, concatenated into `fuse_last`), gather-and-expansion stages of 2, 2 and 4 GELayers to
1/32 (the first of each with stride 2, a depthwise-separable shortcut and a two-conv `dwconv`) and a
context-embedding block (pool -> BN -> 1x1 ConvModule, broadcast-added, then a 3x3 ConvModule). The
BGA layer mixes the 1/8 detail and 1/32 semantic features with sigmoid gates and resizes twice from
1/32 to 1/8 by bilinear interpolation with align_corners=False (CoinCheung's V2 uses nearest there).
The decode head reads the BGA output (in_index 0).
"""

import torch
import torch.nn as nn

from ..upsample import Interpolate
from .base import tensor_shape
from .mmseg_bricks import ConvModule, FCNHead, MmsegFamily, head_config

BACKBONE = "backbone."
BGA_ALIGN_CORNERS = False  # BiSeNetV2's align_corners in every bisenetv2 config
GE_LAYERS = (2, 2, 4)  # GELayers in semantic stages 2..4


class DepthwiseSeparableConvModule(nn.Module):
    """3x3 depthwise ConvModule with BN and no ReLU, then a 1x1 ConvModule without ReLU (BN optional)."""

    def __init__(self, in_ch, out_ch, stride=1, pointwise_norm=True):
        super(DepthwiseSeparableConvModule, self).__init__()
        self.depthwise_conv = ConvModule(in_ch, in_ch, 3, stride, 1, groups=in_ch, act=False)
        self.pointwise_conv = ConvModule(in_ch, out_ch, 1, norm=pointwise_norm, act=False)

    def forward(self, x):
        return self.pointwise_conv(self.depthwise_conv(x))


class DetailBranch(nn.Module):
    def __init__(self, channels):
        super(DetailBranch, self).__init__()
        stages, in_ch = [], 3
        for i, out_ch in enumerate(channels):
            repeats = 1 if i == 0 else 2
            stages.append(nn.Sequential(ConvModule(in_ch, out_ch, 3, 2, 1),
                                        *[ConvModule(out_ch, out_ch, 3, 1, 1) for _ in range(repeats)]))
            in_ch = out_ch
        self.detail_branch = nn.ModuleList(stages)

    def forward(self, x):
        for stage in self.detail_branch:
            x = stage(x)
        return x


class StemBlock(nn.Module):
    def __init__(self, out_ch):
        super(StemBlock, self).__init__()
        self.conv_first = ConvModule(3, out_ch, 3, 2, 1)
        self.convs = nn.Sequential(ConvModule(out_ch, out_ch // 2, 1), ConvModule(out_ch // 2, out_ch, 3, 2, 1))
        self.pool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.fuse_last = ConvModule(out_ch * 2, out_ch, 3, 1, 1)

    def forward(self, x):
        x = self.conv_first(x)
        return self.fuse_last(torch.cat([self.convs(x), self.pool(x)], dim=1))


class GELayer(nn.Module):
    def __init__(self, in_ch, out_ch, exp_ratio, stride):
        super(GELayer, self).__init__()
        mid = in_ch * exp_ratio
        self.conv1 = ConvModule(in_ch, in_ch, 3, 1, 1)
        if stride == 1:
            self.dwconv = nn.Sequential(ConvModule(in_ch, mid, 3, 1, 1, groups=in_ch))
            self.shortcut = None
        else:
            self.dwconv = nn.Sequential(ConvModule(in_ch, mid, 3, stride, 1, groups=in_ch, act=False),
                                        ConvModule(mid, mid, 3, 1, 1, groups=mid))
            self.shortcut = nn.Sequential(DepthwiseSeparableConvModule(in_ch, out_ch, stride))
        self.conv2 = nn.Sequential(ConvModule(mid, out_ch, 1, act=False))
        self.act = nn.ReLU(inplace=True)

    def forward(self, x):
        out = self.conv2(self.dwconv(self.conv1(x)))
        return self.act(out + (x if self.shortcut is None else self.shortcut(x)))


class CEBlock(nn.Module):
    def __init__(self, channels):
        super(CEBlock, self).__init__()
        self.gap = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.BatchNorm2d(channels))
        self.conv_gap = ConvModule(channels, channels, 1)
        self.conv_last = ConvModule(channels, channels, 3, 1, 1)

    def forward(self, x):
        return self.conv_last(x + self.conv_gap(self.gap(x)))


class SemanticBranch(nn.Module):
    """Returns only the last stage's output: the inputs of the aux heads are not computed."""

    def __init__(self, channels, exp_ratio):
        super(SemanticBranch, self).__init__()
        self.stage1 = StemBlock(channels[0])
        for i, layers in enumerate(GE_LAYERS, start=1):
            self.add_module("stage{}".format(i + 1), nn.Sequential(
                GELayer(channels[i - 1], channels[i], exp_ratio, 2),
                *[GELayer(channels[i], channels[i], exp_ratio, 1) for _ in range(layers - 1)]))
        self.stage4_CEBlock = CEBlock(channels[-1])

    def forward(self, x):
        return self.stage4_CEBlock(self.stage4(self.stage3(self.stage2(self.stage1(x)))))


class BGALayer(nn.Module):
    def __init__(self, channels):
        super(BGALayer, self).__init__()
        self.detail_dwconv = nn.Sequential(DepthwiseSeparableConvModule(channels, channels, pointwise_norm=False))
        self.detail_down = nn.Sequential(ConvModule(channels, channels, 3, 2, 1, act=False),
                                         nn.AvgPool2d(kernel_size=3, stride=2, padding=1))
        self.semantic_conv = nn.Sequential(ConvModule(channels, channels, 3, 1, 1, act=False))
        self.semantic_dwconv = nn.Sequential(DepthwiseSeparableConvModule(channels, channels, pointwise_norm=False))
        self.conv = ConvModule(channels, channels, 3, 1, 1)
        self.up_semantic = Interpolate("bilinear", BGA_ALIGN_CORNERS)
        self.up_fused = Interpolate("bilinear", BGA_ALIGN_CORNERS)

    def forward(self, x_d, x_s):
        detail = self.detail_dwconv(x_d)
        size = detail.shape[2:]
        fuse_1 = detail * torch.sigmoid(self.up_semantic(self.semantic_conv(x_s), size))
        fuse_2 = self.detail_down(x_d) * torch.sigmoid(self.semantic_dwconv(x_s))
        return self.conv(fuse_1 + self.up_fused(fuse_2, size))


class BiSeNetV2Backbone(nn.Module):
    def __init__(self, config):
        super(BiSeNetV2Backbone, self).__init__()
        self.detail = DetailBranch(config["detail_channels"])
        self.semantic = SemanticBranch(config["semantic_channels"], config["exp_ratio"])
        self.bga = BGALayer(config["bga_channels"])

    def forward(self, x):
        return self.bga(self.detail(x), self.semantic(x))


class BiSeNetV2(nn.Module):
    """x (N,3,H,W) -> the decode head's 1/8 logits."""

    def __init__(self, config):
        super(BiSeNetV2, self).__init__()
        self.backbone = BiSeNetV2Backbone(config)
        self.decode_head = FCNHead(**config["head"])

    def forward(self, x):
        return self.decode_head(self.backbone(x))


class MmsegV2Family(MmsegFamily):
    name = "mmseg-v2"
    title = "mmsegmentation BiSeNetV2"
    signature = ("backbone.detail.detail_branch.0.0.conv.weight",
                 "backbone.semantic.stage1.conv_first.conv.weight",
                 "backbone.semantic.stage4_CEBlock.conv_gap.conv.weight",
                 "backbone.bga.conv.conv.weight",
                 "decode_head.conv_seg.weight")

    def config(self, state_dict, path):
        def shape(key):
            return tensor_shape(state_dict, BACKBONE + key, path)

        semantic = [shape("semantic.stage1.conv_first.conv.weight")[0]]
        semantic += [shape("semantic.stage{}.0.conv2.0.conv.weight".format(i))[0] for i in range(2, 5)]
        head = head_config(state_dict, path)
        return {
            "arch": "bisenetv2",
            "num_classes": head["num_classes"],
            "in_planes": None,
            "variant": None,
            "detail_channels": [shape("detail.detail_branch.{}.0.conv.weight".format(i))[0] for i in range(3)],
            "semantic_channels": semantic,
            # the expanding depthwise conv has in_ch * ratio outputs
            "exp_ratio": shape("semantic.stage2.0.dwconv.0.conv.weight")[0] // semantic[0],
            "bga_channels": shape("bga.conv.conv.weight")[0],
            "head": head,
        }

    def build(self, config):
        return BiSeNetV2(config)


FAMILY = MmsegV2Family()
