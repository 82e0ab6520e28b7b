"""mmseg's ResNet as BiSeNetV1's context path uses it, with mmseg's parameter names.

Facts (mmseg backbones/resnet.py, utils/res_layer.py): the stem is either the plain 7x7 `conv1`/`bn1`
(type 'ResNet', what the published bisenetv1 configs use) or ResNetV1c's deep stem `stem.0..8` (three
3x3 convs, each with BN and ReLU); then a 3x3/2 max-pool and `layer1..4` with strides 1,2,2,2 and no
dilation (the BiSeNetV1 configs' settings). Blocks name their layers conv1/bn1, conv2/bn2 (conv3/bn3
in bottlenecks, stride on the 3x3); a block that changes shape has `downsample.0` (1x1 conv) and
`downsample.1` (BN). All four stage outputs are returned.
"""

import torch.nn as nn

from ...core.errors import InputError
from .base import block_count, tensor_shape

STRIDES = (1, 2, 2, 2)
# (bottleneck?, blocks per stage) -> depth, as mmseg's ResNet.arch_settings lists them
DEPTHS = {
    (False, (2, 2, 2, 2)): 18,
    (False, (3, 4, 6, 3)): 34,
    (True, (3, 4, 6, 3)): 50,
    (True, (3, 4, 23, 3)): 101,
    (True, (3, 8, 36, 3)): 152,
}


def conv_bn(in_ch, out_ch, kernel_size, stride=1):
    return [nn.Conv2d(in_ch, out_ch, kernel_size, stride=stride, padding=kernel_size // 2, bias=False),
            nn.BatchNorm2d(out_ch)]


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride, downsample):
        super(BasicBlock, self).__init__()
        self.conv1, self.bn1 = conv_bn(inplanes, planes, 3, stride)
        self.conv2, self.bn2 = conv_bn(planes, planes, 3)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)) + identity)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride, downsample):
        super(Bottleneck, self).__init__()
        self.conv1, self.bn1 = conv_bn(inplanes, planes, 1)
        self.conv2, self.bn2 = conv_bn(planes, planes, 3, stride)
        self.conv3, self.bn3 = conv_bn(planes, planes * self.expansion, 1)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        return self.relu(self.bn3(self.conv3(out)) + identity)


def res_layer(block, inplanes, planes, num_blocks, stride):
    downsample = None
    if stride != 1 or inplanes != planes * block.expansion:
        downsample = nn.Sequential(*conv_bn(inplanes, planes * block.expansion, 1, stride))
    blocks = [block(inplanes, planes, stride, downsample)]
    blocks += [block(planes * block.expansion, planes, 1, None) for _ in range(1, num_blocks)]
    return nn.Sequential(*blocks)


class ResNet(nn.Module):
    def __init__(self, bottleneck, stage_blocks, deep_stem, stem_channels, base_channels):
        super(ResNet, self).__init__()
        self.deep_stem = deep_stem
        if deep_stem:
            half = stem_channels // 2
            widths = ((3, half), (half, half), (half, stem_channels))
            self.stem = nn.Sequential(*[layer for i, (in_ch, out_ch) in enumerate(widths)
                                        for layer in conv_bn(in_ch, out_ch, 3, 2 if i == 0 else 1)
                                        + [nn.ReLU(inplace=True)]])
        else:
            self.conv1, self.bn1 = conv_bn(3, stem_channels, 7, 2)
            self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        block = Bottleneck if bottleneck else BasicBlock
        inplanes = stem_channels
        for i, (num_blocks, stride) in enumerate(zip(stage_blocks, STRIDES)):
            planes = base_channels * 2 ** i
            self.add_module("layer{}".format(i + 1), res_layer(block, inplanes, planes, num_blocks, stride))
            inplanes = planes * block.expansion

    def forward(self, x):
        x = self.stem(x) if self.deep_stem else self.relu(self.bn1(self.conv1(x)))
        x = self.maxpool(x)
        outs = []
        for layer in (self.layer1, self.layer2, self.layer3, self.layer4):
            x = layer(x)
            outs.append(x)
        return outs


def resnet_config(state_dict, prefix, path):
    """The ResNet under `prefix` as dict(depth, bottleneck, stage_blocks, deep_stem, stem_channels,
    base_channels), read off the key names and shapes."""
    bottleneck = prefix + "layer1.0.conv3.weight" in state_dict
    stage_blocks = tuple(block_count(state_dict, "{}layer{}.".format(prefix, i)) for i in range(1, 5))
    depth = DEPTHS.get((bottleneck, stage_blocks))
    if depth is None:
        raise InputError("{}: its context-path ResNet has {} blocks {} per stage, which is no mmseg ResNet depth "
                         "({})".format(path, "bottleneck" if bottleneck else "basic", list(stage_blocks),
                                       ", ".join(str(d) for d in sorted(DEPTHS.values()))))
    first = tensor_shape(state_dict, prefix + "layer1.0.conv1.weight", path)
    return {"depth": depth, "bottleneck": bottleneck, "stage_blocks": stage_blocks,
            "deep_stem": prefix + "stem.0.weight" in state_dict, "stem_channels": first[1],
            "base_channels": first[0]}


def build_resnet(config):
    return ResNet(config["bottleneck"], config["stage_blocks"], config["deep_stem"], config["stem_channels"],
                  config["base_channels"])
