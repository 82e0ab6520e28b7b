"""CoinCheung/BiSeNet's BiSeNetV1 and BiSeNetV2 training networks (aux heads included), restated as plain
functions from that project's lib/models/bisenetv1.py, bisenetv2.py and resnet.py; no code is shared
with bisenet_deploy's modules.

The forward asks `Weights` for each tensor by the name nn.Module registration gives it in the original.
An empty Weights creates each one (random, BN running stats included) on first use, so one pass at any
size yields a checkpoint in the published key layout; a Weights over a state_dict reads them back, and
the same forward is then the reference the exports are compared against: full-resolution logits, the
source's final upsample included.

`layout` picks CoinCheung's earlier code: "pixelshuffle" (commit 12cd095's bisenetv1.py/bisenetv2.py: an MLP
fusion attention ffm.conv1/conv2 in V1, heads conv-with-bias to classes x f^2 then PixelShuffle(f)) or, V1
only, "align-corners" (2020 fp16/model.py: the MLP attention, bias-free heads, F.interpolate to the input
with align_corners=True).
"""

import collections
import math

import torch
import torch.nn.functional as F

V1_AUX_HEADS = ["conv_out16", "conv_out32"]
V2_AUX_HEADS = ["aux2", "aux3", "aux4", "aux5_4"]


class Weights(object):
    def __init__(self, state=None, seed=0):
        self.creating = state is None
        self.state = collections.OrderedDict() if state is None else state
        self.generator = torch.Generator().manual_seed(seed)

    def get(self, key, shape, kind):
        if self.creating and key not in self.state:
            self.state[key] = self._random(shape, kind)
        value = self.state[key]
        assert tuple(value.shape) == tuple(shape), (key, tuple(value.shape), shape)
        return value

    def _random(self, shape, kind):
        if kind == "count":
            return torch.tensor(int(torch.randint(1, 10000, (), generator=self.generator)))
        noise = torch.randn(shape, generator=self.generator)
        if kind == "conv":
            return noise * math.sqrt(2.0 / (shape[1] * shape[2] * shape[3]))
        if kind in ("scale", "variance"):  # positive, away from 1 so that BN does something
            return 0.5 + torch.rand(shape, generator=self.generator) * (1.0 if kind == "scale" else 1.5)
        return 0.1 * noise  # biases and running means


