"""BiSeNet exactly as BiSeNet-wali trains it, both fusion variants, with the seed's parameter names.

Facts (shared/docs/seed-notes.md 1.1-1.5): spatial path 3->32->64->128 at 1/8 (attribute spelled
`saptial_path`), ResNet context path at 1/16, ARMs with BN, FFM whose `bn` is created but never used,
learned x2 deconvolutions (`deconv` variant) or bilinear align_corners=True (`upsample` variant), and
1/8-resolution logits. The auxiliary heads `mid1`/`mid2` exist for strict loading but `forward`
returns only the inference output.
"""

import torch
import torch.nn as nn

from ..names import ARCHS, VARIANTS
from .wali_resnet import ContextResNet
from ..upsample import Interpolate

SPATIAL_CHANNELS = 128
# The seed's upsample variant interpolates with align_corners=True (model/bisenet_up.py).
FUSION_ALIGN_CORNERS = True


class ConvBlock(nn.Module):
    def __init__(self, in_ch, out_ch, kernel_size=3, stride=2, padding=1):
        super(ConvBlock, self).__init__()
        self.conv = nn.Conv2d(in_ch, out_ch, kernel_size, stride=stride, padding=padding, bias=False)
        self.bn = nn.BatchNorm2d(out_ch)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.relu(self.bn(self.conv(x)))


class DeconvBlock(nn.Module):
    """Learned exact-x2 upsampling (k4 s2 p1) of the seed's deconv variant."""

    def __init__(self, channels):
        super(DeconvBlock, self).__init__()
        self.deconv = nn.ConvTranspose2d(channels, channels, 4, stride=2, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(channels)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.relu(self.bn(self.deconv(x)))


class SpatialPath(nn.Module):
    def __init__(self, out_ch=SPATIAL_CHANNELS):
        super(SpatialPath, self).__init__()
        self.conv1 = ConvBlock(3, out_ch // 4)
        self.conv2 = ConvBlock(out_ch // 4, out_ch // 2)
        self.conv3 = ConvBlock(out_ch // 2, out_ch)

    def forward(self, x):
        return self.conv3(self.conv2(self.conv1(x)))


class AttentionRefinement(nn.Module):
    def __init__(self, in_ch, out_ch):
        super(AttentionRefinement, self).__init__()
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.conv1x1 = nn.Conv2d(in_ch, out_ch, 1, bias=False)
        self.bn = nn.BatchNorm2d(out_ch)
        self.sigmoid = nn.Sigmoid()

    def forward(self, x):
        return x * self.sigmoid(self.bn(self.conv1x1(self.gap(x))))


class FeatureFusion(nn.Module):
    def __init__(self, in_ch, num_classes):
        super(FeatureFusion, self).__init__()
        self.cbr = ConvBlock(in_ch, num_classes, stride=1)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.conv1x1_1 = nn.Conv2d(num_classes, num_classes, 1, bias=False)
        self.relu = nn.ReLU(inplace=True)
        # Created by the seed but never applied; kept only so its 5 keys load strictly.
        self.bn = nn.BatchNorm2d(num_classes)
        self.conv1x1_2 = nn.Conv2d(num_classes, num_classes, 1, bias=False)
        self.sigmoid = nn.Sigmoid()

    def forward(self, sp, cx1, cx2):
        x = self.cbr(torch.cat((sp, cx1, cx2), dim=1))
        att = self.sigmoid(self.conv1x1_2(self.relu(self.conv1x1_1(self.gap(x)))))
        return x + x * att


class BiSeNet(nn.Module):
    """forward(x) -> 1/8-resolution logits (N, num_classes, H/8, W/8); H and W multiples of 16."""

    def __init__(self, num_classes=37, arch="resnet18", in_planes=64, variant="deconv"):
        super(BiSeNet, self).__init__()
        if arch not in ARCHS:
            raise ValueError("arch must be one of {}, not {!r}".format(ARCHS, arch))
        if variant not in VARIANTS:
            raise ValueError("variant must be one of {}, not {!r}".format(VARIANTS, variant))
        self.arch, self.in_planes, self.num_classes, self.variant = arch, in_planes, num_classes, variant
        self.saptial_path = SpatialPath()
        self.context_path = ContextResNet(arch, in_planes)
        arm1_ch, arm2_ch = self.context_path.out_channels
        self.arm1 = AttentionRefinement(arm1_ch, arm1_ch)
        self.arm2 = AttentionRefinement(arm2_ch, arm2_ch)
        if variant == "deconv":
            self.deconv1 = DeconvBlock(arm1_ch)
            self.deconv2 = DeconvBlock(arm2_ch)
        else:
            # Parameter-free and swappable: the exporter replaces it with a TensorRT-friendly equivalent.
            self.fusion_upsample = Interpolate("bilinear", FUSION_ALIGN_CORNERS)
        self.mid1 = nn.Conv2d(arm1_ch, num_classes, 1)
        self.mid2 = nn.Conv2d(arm2_ch, num_classes, 1)
        self.ffm = FeatureFusion(SPATIAL_CHANNELS + arm1_ch + arm2_ch, num_classes)
        self.last_conv = nn.Conv2d(num_classes, num_classes, 1)

    def forward(self, x):
        sp = self.saptial_path(x)
        cx1, cx2 = self.context_path(x)
        cx1, cx2 = self.arm1(cx1), self.arm2(cx2)
        if self.variant == "deconv":
            cx1, cx2 = self.deconv1(cx1), self.deconv2(cx2)
        else:
            size = (sp.shape[2], sp.shape[3])
            cx1, cx2 = self.fusion_upsample(cx1, size), self.fusion_upsample(cx2, size)
        return self.last_conv(self.ffm(sp, cx1, cx2))


def build_model(arch, in_planes, num_classes=37, variant="deconv"):
    # type: (str, int, int, str) -> BiSeNet
    return BiSeNet(num_classes=num_classes, arch=arch, in_planes=in_planes, variant=variant)
