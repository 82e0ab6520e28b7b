"""CoinCheung/BiSeNet BiSeNetV1 and V2 checkpoints, in that project's published key layout (training heads
included), through detection, strict loading, bisenet-export and bisenet-run, against an independent
restatement of the original networks (coincheung_reference.py)."""

import os
import sys

import cv2
import numpy as np
import onnx
import pytest
import torch

import cli_capture
from bisenet_deploy.core.datasets import SOURCE_NORMALIZATION
from bisenet_deploy.core.errors import InputError
from bisenet_deploy.export.checkpoint import load_checkpoint
from bisenet_deploy.export.trt_lint import lint_model
from bisenet_deploy.runtime import run as run_module
from bisenet_deploy.runtime.model_card import load_model_card

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import coincheung_reference as reference  # noqa: E402

FAMILIES = ("coincheung-v1", "coincheung-v2")
AUX_HEADS = {"coincheung-v1": reference.V1_AUX_HEADS, "coincheung-v2": reference.V2_AUX_HEADS}
# dataset -> (classes, export size): Cityscapes at a realistic size, the others smaller to keep the file fast
DATASETS = {"cityscapes": (19, "256x512"), "coco-stuff": (171, "128x256"), "ade20k": (150, "128x256")}
SMALL = "64x128"  # where the export itself is what is exercised


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    """(family, num_classes) -> path of a random checkpoint saved as CoinCheung saves its releases."""
    folder, made = tmp_path_factory.mktemp("coincheung"), {}

    def checkpoint(family, num_classes):
        if (family, num_classes) not in made:
            path = str(folder / "{}_{}.pth".format(family, num_classes))
            torch.save(reference.make_state_dict(family, num_classes, seed=num_classes), path)
            made[family, num_classes] = path
        return made[family, num_classes]
    return checkpoint


def normalized(images_bgr, mean, std):
    rgb = np.stack([cv2.cvtColor(image, cv2.COLOR_BGR2RGB) for image in images_bgr]).astype(np.float32) / 255.0
    return torch.from_numpy(((rgb - np.float32(mean)) / np.float32(std)).transpose(0, 3, 1, 2).copy())


def run_on_random_frames(model, tmp_path, size_hw, seed):
    """(frames, output folder): two random BGR frames written as pictures and segmented by bisenet-run."""
    images = tmp_path / "images"
    images.mkdir()
    rng = np.random.RandomState(seed)
    frames = [rng.randint(0, 256, tuple(size_hw) + (3,)).astype(np.uint8) for _ in range(2)]
    for index, frame in enumerate(frames):
        cv2.imwrite(str(images / "f{}.png".format(index)), frame)
    out = str(tmp_path / "out") + os.sep
    code, _, stderr = cli_capture.run_cli(run_module.main, "--model", model, "--backend", "ort", "--images", images,
                                          "--output", out)
    assert code == 0, stderr
    return frames, out


