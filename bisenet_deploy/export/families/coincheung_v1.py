"""CoinCheung/BiSeNet's BiSeNetV1 (lib/models/bisenetv1.py and resnet.py): a ResNet-18 context path with
attention refinement and nearest x2 upsampling, a three-conv spatial path, a fusion module with a channel
attention, and a 1/8-resolution head. Cityscapes, COCO-Stuff or ADE20K, each with its own mean/std.

Three layouts, told apart by their tensors:
- current: a conv-bn fusion attention (ffm.conv, ffm.bn); logits upsampled x8 bilinearly, align_corners=False.
- pixelshuffle (2021, commit 12cd095): a 2-layer MLP fusion attention (ffm.conv1, ffm.conv2) and a head
  conv (with bias) to classes x 8 x 8 channels then PixelShuffle(8): full-resolution logits.
- align-corners (2020, fp16/model.py and lib/models/bisenetv1.py before the PixelShuffle head): the MLP
  attention and a bias-free classes-channel head, upsampled to the input bilinearly with align_corners=True.
The 2019 layout (same names, but InPlaceABNSync from modules/bn.py, whose activations are not in the
sources at hand) has no num_batches_tracked buffers; it is refused."""

import torch
import torch.nn as nn

from ...core.errors import InputError
from ..upsample import Interpolate
from .base import Family, tensor_shape
from .coincheung_layers import ConvBNReLU, PixelShuffle, global_mean, scaled_size

SHUFFLE = 8  # the pixelshuffle layout's head: classes x 8 x 8 channels at 1/8 -> classes at full resolution


class BasicBlock(nn.Module):
    def __init__(self, in_chan, out_chan, stride):
        super(BasicBlock, self).__init__()
        self.conv1 = nn.Conv2d(in_chan, out_chan, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_chan)
        self.conv2 = nn.Conv2d(out_chan, out_chan, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_chan)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if in_chan != out_chan or stride != 1:
            self.downsample = nn.Sequential(nn.Conv2d(in_chan, out_chan, 1, stride=stride, bias=False),
                                            nn.BatchNorm2d(out_chan))

    def forward(self, x):
        residual = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        shortcut = x if self.downsample is None else self.downsample(x)
        return self.relu(shortcut + residual)


def _stage(in_chan, out_chan, stride):
    return nn.Sequential(BasicBlock(in_chan, out_chan, stride), BasicBlock(out_chan, out_chan, 1))


class ResNet18(nn.Module):
    """Returns the stride-8, -16 and -32 features."""

    def __init__(self):
        super(ResNet18, self).__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        self.layer1 = _stage(64, 64, 1)
        self.layer2 = _stage(64, 128, 2)
        self.layer3 = _stage(128, 256, 2)
        self.layer4 = _stage(256, 512, 2)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        feat8 = self.layer2(self.layer1(x))
        feat16 = self.layer3(feat8)
        return feat8, feat16, self.layer4(feat16)


class AttentionRefinement(nn.Module):
    def __init__(self, in_chan, out_chan):
        super(AttentionRefinement, self).__init__()
        self.conv = ConvBNReLU(in_chan, out_chan, 3, padding=1)
        self.conv_atten = nn.Conv2d(out_chan, out_chan, 1, bias=False)
        self.bn_atten = nn.BatchNorm2d(out_chan)

    def forward(self, x):
        feat = self.conv(x)
        return feat * self.bn_atten(self.conv_atten(global_mean(feat))).sigmoid()


class ContextPath(nn.Module):
    """The stride-8 context feature (the stride-16 one feeds only a training head)."""

    def __init__(self):
        super(ContextPath, self).__init__()
        self.resnet = ResNet18()
        self.arm16 = AttentionRefinement(256, 128)
        self.arm32 = AttentionRefinement(512, 128)
        self.conv_head32 = ConvBNReLU(128, 128, 3, padding=1)
        self.conv_head16 = ConvBNReLU(128, 128, 3, padding=1)
        self.conv_avg = ConvBNReLU(512, 128, 1, padding=0)
        self.up32 = Interpolate("nearest")
        self.up16 = Interpolate("nearest")

    def forward(self, x):
        feat8, feat16, feat32 = self.resnet(x)
        feat32_sum = self.arm32(feat32) + self.conv_avg(global_mean(feat32))
        feat32_up = self.conv_head32(self.up32(feat32_sum, scaled_size(feat32_sum, 2)))
        feat16_sum = self.arm16(feat16) + feat32_up
        return self.conv_head16(self.up16(feat16_sum, scaled_size(feat16_sum, 2)))


class SpatialPath(nn.Module):
    def __init__(self):
        super(SpatialPath, self).__init__()
        self.conv1 = ConvBNReLU(3, 64, 7, stride=2, padding=3)
        self.conv2 = ConvBNReLU(64, 64, 3, stride=2, padding=1)
        self.conv3 = ConvBNReLU(64, 64, 3, stride=2, padding=1)
        self.conv_out = ConvBNReLU(64, 128, 1, padding=0)

    def forward(self, x):
        return self.conv_out(self.conv3(self.conv2(self.conv1(x))))


