"""What every family module provides: recognize a state_dict by its key names and shapes, drop the
training-only heads, read the configuration off the tensors, and rebuild the network with the source
project's exact parameter names so that it loads strict.

Every family's network returns logits at `output_stride` (1/8 resolution); the exporter adds the bilinear
upsample (with `head_align_corners`) and the argmax. A checkpoint's config may override both (an earlier
layout whose PixelShuffle head already gives full-resolution logits: output_stride 1, no upsample).
Interpolations inside the network are `upsample.Interpolate` sites, so `--upsample` reaches all of them.
"""

import collections

from ...core.errors import InputError


class Family(object):
    name = ""  # the --family value
    title = ""  # what a message calls it
    source = ""  # whose normalization applies (core/datasets.py): "wali", "coincheung" or "mmseg"
    head_align_corners = False  # how the source's own evaluation upsamples the logits to the image
    output_stride = 8  # the network's logits are this many times smaller than its input
    input_multiple = 32  # input sides must be multiples of this (the deepest feature map's stride)
    signature = ()  # keys that identify the family; the closest match's missing ones are reported
    aux_prefixes = ()  # training-only heads: dropped, and said so
    prefix = ""  # what the file puts before the network's own key names (mmseg's wrapper)
    flag_fields = ("num_classes",)  # config fields flags may set; only the seed's takes --arch and the like

    def matches(self, state_dict):
        # type: (dict) -> bool
        return all(key in state_dict for key in self.signature)

    def missing(self, state_dict):
        # type: (dict) -> list
        return [key for key in self.signature if key not in state_dict]

    def network_keys(self, state_dict):
        """(state_dict in the network's own names without aux heads, [dropped aux key prefixes])."""
        kept, dropped = collections.OrderedDict(), []
        for key, value in state_dict.items():
            if any(key.startswith(p) for p in self.aux_prefixes):
                head = next(p for p in self.aux_prefixes if key.startswith(p))
                if head not in dropped:
                    dropped.append(head)
                continue
            kept[self.rename(key)] = value
        return kept, [head.rstrip(".") for head in dropped]

    def rename(self, key):
        # type: (str) -> str
        """The network's parameter name for a key of the file."""
        return key[len(self.prefix):] if self.prefix and key.startswith(self.prefix) else key

    def config(self, state_dict, path):
        """dict(arch, num_classes, variant, in_planes) read off the renamed tensors."""
        raise NotImplementedError

    def config_with(self, state_dict, path, given):
        """config() with the fields the flags set (`given`: field -> value) in place of those read."""
        config = self.config(state_dict, path)
        config.update(given)
        return config

    def build(self, config):
        """The network (an nn.Module returning 1/8 logits) for a config."""
        raise NotImplementedError

    def head_upsample(self, config):
        # type: (dict) -> tuple
        """(output_stride, head_align_corners) of this checkpoint: its config's, else the family's."""
        return (config.get("output_stride", self.output_stride),
                config.get("head_align_corners", self.head_align_corners))

    def describe(self, config):
        # type: (dict) -> str
        return "{} ({} classes)".format(self.title, config["num_classes"])


def tensor_shape(state_dict, key, path):
    """The shape of `key` as a tuple of ints; InputError naming the file when it is absent."""
    if key not in state_dict:
        raise InputError("{} lacks {}".format(path, key))
    return tuple(int(d) for d in state_dict[key].shape)


def block_count(state_dict, prefix):
    # type: (dict, str) -> int
    """How many numbered blocks `prefix`N. has (0 when none)."""
    indices = set()
    for key in state_dict:
        if key.startswith(prefix):
            head = key[len(prefix):].split(".", 1)[0]
            if head.isdigit():
                indices.add(int(head))
    return max(indices) + 1 if indices else 0
