"""What an exported model's card says about its data: the dataset, its classes and colours, and the
normalization the checkpoint was trained with. Flags win, then what the checkpoint records (mmseg's
class names and palette), then the dataset the class count names, with the family's source picking
the mean/std."""

import collections

from ..core.classes import generic_classes, load_classes
from ..core.datasets import classes_csv, dataset_for_classes, dataset_named, normalization
from ..core.errors import InputError

DataCard = collections.namedtuple("DataCard", "dataset classes colors mean std classes_from")
# classes_from: where the class names came from, in words (the export log says it)


def data_card(family, config, metadata, dataset=None, classes_path=None, mean=None, std=None):
    """The DataCard for a loaded checkpoint; `dataset`, `classes_path`, `mean`, `std` are the flags."""
    num_classes = config["num_classes"]
    chosen = dataset_named(dataset) if dataset else dataset_for_classes(num_classes)
    if chosen is not None and chosen.num_classes != num_classes:
        raise InputError("--dataset {} has {} classes but the checkpoint predicts {}; pass --classes with a "
                         "matching CSV instead".format(chosen.name, chosen.num_classes, num_classes))
    recorded = metadata.get("classes", ())
    if classes_path:
        names, colors = load_classes(num_classes, classes_path)
        classes_from = classes_path
    elif len(recorded) == num_classes and not dataset:
        names = list(recorded)
        palette = metadata.get("palette")
        if palette and len(palette) == num_classes:
            colors = palette
        elif chosen is not None:
            colors = load_classes(num_classes, classes_csv(chosen.name))[1]
        else:
            colors = generic_classes(num_classes)[1]
        classes_from = "the checkpoint's meta"
    elif chosen is not None:
        names, colors = load_classes(num_classes, classes_csv(chosen.name))
        classes_from = chosen.title
    else:
        names, colors = generic_classes(num_classes)
        classes_from = "none named (class 0..{})".format(num_classes - 1)
    if recorded and len(recorded) != num_classes:
        classes_from += "; the checkpoint's meta names {} classes for {} outputs, not used".format(
            len(recorded), num_classes)
    default_mean, default_std = normalization(family.source, chosen.name if chosen else None)
    return DataCard(chosen.name if chosen else None, names, [list(c) for c in colors],
                    [float(v) for v in (mean or default_mean)], [float(v) for v in (std or default_std)], classes_from)