class FeatureFusion(nn.Module):
    """The attention is conv-bn (current layout) or the earlier 2-layer MLP: conv1 (to a quarter of the
    channels), ReLU, conv2."""

    def __init__(self, in_chan, out_chan, mlp_attention):
        super(FeatureFusion, self).__init__()
        self.convblk = ConvBNReLU(in_chan, out_chan, 1, padding=0)
        self.mlp_attention = mlp_attention
        if mlp_attention:
            self.conv1 = nn.Conv2d(out_chan, out_chan // 4, 1, bias=False)
            self.conv2 = nn.Conv2d(out_chan // 4, out_chan, 1, bias=False)
        else:
            self.conv = nn.Conv2d(out_chan, out_chan, 1, bias=False)
            self.bn = nn.BatchNorm2d(out_chan)

    def forward(self, spatial, context):
        feat = self.convblk(torch.cat([spatial, context], dim=1))
        pooled = global_mean(feat)
        if self.mlp_attention:
            atten = self.conv2(torch.relu(self.conv1(pooled))).sigmoid()
        else:
            atten = self.bn(self.conv(pooled)).sigmoid()
        return feat * atten + feat


class OutputHead(nn.Module):
    """BiSeNetOutput without its final bilinear upsample; the pixelshuffle layout keeps its PixelShuffle."""

    def __init__(self, in_chan, mid_chan, num_classes, bias, shuffle):
        super(OutputHead, self).__init__()
        self.conv = ConvBNReLU(in_chan, mid_chan, 3, padding=1)
        self.conv_out = nn.Conv2d(mid_chan, num_classes * shuffle * shuffle, 1, bias=bias)
        self.up = PixelShuffle(shuffle) if shuffle > 1 else None

    def forward(self, x):
        logits = self.conv_out(self.conv(x))
        return logits if self.up is None else self.up(logits)


class BiSeNetV1(nn.Module):
    """Image -> 1/8-resolution logits (full-resolution for the pixelshuffle layout)."""

    def __init__(self, num_classes, layout="current"):
        super(BiSeNetV1, self).__init__()
        self.cp = ContextPath()
        self.sp = SpatialPath()
        self.ffm = FeatureFusion(256, 256, mlp_attention=layout != "current")
        self.conv_out = OutputHead(256, 256, num_classes, bias=layout != "align-corners",
                                   shuffle=SHUFFLE if layout == "pixelshuffle" else 1)

    def forward(self, x):
        return self.conv_out(self.ffm(self.sp(x), self.cp(x)))


class CoinCheungV1Family(Family):
    name = "coincheung-v1"
    title = "CoinCheung/BiSeNet BiSeNetV1"
    source = "coincheung"
    head_align_corners = False  # its BiSeNetOutput: nn.Upsample(scale_factor=8, bilinear, align_corners=False)
    input_multiple = 32  # the x2 upsampled stride-32 map is added to the stride-16 one
    # present in every CoinCheung V1 layout; config() tells them apart
    signature = ("cp.resnet.conv1.weight", "cp.arm32.conv_atten.weight", "sp.conv1.conv.weight",
                 "ffm.convblk.conv.weight", "conv_out.conv_out.weight")
    aux_prefixes = ("conv_out16.", "conv_out32.")

    def config(self, state_dict, path):
        layout = _layout(state_dict, path)
        head_chan = tensor_shape(state_dict, "conv_out.conv_out.weight", path)[0]
        config = {"arch": "bisenetv1-resnet18", "in_planes": None, "variant": None, "layout": layout,
                  "num_classes": head_chan}
        if layout == "pixelshuffle":
            if head_chan % (SHUFFLE * SHUFFLE):
                raise InputError("{}: conv_out.conv_out has {} channels, not classes x {}".format(
                    path, head_chan, SHUFFLE * SHUFFLE))
            config.update(num_classes=head_chan // (SHUFFLE * SHUFFLE), output_stride=1)
        elif layout == "align-corners":
            config["head_align_corners"] = True  # F.interpolate(feat_out, (H, W), bilinear, align_corners=True)
        return config

    def build(self, config):
        return BiSeNetV1(config["num_classes"], config.get("layout", "current"))

    def describe(self, config):
        layout = config.get("layout", "current")
        return "CoinCheung BiSeNetV1 (ResNet-18, {} classes{})".format(
            config["num_classes"], "" if layout == "current" else ", earlier {} layout".format(layout))


def _layout(state_dict, path):
    # type: (dict, str) -> str
    if "ffm.conv1.weight" not in state_dict:
        return "current"
    if "conv_out.conv_out.bias" in state_dict:  # only the PixelShuffle head's conv has a bias
        return "pixelshuffle"
    if "ffm.convblk.bn.num_batches_tracked" not in state_dict:  # InPlaceABNSync keeps no such buffer
        raise InputError(
            "{} is CoinCheung's 2019 BiSeNetV1 layout (InPlaceABNSync batch norms: no num_batches_tracked), "
            "whose activations bisenet-deploy cannot verify; it is not rebuilt".format(path))
    return "align-corners"


FAMILY = CoinCheungV1Family()
