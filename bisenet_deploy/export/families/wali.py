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

    def config(self, state_dict, path):
        bottleneck = "context_path.layer1.0.conv3.weight" in state_dict
        layer3 = block_count(state_dict, "context_path.layer3.")
        layouts = {(False, 2): "resnet18", (True, 6): "resnet50", (True, 23): "resnet101"}
        arch = layouts.get((bottleneck, layer3))
        if arch is None:
            raise InputError("{}: context path with {} blocks and {} layer3 blocks matches none of {}; "
                             "pass --arch to say which".format(
                                 path, "bottleneck" if bottleneck else "basic", layer3, ", ".join(ARCHS)))
        return {
            "arch": arch,
            "in_planes": tensor_shape(state_dict, "context_path.conv1.weight", path)[0],
            "num_classes": tensor_shape(state_dict, "last_conv.weight", path)[0],
            "variant": "deconv" if "deconv1.deconv.weight" in state_dict else "upsample",
        }

    def build(self, config):
        from .wali_net import build_model

        return build_model(config["arch"], config["in_planes"], config["num_classes"], config["variant"])

    def describe(self, config):
        return "BiSeNet({arch}, in_planes={in_planes}, {num_classes} classes, {variant})".format(**config)


FAMILY = WaliFamily()