@pytest.mark.parametrize("family", FAMILIES)
def test_detected_without_a_flag_loads_strict_and_matches_the_original(family, checkpoints):
    path = checkpoints(family, 19)
    state_dict = torch.load(path)
    loaded = load_checkpoint(path)
    assert loaded.family.name == family and loaded.config["num_classes"] == 19
    assert loaded.metadata["dropped_heads"] == AUX_HEADS[family]
    kept = set(k for k in state_dict if k.split(".")[0] not in AUX_HEADS[family])
    assert set(loaded.model.state_dict()) == kept  # load_checkpoint loaded these with strict=True
    images = torch.randn(2, 3, 96, 160)
    with torch.no_grad():
        ours = torch.nn.functional.interpolate(loaded.model(images), scale_factor=8, mode="bilinear",
                                               align_corners=False)
    torch.testing.assert_close(ours, reference.reference_logits(family, state_dict, images), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("dataset", sorted(DATASETS))
@pytest.mark.parametrize("family", FAMILIES)
def test_export_and_run_give_the_original_argmax_with_its_normalization(family, dataset, checkpoints, tmp_path,
                                                                         run_export):
    num_classes, size = DATASETS[dataset]
    checkpoint = checkpoints(family, num_classes)
    model = str(tmp_path / "m.onnx")
    code, stdout, stderr = run_export(checkpoint, "-o", model, "--input-size", size)  # resize, linted for 8.2
    assert code == 0, stdout + stderr
    assert "dropped its training-only heads: " + ", ".join(AUX_HEADS[family]) in stdout
    card = load_model_card(model)
    mean, std = SOURCE_NORMALIZATION["coincheung", dataset]
    assert (card["family"], card["dataset"], card["num_classes"]) == (family, dataset, num_classes)
    assert np.allclose(card["mean"], mean) and np.allclose(card["std"], std)
    assert card["head_upsample"] == {"mode": "bilinear", "align_corners": False}
    onnx_model = onnx.load(model)
    assert lint_model(onnx_model, "8.0") == []
    # TensorRT 7.1 imports the network's nearest x2/x4 Resizes; only the head's bilinear one is beyond it
    # (--upsample auto picks matmul for 7.1, see the next test)
    resizes = [node for node in onnx_model.graph.node if node.op_type == "Resize"]
    bilinear = [node.name for node in resizes if onnx.helper.get_attribute_value(
        next(a for a in node.attribute if a.name == "mode")) == b"linear"]
    assert len(resizes) == 3 and len(bilinear) == 1
    assert set(violation.node for violation in lint_model(onnx_model, "7.1")) == set(bilinear)

    height, width = (int(side) for side in size.split("x"))
    frames, out = run_on_random_frames(model, tmp_path, (height, width), seed=num_classes)
    expected = reference.reference_logits(family, torch.load(checkpoint), normalized(frames, mean, std)).argmax(1)
    for index, labels in enumerate(expected.numpy()):
        written = cv2.imread(os.path.join(out, "f{}_labels.png".format(index)), cv2.IMREAD_UNCHANGED)
        assert len(np.unique(labels)) > 2  # random weights that still separate classes: a meaningful check
        assert np.mean(written == labels) >= 0.99


@pytest.mark.parametrize("upsample", ["matmul", "deconv"])
@pytest.mark.parametrize("family", FAMILIES)
def test_matmul_and_deconv_exports_are_exact_and_lint_clean_from_tensorrt_7_1(family, upsample, checkpoints,
                                                                              tmp_path, run_export):
    model = str(tmp_path / "m.onnx")
    code, stdout, stderr = run_export(checkpoints(family, 19), "-o", model, "--input-size", SMALL,
                                      "--upsample", upsample, "--target-trt", "7.1")
    assert code == 0, stdout + stderr
    assert "exact path: matches PyTorch" in stdout
    onnx_model = onnx.load(model)
    assert not [node for node in onnx_model.graph.node if node.op_type == "Resize"]
    for target in ("7.1", "8.0", "8.2"):
        assert lint_model(onnx_model, target) == [], target


# CoinCheung's earlier layouts (coincheung_reference.py): the family's config gives their head
EARLIER = [("coincheung-v1", "pixelshuffle"), ("coincheung-v1", "align-corners"), ("coincheung-v2", "pixelshuffle")]


@pytest.fixture(scope="module")
def earlier_checkpoints(tmp_path_factory):
    folder = tmp_path_factory.mktemp("coincheung_earlier")
    paths = {}
    for family, layout in EARLIER:
        paths[family, layout] = str(folder / "{}_{}.pth".format(family, layout))
        torch.save(reference.make_state_dict(family, 19, seed=7, layout=layout), paths[family, layout])
    return paths


@pytest.mark.parametrize("family,layout", EARLIER)
def test_earlier_layouts_are_detected_and_load_strict(family, layout, earlier_checkpoints):
    path = earlier_checkpoints[family, layout]
    state_dict = torch.load(path)
    loaded = load_checkpoint(path)
    assert (loaded.family.name, loaded.config["layout"], loaded.config["num_classes"]) == (family, layout, 19)
    assert loaded.metadata["dropped_heads"] == AUX_HEADS[family]
    assert set(loaded.model.state_dict()) == set(k for k in state_dict if k.split(".")[0] not in AUX_HEADS[family])
    stride, align_corners = loaded.family.head_upsample(loaded.config)
    assert (stride, align_corners) == ((1, False) if layout == "pixelshuffle" else (8, True))
    images = torch.randn(2, 3, 64, 128)
    with torch.no_grad():
        ours = loaded.model(images)
        if stride != 1:
            ours = torch.nn.functional.interpolate(ours, size=(64, 128), mode="bilinear", align_corners=True)
    torch.testing.assert_close(ours, reference.reference_logits(family, state_dict, images, layout),
                               rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("head", ["labels", "logits"])
@pytest.mark.parametrize("family,layout", EARLIER)
def test_earlier_layouts_export_lint_clean_and_run_to_the_original_argmax(family, layout, head, earlier_checkpoints,
                                                                          tmp_path, run_export):
    checkpoint, model = earlier_checkpoints[family, layout], str(tmp_path / "m.onnx")
    code, stdout, stderr = run_export(checkpoint, "-o", model, "--input-size", SMALL, "--head", head,
                                      "--upsample", "matmul", "--target-trt", "7.1")
    assert code == 0, stdout + stderr
    assert "exact path: matches PyTorch" in stdout
    onnx_model = onnx.load(model)
    for target in ("7.1", "8.0", "8.2"):
        assert lint_model(onnx_model, target) == [], target
    assert not [node.op_type for node in onnx_model.graph.node if node.op_type in ("Resize", "DepthToSpace")]
    card = load_model_card(model)
    full = layout == "pixelshuffle"
    assert card["head_upsample"] == {"mode": "none" if full else "bilinear", "align_corners": not full}
    assert card["output"]["shape"] == ([1, 64, 128] if head == "labels" else
                                       [1, 19, 64, 128] if full else [1, 19, 8, 16])

    frames, out = run_on_random_frames(model, tmp_path, (64, 128), seed=3)
    mean, std = SOURCE_NORMALIZATION["coincheung", "cityscapes"]
    expected = reference.reference_logits(family, torch.load(checkpoint), normalized(frames, mean, std), layout)
    for index, labels in enumerate(expected.argmax(1).numpy()):
        written = cv2.imread(os.path.join(out, "f{}_labels.png".format(index)), cv2.IMREAD_UNCHANGED)
        assert len(np.unique(labels)) > 2
        assert np.mean(written == labels) >= 0.99


def test_layouts_whose_activations_or_upsampling_differ_are_refused_by_name(earlier_checkpoints, tmp_path):
    v1 = torch.load(earlier_checkpoints["coincheung-v1", "align-corners"])
    for key in [k for k in v1 if k.endswith(".num_batches_tracked")]:
        del v1[key]  # as InPlaceABNSync (CoinCheung's 2019 code) saves its batch norms
    v2 = torch.load(earlier_checkpoints["coincheung-v2", "pixelshuffle"])
    v2["head.conv_out.weight"], v2["head.conv_out.bias"] = v2.pop("head.conv_out.0.weight")[:19], torch.zeros(19)
    del v2["head.conv_out.0.bias"]
    for name, state_dict, words in (("v1", v1, "2019 BiSeNetV1 layout"), ("v2", v2, "2020 BiSeNetV2 layout")):
        path = str(tmp_path / "{}.pth".format(name))
        torch.save(state_dict, path)
        with pytest.raises(InputError, match=words):
            load_checkpoint(path)
