"""bisenet-bench's family specs: `bisenetv2:city` is a random-weight CoinCheung BiSeNetV2 with Cityscapes'
class count, saved as the plain state_dict CoinCheung releases (no aux heads), so the export reads it as
it reads a real release: the family, its dataset's classes and its mean/std."""

import collections

from ..core.atomic import atomic_path
from ..core.lazy import lazy_import

FamilyArch = collections.namedtuple("FamilyArch", "family arch")
# spec name -> the family that builds it and the architecture its config names
FAMILY_ARCHS = collections.OrderedDict((
    ("bisenetv1", FamilyArch("coincheung-v1", "bisenetv1-resnet18")),
    ("bisenetv2", FamilyArch("coincheung-v2", "bisenetv2")),
))
# spec dataset -> core.datasets name: CoinCheung's short names and ours
DATASET_NAMES = collections.OrderedDict((
    ("city", "cityscapes"), ("cityscapes", "cityscapes"),
    ("coco", "coco-stuff"), ("coco-stuff", "coco-stuff"),
    ("ade20k", "ade20k"),
    ("sun", "sunrgbd"), ("sunrgbd", "sunrgbd"),
))


def write_family_checkpoint(path, arch, num_classes, seed=0):
    """Write the random-weight network of spec name `arch` (a FAMILY_ARCHS key) with `num_classes` classes
    to `path` as a plain state_dict; returns `path`."""
    torch = lazy_import("torch", "making a random-weight checkpoint")
    from ..export.demo import randomize_batchnorm
    from ..export.families import family_named

    chosen = FAMILY_ARCHS[arch]
    config = {"family": chosen.family, "arch": chosen.arch, "num_classes": int(num_classes), "variant": None,
              "in_planes": None}
    torch.manual_seed(seed)
    model = randomize_batchnorm(family_named(chosen.family).build(config), seed)
    with atomic_path(path) as tmp:
        torch.save(model.state_dict(), tmp)
    return path
