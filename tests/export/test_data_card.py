"""What an exported card says about the data: flags first, then the checkpoint's own record (mmseg's
class names and palette), then the dataset the class count names, with the source's normalization."""

import pytest

from bisenet_deploy.core.datasets import DATASETS, SOURCE_NORMALIZATION, normalization
from bisenet_deploy.core.errors import InputError
from bisenet_deploy.core.modelcard import IMAGENET_MEAN, IMAGENET_STD
from bisenet_deploy.export.data_card import data_card
from bisenet_deploy.export.families import family_named


def config(num_classes):
    return {"num_classes": num_classes}


@pytest.mark.parametrize("dataset", ["cityscapes", "coco-stuff", "ade20k"])
def test_coincheung_checkpoints_get_their_dataset_statistics_not_imagenet(dataset):
    count = DATASETS[dataset].num_classes
    card = data_card(family_named("coincheung-v2"), config(count), {})
    mean, std = SOURCE_NORMALIZATION[("coincheung", dataset)]
    assert card.dataset == dataset and card.mean == list(mean) and card.std == list(std)
    assert card.mean != IMAGENET_MEAN and len(card.classes) == count == len(card.colors)


@pytest.mark.parametrize("family", ["mmseg-v1", "mmseg-v2", "wali"])
def test_other_sources_train_with_imagenet_statistics(family):
    card = data_card(family_named(family), config(19), {})
    assert card.dataset == "cityscapes" and (card.mean, card.std) == (IMAGENET_MEAN, IMAGENET_STD)
    assert card.classes[0] == "road"


def test_flags_win_over_everything(tmp_path):
    csv = tmp_path / "mine.csv"
    csv.write_text("".join("c{},{},{},{}\n".format(i, i, 2 * i, 3 * i) for i in range(19)))
    card = data_card(family_named("coincheung-v1"), config(19), {"classes": ["x"] * 19}, classes_path=str(csv),
                     mean=(0.5, 0.5, 0.5), std=(0.25, 0.25, 0.25))
    assert card.classes[3] == "c3" and card.colors[3] == [3, 6, 9]
    assert card.mean == [0.5] * 3 and card.std == [0.25] * 3


def test_mmseg_record_of_classes_and_palette_is_used():
    names = ["n{}".format(i) for i in range(19)]
    palette = [[i, i, i] for i in range(19)]
    card = data_card(family_named("mmseg-v2"), config(19), {"classes": names, "palette": palette})
    assert card.classes == names and card.colors == palette


def test_dataset_flag_must_fit_the_class_count():
    with pytest.raises(InputError, match="--dataset ade20k has 150 classes but the checkpoint predicts 19"):
        data_card(family_named("coincheung-v2"), config(19), {}, dataset="ade20k")


def test_unknown_class_count_gets_generic_classes_and_imagenet():
    card = data_card(family_named("coincheung-v2"), config(7), {})
    assert card.dataset is None and card.classes == ["class_{}".format(i) for i in range(7)]
    assert (card.mean, card.std) == normalization("coincheung", None) == (IMAGENET_MEAN, IMAGENET_STD)


def test_recorded_names_without_a_palette_take_the_dataset_s_colours():
    names = ["n{}".format(i) for i in range(19)]
    card = data_card(family_named("mmseg-v1"), config(19), {"classes": names})
    assert card.classes == names and card.colors[0] == [128, 64, 128]  # Cityscapes' road


def test_where_the_classes_came_from_is_said(tmp_path):
    csv = tmp_path / "mine.csv"
    csv.write_text("".join("c{0},{0},{0},{0}\n".format(i) for i in range(19)))
    names = ["n{}".format(i) for i in range(19)]
    assert data_card(family_named("coincheung-v1"), config(19), {}, classes_path=str(csv)).classes_from == str(csv)
    assert data_card(family_named("mmseg-v1"), config(19), {"classes": names}).classes_from == "the checkpoint's meta"
    assert data_card(family_named("coincheung-v2"), config(19), {}).classes_from == "Cityscapes (19 train ids)"


def test_recorded_names_of_another_count_are_said_to_be_unused():
    card = data_card(family_named("mmseg-v1"), config(19), {"classes": ["x"] * 10})
    assert card.classes[0] == "road"
    assert card.classes_from == ("Cityscapes (19 train ids); the checkpoint's meta names 10 classes for 19 "
                                 "outputs, not used")
