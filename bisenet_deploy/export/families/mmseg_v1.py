"""open-mmlab/mmsegmentation's BiSeNetV1: a ResNet context path (R-18/50/101 published; plain or V1c stem) and an
FCNHead decode head; the configs bisenetv1_r{18,50,101}-d32_*.

Facts (mmseg backbones/bisenetv1.py): the spatial path is four ConvModules (7x7/2, 3x3/2, 3x3/2,
1x1) to 1/8. The context path adds a global-pool `gap_conv` (pool -> 1x1 ConvModule with ReLU) to the
1/32 ARM output by broadcasting, upsamples nearest (mmseg's `resize` with mode 'nearest') to 1/16,
applies `conv_head32`, adds the 1/16 ARM output, upsamples nearest to 1/8 and applies `conv_head16`.
An ARM is a 3x3 ConvModule, then pool -> 1x1 ConvModule (BN, no ReLU) -> sigmoid as a channel gate.
The FFM concatenates [spatial, context], applies a 1x1 ConvModule, and adds to it itself gated by
pool -> 1x1 ConvModule (BN *and* ReLU: the one step CoinCheung's V1 lacks) -> sigmoid. The decode
head reads the FFM output (in_index 0).
"""

import torch
import torch.nn as nn

from ..upsample import Interpolate
from .base import tensor_shape
from .mmseg_bricks import ConvModule, FCNHead, MmsegFamily, head_config
from .mmseg_resnet import build_resnet, resnet_config

BACKBONE = "backbone."
RESNET = BACKBONE + "context_path.backbone."


class SpatialPath(nn.Module):
    def __init__(self, channels):
        super(SpatialPath, self).__init__()
        shapes = ((7, 2), (3, 2), (3, 2), (1, 1))  # (kernel, stride) of layer1..4
        widths = (3,) + tuple(channels)
        for i, (kernel, stride) in enumerate(shapes):
            self.add_module("layer{}".format(i + 1), ConvModule(widths[i], widths[i + 1], kernel, stride,
                                                                kernel // 2))

    def forward(self, x):
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))


class AttentionRefinementModule(nn.Module):
    def __init__(self, in_ch, out_ch):
        super(AttentionRefinementModule, self).__init__()
        self.conv_layer = ConvModule(in_ch, out_ch, 3, padding=1)
        self.atten_conv_layer = nn.Sequential(nn.AdaptiveAvgPool2d(1), ConvModule(out_ch, out_ch, 1, act=False),
                                              nn.Sigmoid())

    def forward(self, x):
        x = self.conv_layer(x)
        return x * self.atten_conv_layer(x)


class ContextPath(nn.Module):
    def __init__(self, resnet, context_channels):
        super(ContextPath, self).__init__()
        low, mid, high = context_channels
        self.backbone = build_resnet(resnet)
        self.arm16 = AttentionRefinementModule(mid, low)
        self.arm32 = AttentionRefinementModule(high, low)
        self.conv_head32 = ConvModule(low, low, 3, padding=1)
        self.conv_head16 = ConvModule(low, low, 3, padding=1)
        self.gap_conv = nn.Sequential(nn.AdaptiveAvgPool2d(1), ConvModule(high, low, 1))
        self.up32 = Interpolate("nearest")
        self.up16 = Interpolate("nearest")

    def forward(self, x):
        _, x_8, x_16, x_32 = self.backbone(x)
        x_32_sum = self.arm32(x_32) + self.gap_conv(x_32)
        x_32_up = self.conv_head32(self.up32(x_32_sum, x_16.shape[2:]))
        x_16_sum = self.arm16(x_16) + x_32_up
        return self.conv_head16(self.up16(x_16_sum, x_8.shape[2:]))


class FeatureFusionModule(nn.Module):
    def __init__(self, in_ch, out_ch):
        super(FeatureFusionModule, self).__init__()
        self.conv1 = ConvModule(in_ch, out_ch, 1)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.conv_atten = nn.Sequential(ConvModule(out_ch, out_ch, 1), nn.Sigmoid())

    def forward(self, x_sp, x_cp):
        fused = self.conv1(torch.cat([x_sp, x_cp], dim=1))
        return fused * self.conv_atten(self.gap(fused)) + fused


class BiSeNetV1Backbone(nn.Module):
    def __init__(self, config):
        super(BiSeNetV1Backbone, self).__init__()
        self.context_path = ContextPath(config["resnet"], config["context_channels"])
        self.spatial_path = SpatialPath(config["spatial_channels"])
        self.ffm = FeatureFusionModule(config["spatial_channels"][-1] + config["context_channels"][0],
                                       config["out_channels"])

    def forward(self, x):
        x_context8 = self.context_path(x)
        return self.ffm(self.spatial_path(x), x_context8)


class BiSeNetV1(nn.Module):
    """x (N,3,H,W) -> the decode head's 1/8 logits; the aux heads' 1/8 and 1/16 context outputs are not
    computed."""

    def __init__(self, config):
        super(BiSeNetV1, self).__init__()
        self.backbone = BiSeNetV1Backbone(config)
        self.decode_head = FCNHead(**config["head"])

    def forward(self, x):
        return self.decode_head(self.backbone(x))


class MmsegV1Family(MmsegFamily):
    name = "mmseg-v1"
    title = "mmsegmentation BiSeNetV1"
    signature = ("backbone.context_path.arm16.conv_layer.conv.weight",
                 "backbone.context_path.gap_conv.1.conv.weight",
                 "backbone.spatial_path.layer1.conv.weight",
                 "backbone.ffm.conv_atten.0.conv.weight",
                 "decode_head.conv_seg.weight")

    def config(self, state_dict, path):
        def out_channels(key):
            return tensor_shape(state_dict, BACKBONE + key, path)[0]

        def in_channels(key):
            return tensor_shape(state_dict, BACKBONE + key, path)[1]

        resnet = resnet_config(state_dict, RESNET, path)
        head = head_config(state_dict, path)
        return {
            "arch": "bisenetv1-r{}".format(resnet["depth"]),
            "num_classes": head["num_classes"],
            "in_planes": None,
            "variant": None,
            "resnet": resnet,
            "spatial_channels": [out_channels("spatial_path.layer{}.conv.weight".format(i)) for i in range(1, 5)],
            "context_channels": [out_channels("context_path.arm16.conv_layer.conv.weight"),
                                 in_channels("context_path.arm16.conv_layer.conv.weight"),
                                 in_channels("context_path.arm32.conv_layer.conv.weight")],
            "out_channels": out_channels("ffm.conv1.conv.weight"),
            "head": head,
        }

    def build(self, config):
        return BiSeNetV1(config)


FAMILY = MmsegV1Family()
