"""What both mmsegmentation families are built of, named as mmcv and mmseg name it so that their
checkpoints load strict: mmcv's ConvModule (`conv`, `bn`, `activate`) and mmseg's FCNHead (`convs`,
optional `conv_cat`, `conv_seg`), plus the Family part the two share.

Facts (mmcv cnn/bricks/conv_module.py, mmseg decode_heads/fcn_head.py and decode_head.py): a
ConvModule's conv has a bias only when it has no norm; FCNHead runs `convs` (an nn.Identity when
num_convs is 0), then `conv_cat` on [input, convs output] when concat_input, then dropout (identity in
eval) and the 1x1 `conv_seg`. The kernel size is read off the weights; dilation is always 1 in the
BiSeNet configs, so it is assumed.
"""

import torch
import torch.nn as nn

from ...core.errors import InputError
from .base import Family, block_count, tensor_shape

HEAD = "decode_head."


class ConvModule(nn.Module):
    """conv -> BN (optional) -> ReLU (optional), with mmcv's attribute names."""

    def __init__(self, in_ch, out_ch, kernel_size, stride=1, padding=0, groups=1, norm=True, act=True):
        super(ConvModule, self).__init__()
        self.conv = nn.Conv2d(in_ch, out_ch, kernel_size, stride=stride, padding=padding, groups=groups,
                              bias=not norm)
        self.bn = nn.BatchNorm2d(out_ch) if norm else None
        self.activate = nn.ReLU(inplace=True) if act else None

    def forward(self, x):
        x = self.conv(x)
        if self.bn is not None:
            x = self.bn(x)
        return x if self.activate is None else self.activate(x)


class FCNHead(nn.Module):
    def __init__(self, in_channels, channels, num_classes, num_convs, kernel_size, concat_input):
        super(FCNHead, self).__init__()
        padding = kernel_size // 2
        if num_convs:
            widths = [in_channels] + [channels] * num_convs
            self.convs = nn.Sequential(*[ConvModule(widths[i], channels, kernel_size, padding=padding)
                                         for i in range(num_convs)])
        else:
            self.convs = nn.Identity()
        self.conv_cat = ConvModule(in_channels + channels, channels, kernel_size, padding=padding) \
            if concat_input else None
        self.conv_seg = nn.Conv2d(channels, num_classes, 1)

    def forward(self, x):
        out = self.convs(x)
        if self.conv_cat is not None:
            out = self.conv_cat(torch.cat([x, out], dim=1))
        return self.conv_seg(out)


def head_config(state_dict, path):
    """FCNHead's arguments read off the decode_head tensors."""
    classes, channels = tensor_shape(state_dict, HEAD + "conv_seg.weight", path)[:2]
    if classes < 2:
        raise InputError("{}: its decode head has {} output channel (mmseg's sigmoid-threshold binary head); "
                         "only argmax heads with 2 or more classes are exported".format(path, classes))
    num_convs = block_count(state_dict, HEAD + "convs.")
    concat_input = HEAD + "conv_cat.conv.weight" in state_dict
    if num_convs:
        first = tensor_shape(state_dict, HEAD + "convs.0.conv.weight", path)
    elif concat_input:  # no convs: conv_cat takes the input twice
        first = tensor_shape(state_dict, HEAD + "conv_cat.conv.weight", path)
        first = (first[0], first[1] // 2) + first[2:]
    else:
        first = (channels, channels, 1, 1)
    return {"in_channels": first[1], "channels": channels, "num_classes": classes, "num_convs": num_convs,
            "kernel_size": first[-1], "concat_input": concat_input}


class MmsegFamily(Family):
    """The mmseg checkpoint layout: EncoderDecoder's `backbone.` and `decode_head.` are kept as the
    network's own submodule names (so no renaming); the training-only `auxiliary_head.N.` FCNHeads go."""

    source = "mmseg"  # ImageNet mean/std (its SegDataPreProcessor / img_norm_cfg)
    head_align_corners = False  # EncoderDecoder resizes the logits with the decode head's align_corners=False
    input_multiple = 32
    aux_prefixes = ("auxiliary_head.",)

    def describe(self, config):
        head = config["head"]
        return "{} ({}, FCNHead num_convs={} concat_input={}, {} classes)".format(
            self.title, config["arch"], head["num_convs"], head["concat_input"], config["num_classes"])
