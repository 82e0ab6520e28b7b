"""The seed's context-path ResNet: custom stem width (`in_planes`), output stride 16, multigrid layer4.

Not torchvision's ResNet: layer4 always has three blocks with dilations 2/4/8 and stride 1, also for
ResNet-18, and every width scales with `in_planes`. Parameter names match the seed's state_dict.
"""

import torch.nn as nn

# arch -> (block kind, blocks in layer1..3); layer4 is always the 3-block multigrid unit.
RESNET_LAYOUTS = {
    "resnet18": ("basic", (2, 2, 2)),
    "resnet50": ("bottleneck", (3, 4, 6)),
    "resnet101": ("bottleneck", (3, 4, 23)),
}
MULTIGRID = (1, 2, 4)
LAYER4_DILATION = 2


def conv3x3(in_ch, out_ch, stride=1, dilation=1):
    return nn.Conv2d(in_ch, out_ch, 3, stride=stride, padding=dilation, dilation=dilation, bias=False)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, dilation=1, downsample=None):
        super(BasicBlock, self).__init__()
        self.conv1 = conv3x3(inplanes, planes, stride, dilation)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes, 1, dilation)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, dilation=1, downsample=None):
        super(Bottleneck, self).__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes, stride, dilation)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


BLOCKS = {"basic": BasicBlock, "bottleneck": Bottleneck}


class ContextResNet(nn.Module):
    """Returns (layer3, layer4) features, both at 1/16 resolution."""

    def __init__(self, arch, in_planes=64):
        super(ContextResNet, self).__init__()
        kind, counts = RESNET_LAYOUTS[arch]
        block = BLOCKS[kind]
        self.inplanes = in_planes
        self.conv1 = nn.Conv2d(3, in_planes, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(in_planes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, in_planes, [1] * counts[0], stride=1)
        self.layer2 = self._make_layer(block, in_planes * 2, [1] * counts[1], stride=2)
        self.layer3 = self._make_layer(block, in_planes * 4, [1] * counts[2], stride=2)
        self.layer4 = self._make_layer(block, in_planes * 8, [m * LAYER4_DILATION for m in MULTIGRID], stride=1)
        self.out_channels = (in_planes * 4 * block.expansion, in_planes * 8 * block.expansion)
        self._init_weights()

    def _make_layer(self, block, planes, dilations, stride):
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                nn.Conv2d(self.inplanes, planes * block.expansion, 1, stride=stride, bias=False),
                nn.BatchNorm2d(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, dilations[0], downsample)]
        self.inplanes = planes * block.expansion
        layers.extend(block(self.inplanes, planes, 1, d) for d in dilations[1:])
        return nn.Sequential(*layers)

    def _init_weights(self):
        # The seed's init (He-normal convs, BN 1/0), so random-weight models behave like untrained seeds.
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                fan_out = module.kernel_size[0] * module.kernel_size[1] * module.out_channels
                nn.init.normal_(module.weight, 0.0, (2.0 / fan_out) ** 0.5)
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer2(self.layer1(x))
        x3 = self.layer3(x)
        x4 = self.layer4(x3)
        return x3, x4