def conv(w, name, x, out_chan, kernel, stride=1, groups=1, bias=False):
    weight = w.get(name + ".weight", (out_chan, x.shape[1] // groups, kernel, kernel), "conv")
    offset = w.get(name + ".bias", (out_chan,), "shift") if bias else None
    return F.conv2d(x, weight, offset, stride, kernel // 2, 1, groups)


def bn(w, name, x):
    chan = (x.shape[1],)
    w.get(name + ".num_batches_tracked", (), "count")
    return F.batch_norm(x, w.get(name + ".running_mean", chan, "shift"), w.get(name + ".running_var", chan, "variance"),
                        w.get(name + ".weight", chan, "scale"), w.get(name + ".bias", chan, "shift"), False, 0.0, 1e-5)


def conv_bn_relu(w, name, x, out_chan, kernel=3, stride=1):
    return F.relu(bn(w, name + ".bn", conv(w, name + ".conv", x, out_chan, kernel, stride)))


def spatial_mean(x):
    return x.mean(dim=(2, 3), keepdim=True)


def upsample(x, factor, mode):
    if mode == "nearest":
        return F.interpolate(x, scale_factor=factor, mode="nearest")
    return F.interpolate(x, scale_factor=factor, mode="bilinear", align_corners=False)


# ---- BiSeNetV1 ---------------------------------------------------------------------------------------

def basic_block(w, name, x, out_chan, stride):
    residual = F.relu(bn(w, name + ".bn1", conv(w, name + ".conv1", x, out_chan, 3, stride)))
    residual = bn(w, name + ".bn2", conv(w, name + ".conv2", residual, out_chan, 3))
    shortcut = x
    if x.shape[1] != out_chan or stride != 1:
        shortcut = bn(w, name + ".downsample.1", conv(w, name + ".downsample.0", x, out_chan, 1, stride))
    return F.relu(shortcut + residual)


def resnet18(w, x):
    x = F.relu(bn(w, "cp.resnet.bn1", conv(w, "cp.resnet.conv1", x, 64, 7, 2)))
    x = F.max_pool2d(x, 3, 2, 1)
    features = []
    for layer, (out_chan, stride) in enumerate(((64, 1), (128, 2), (256, 2), (512, 2)), 1):
        for block in range(2):
            x = basic_block(w, "cp.resnet.layer{}.{}".format(layer, block), x, out_chan, stride if block == 0 else 1)
        features.append(x)
    return features[1:]


def attention_refinement(w, name, x, out_chan):
    feat = conv_bn_relu(w, name + ".conv", x, out_chan)
    attention = bn(w, name + ".bn_atten", conv(w, name + ".conv_atten", spatial_mean(feat), out_chan, 1))
    return feat * torch.sigmoid(attention)


def bisenet_output(w, name, x, mid_chan, num_classes, factor, layout):
    feat = conv_bn_relu(w, name + ".conv", x, mid_chan)
    if layout == "pixelshuffle":
        return F.pixel_shuffle(conv(w, name + ".conv_out", feat, num_classes * factor * factor, 1, bias=True), factor)
    logits = conv(w, name + ".conv_out", feat, num_classes, 1, bias=layout == "current")
    if layout == "align-corners":
        size = (x.shape[2] * factor, x.shape[3] * factor)
        return F.interpolate(logits, size=size, mode="bilinear", align_corners=True)
    return upsample(logits, factor, "bilinear")


def fusion_attention(w, feat, layout):
    pooled = spatial_mean(feat)
    if layout == "current":
        return torch.sigmoid(bn(w, "ffm.bn", conv(w, "ffm.conv", pooled, 256, 1)))
    return torch.sigmoid(conv(w, "ffm.conv2", F.relu(conv(w, "ffm.conv1", pooled, 64, 1)), 256, 1))


def bisenetv1(w, x, num_classes, layout="current"):
    feat8, feat16, feat32 = resnet18(w, x)
    avg = conv_bn_relu(w, "cp.conv_avg", spatial_mean(feat32), 128, 1)
    feat32_up = conv_bn_relu(w, "cp.conv_head32",
                             upsample(attention_refinement(w, "cp.arm32", feat32, 128) + avg, 2, "nearest"), 128)
    feat16_sum = attention_refinement(w, "cp.arm16", feat16, 128) + feat32_up
    feat16_up = conv_bn_relu(w, "cp.conv_head16", upsample(feat16_sum, 2, "nearest"), 128)
    spatial = x
    for name, out_chan, kernel, stride in (("conv1", 64, 7, 2), ("conv2", 64, 3, 2), ("conv3", 64, 3, 2),
                                           ("conv_out", 128, 1, 1)):
        spatial = conv_bn_relu(w, "sp." + name, spatial, out_chan, kernel, stride)
    feat = conv_bn_relu(w, "ffm.convblk", torch.cat([spatial, feat16_up], dim=1), 256, 1)
    attention = fusion_attention(w, feat, layout)
    logits = bisenet_output(w, "conv_out", feat * attention + feat, 256, num_classes, 8, layout)
    bisenet_output(w, "conv_out16", feat16_up, 64, num_classes, 8, layout)
    bisenet_output(w, "conv_out32", feat32_up, 64, num_classes, 16, layout)
    return logits


# ---- BiSeNetV2 ---------------------------------------------------------------------------------------

def conv_bn(w, name, first, x, out_chan, kernel, stride=1, groups=1):
    """Conv then BN as entries `first` and `first`+1 of an nn.Sequential."""
    x = conv(w, "{}.{}".format(name, first), x, out_chan, kernel, stride, groups)
    return bn(w, "{}.{}".format(name, first + 1), x)


def stem(w, x):
    feat = conv_bn_relu(w, "segment.S1S2.conv", x, 16, 3, 2)
    left = conv_bn_relu(w, "segment.S1S2.left.1", conv_bn_relu(w, "segment.S1S2.left.0", feat, 8, 1), 16, 3, 2)
    return conv_bn_relu(w, "segment.S1S2.fuse", torch.cat([left, F.max_pool2d(feat, 3, 2, 1)], dim=1), 16)


def gather_expand(w, name, x, out_chan, stride):
    in_chan, mid_chan = x.shape[1], x.shape[1] * 6
    feat = conv_bn_relu(w, name + ".conv1", x, in_chan)
    if stride == 1:
        feat = F.relu(conv_bn(w, name + ".dwconv", 0, feat, mid_chan, 3, groups=in_chan))
        return F.relu(conv_bn(w, name + ".conv2", 0, feat, out_chan, 1) + x)
    feat = conv_bn(w, name + ".dwconv1", 0, feat, mid_chan, 3, 2, groups=in_chan)
    feat = F.relu(conv_bn(w, name + ".dwconv2", 0, feat, mid_chan, 3, groups=mid_chan))
    feat = conv_bn(w, name + ".conv2", 0, feat, out_chan, 1)
    shortcut = conv_bn(w, name + ".shortcut", 0, x, in_chan, 3, 2, groups=in_chan)
    return F.relu(feat + conv_bn(w, name + ".shortcut", 2, shortcut, out_chan, 1))


def segment_branch(w, x):
    features = [stem(w, x)]
    for stage, out_chan, depth in (("S3", 32, 2), ("S4", 64, 2), ("S5_4", 128, 4)):
        feat = features[-1]
        for index in range(depth):
            feat = gather_expand(w, "segment.{}.{}".format(stage, index), feat, out_chan, 2 if index == 0 else 1)
        features.append(feat)
    last = features[-1]
    context = conv_bn_relu(w, "segment.S5_5.conv_gap", bn(w, "segment.S5_5.bn", spatial_mean(last)), 128, 1)
    return features, conv_bn_relu(w, "segment.S5_5.conv_last", context + last, 128)


def guided_aggregation(w, detail, semantic):
    left1 = conv(w, "bga.left1.2", conv_bn(w, "bga.left1", 0, detail, 128, 3, groups=128), 128, 1)
    left2 = F.avg_pool2d(conv_bn(w, "bga.left2", 0, detail, 128, 3, 2), 3, 2, 1)
    right1 = conv_bn(w, "bga.right1", 0, semantic, 128, 3)
    right2 = conv(w, "bga.right2.2", conv_bn(w, "bga.right2", 0, semantic, 128, 3, groups=128), 128, 1)
    left = left1 * torch.sigmoid(upsample(right1, 4, "nearest"))
    right = upsample(left2 * torch.sigmoid(right2), 4, "nearest")
    return F.relu(conv_bn(w, "bga.conv", 0, left + right, 128, 3))


def segment_head(w, name, x, mid_chan, num_classes, factor, aux, layout):
    feat = conv_bn_relu(w, name + ".conv", x, mid_chan)  # then Dropout(0.1): identity in eval
    if layout == "pixelshuffle":  # aux heads: a ConvBNReLU to factor^2 channels first
        if aux:
            feat = conv_bn_relu(w, name + ".conv_out.0", feat, factor * factor)
        logits = conv(w, "{}.conv_out.{}".format(name, int(aux)), feat, num_classes * factor * factor, 1, bias=True)
        return F.pixel_shuffle(logits, factor)
    if aux:  # nearest x2, then a conv to factor^2 channels, then the remaining factor/2 bilinearly
        feat = conv_bn_relu(w, name + ".conv_out.0.1", upsample(feat, 2, "nearest"), factor * factor)
        factor //= 2
    return upsample(conv(w, name + ".conv_out.1", feat, num_classes, 1, bias=True), factor, "bilinear")


def bisenetv2(w, x, num_classes, layout="current"):
    detail = x
    for stage, (out_chan, depth) in enumerate(((64, 2), (64, 3), (128, 3)), 1):
        for index in range(depth):
            detail = conv_bn_relu(w, "detail.S{}.{}".format(stage, index), detail, out_chan, 3, 2 if index == 0 else 1)
    features, semantic = segment_branch(w, x)
    logits = segment_head(w, "head", guided_aggregation(w, detail, semantic), 1024, num_classes, 8, False, layout)
    for name, feat, factor in zip(V2_AUX_HEADS, features, (4, 8, 16, 32)):
        segment_head(w, name, feat, 128, num_classes, factor, True, layout)
    return logits


NETWORKS = {"coincheung-v1": (bisenetv1, V1_AUX_HEADS), "coincheung-v2": (bisenetv2, V2_AUX_HEADS)}


def make_state_dict(family, num_classes, seed=0, layout="current"):
    """A random checkpoint of `family` in CoinCheung's key layout, training heads included."""
    weights = Weights(seed=seed)
    with torch.no_grad():
        NETWORKS[family][0](weights, torch.zeros(1, 3, 64, 64), num_classes, layout)
    return weights.state


def reference_logits(family, state_dict, images, layout="current"):
    """Full-resolution logits of `images` (N,3,H,W, normalized) as the original network computes them."""
    classes = state_dict_classes(family, state_dict, layout)
    with torch.no_grad():
        return NETWORKS[family][0](Weights(state_dict), images, classes, layout)


def state_dict_classes(family, state_dict, layout="current"):
    if family == "coincheung-v1":
        key = "conv_out.conv_out.weight"
    else:
        key = "head.conv_out.0.weight" if layout == "pixelshuffle" else "head.conv_out.1.weight"
    return int(state_dict[key].shape[0]) // (64 if layout == "pixelshuffle" else 1)
