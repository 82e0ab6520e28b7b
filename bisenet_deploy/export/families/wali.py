"""The seed, Shuai-Xie/BiSeNet-wali: ResNet-18/50/101 context path with a width multiplier
(`in_planes`), output stride 16, deconv or bilinear (align_corners=True) fusion, SUN RGB-D 37."""

from ...core.errors import InputError
from ..names import ARCHS
from .base import Family, block_count, tensor_shape


class WaliFamily(Family):
    name = "wali"
    title = "BiSeNet-wali (the seed)"
    source = "wali"
    head_align_corners = True  # the seed's eval.py and demo.py upsample with align_corners=True
    input_multiple = 16
    signature = ("saptial_path.conv3.conv.weight", "context_path.conv1.weight", "last_conv.weight")
    aux_prefixes = ()  # mid1/mid2 stay: the seed's own module has them, so strict loading needs them
    flag_fields = ("arch", "in_planes", "num_classes", "variant")

    def config(self, state_dict, path):
        return self.config_with(state_dict, path, {})

    def config_with(self, state_dict, path, given):
        config = {
            # read only without --arch: a given one names the context path (the build reports a misfit)
            "arch": given.get("arch") or _arch(state_dict, path),
            "in_planes": tensor_shape(state_dict, "context_path.conv1.weight", path)[0],
            "num_classes": tensor_shape(state_dict, "last_conv.weight", path)[0],
            "variant": "deconv" if "deconv1.deconv.weight" in state_dict else "upsample",
        }
        config.update(given)
        return config

    def build(self, config):
        from .wali_net import build_model

        return build_model(config["arch"], config["in_planes"], config["num_classes"], config["variant"])

    def describe(self, config):
        return "BiSeNet({arch}, in_planes={in_planes}, {num_classes} classes, {variant})".format(**config)


def _arch(state_dict, path):
    """The context path whose layout (block type, layer3 depth) the tensors have."""
    bottleneck = "context_path.layer1.0.conv3.weight" in state_dict
    layer3 = block_count(state_dict, "context_path.layer3.")
    layouts = {(False, 2): "resnet18", (True, 6): "resnet50", (True, 23): "resnet101"}
    arch = layouts.get((bottleneck, layer3))
    if arch is None:
        raise InputError("{}: context path with {} blocks and {} layer3 blocks matches none of {}; "
                         "pass --arch to say which".format(
                             path, "bottleneck" if bottleneck else "basic", layer3, ", ".join(ARCHS)))
    return arch


FAMILY = WaliFamily()
