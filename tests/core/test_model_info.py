"""Finding the model card: exported ONNX, card-less ONNX plus flags, engine sidecars, checkpoints."""

import json

import numpy as np
import pytest

from bisenet_deploy.core.errors import InputError
from bisenet_deploy.export.checkpoint import file_sha256
from bisenet_deploy.core.modelcard import CARD_FORMAT
from bisenet_deploy.core.model_info import model_kind
from bisenet_deploy.runtime.model_card import load_model_card


FLAGS = {"input_size": (32, 48), "num_classes": 3, "head": "labels"}


def test_card_is_read_from_an_exported_onnx(tiny_onnx_labels, tiny_checkpoint):
    card = load_model_card(tiny_onnx_labels)
    assert card["format"] == CARD_FORMAT
    assert card["head"] == "labels" and card["input_size"] == [64, 96] and card["num_classes"] == 37
    assert card["input"] == {"name": "input", "dtype": "float32", "shape": [1, 3, 64, 96], "layout": "NCHW"}
    assert card["output"]["name"] == "labels" and card["output"]["shape"] == [1, 64, 96]
    assert len(card["classes"]) == len(card["colors"]) == 37
    assert card["source_checkpoint"]["sha256"] == file_sha256(tiny_checkpoint)


def test_logits_card(tiny_onnx_logits):
    card = load_model_card(tiny_onnx_logits)
    assert card["head"] == "logits" and card["output"]["shape"] == [1, 37, 8, 12]
    assert card["head_upsample"]["align_corners"] is True


def test_cardless_onnx_names_every_missing_flag(onnx_without_card):
    model = onnx_without_card
    with pytest.raises(InputError) as info:
        load_model_card(model)
    message = str(info.value)
    assert "no bisenet-deploy model card" in message
    for flag in ("--input-size", "--num-classes", "--head"):
        assert flag in message
    with pytest.raises(InputError) as info:
        load_model_card(model, {"input_size": (32, 48), "num_classes": None})
    assert "--num-classes --head" in str(info.value) and "--input-size" not in str(info.value)


def test_cardless_onnx_with_flags(tmp_path, onnx_without_card):
    model = onnx_without_card
    csv = tmp_path / "classes.csv"
    csv.write_text("name,r,g,b\nred,255,0,0\ngreen,0,255,0\nblue,0,0,255\n")
    card = load_model_card(model, dict(FLAGS, classes_csv=str(csv), mean=(0.5, 0.5, 0.5)))
    assert card["input"]["name"] == "image" and card["input"]["shape"] == [1, 3, 32, 48]
    assert card["output"]["name"] == "pred" and card["output"]["dtype"] == "int32"
    assert card["classes"] == ["red", "green", "blue"] and card["colors"][2] == [0, 0, 255]
    assert card["mean"] == [0.5, 0.5, 0.5] and card["std"] == pytest.approx([0.229, 0.224, 0.225])
    assert card["head"] == "labels" and card["num_classes"] == 3


def test_cardless_onnx_flags_must_fit_the_graph(onnx_without_card):
    model = onnx_without_card
    with pytest.raises(InputError, match="check --input-size"):
        load_model_card(model, dict(FLAGS, input_size=(64, 64)))
    with pytest.raises(InputError, match="--head"):
        load_model_card(model, dict(FLAGS, head="scores"))


def test_overrides_that_contradict_the_model_are_refused(tiny_onnx_labels):
    with pytest.raises(InputError) as info:
        load_model_card(tiny_onnx_labels, {"input_size": (128, 128)})
    assert "--input-size 128x128" in str(info.value) and "64x96" in str(info.value)
    with pytest.raises(InputError, match="--head logits"):
        load_model_card(tiny_onnx_labels, {"head": "logits"})
    same = load_model_card(tiny_onnx_labels, {"input_size": (64, 96), "head": "labels", "num_classes": 37})
    assert same["input_size"] == [64, 96]


def test_normalization_overrides_win(tiny_onnx_labels):
    card = load_model_card(tiny_onnx_labels, {"mean": [0.1, 0.2, 0.3], "std": [1, 2, 3], "head": None})
    assert card["mean"] == [0.1, 0.2, 0.3] and card["std"] == [1.0, 2.0, 3.0]
    with pytest.raises(InputError, match="--std needs three positive"):
        load_model_card(tiny_onnx_labels, {"std": [1, 0, 1]})
    with pytest.raises(InputError, match="--mean needs three"):
        load_model_card(tiny_onnx_labels, {"mean": [0.5]})


def test_engine_card_comes_from_the_sidecar(tmp_path, tiny_onnx_labels):
    card = load_model_card(tiny_onnx_labels)
    wrapped = tmp_path / "wrapped.engine"
    wrapped.write_bytes(b"not really an engine")
    (tmp_path / "wrapped.engine.json").write_text(json.dumps(
        {"model_card": card, "tensorrt_version": "8.2.1", "precision": "fp16"}))
    assert load_model_card(str(wrapped)) == card
    bare = tmp_path / "bare.engine"
    bare.write_bytes(b"x")
    (tmp_path / "bare.engine.json").write_text(json.dumps(card))
    assert load_model_card(str(bare)) == card


def test_engine_without_a_good_sidecar_is_refused(tmp_path):
    engine = tmp_path / "lonely.engine"
    engine.write_bytes(b"x")
    with pytest.raises(InputError) as info:
        load_model_card(str(engine))
    assert "lonely.engine.json" in str(info.value) and "bisenet-build-engine" in str(info.value)
    (tmp_path / "lonely.engine.json").write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        load_model_card(str(engine))
    (tmp_path / "lonely.engine.json").write_text(json.dumps({"precision": "fp16"}))
    with pytest.raises(InputError, match="not a bisenet-deploy model card"):
        load_model_card(str(engine))


def test_checkpoint_card(tiny_checkpoint):
    card = load_model_card(tiny_checkpoint, {"input_size": (64, 96)})
    assert card["head"] == "logits" and card["architecture"] == "resnet18" and card["in_planes"] == 8
    assert card["input"]["shape"] == [1, 3, 64, 96] and card["output"]["shape"] == [1, 37, 8, 12]
    assert card["source_checkpoint"]["sha256"] == file_sha256(tiny_checkpoint)
    assert load_model_card(tiny_checkpoint)["input_size"] == [512, 512]
    assert load_model_card(tiny_checkpoint, {"input_size": (64, 96), "head": "labels"})["output"]["shape"] == [1, 64, 96]
    with pytest.raises(InputError, match="multiples of 16"):
        load_model_card(tiny_checkpoint, {"input_size": (60, 96)})


def test_unreadable_models_are_refused(tmp_path):
    with pytest.raises(InputError, match="model not found"):
        load_model_card(str(tmp_path / "missing.onnx"))
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(np.random.RandomState(0).bytes(4096))
    with pytest.raises(InputError, match="cannot read"):
        load_model_card(str(garbage))
    with pytest.raises(InputError, match="unknown model type"):
        model_kind("weights.h5")


def test_unknown_override_key_is_a_bug(tiny_onnx_labels):
    with pytest.raises(ValueError):
        load_model_card(tiny_onnx_labels, {"input_hw": (64, 96)})


def test_both_onnx_readers_agree(onnx_without_card, tiny_onnx_logits):
    from bisenet_deploy.core import model_info

    for model in (tiny_onnx_logits, onnx_without_card):
        by_ort, by_onnx = model_info._facts_from_onnxruntime(model), model_info._facts_from_onnx(model)
        assert by_ort.inputs == by_onnx.inputs and by_ort.outputs == by_onnx.outputs
        assert by_ort.metadata.get("bisenet_deploy.model_card") == by_onnx.metadata.get("bisenet_deploy.model_card")
    assert by_onnx.inputs == [("image", [1, 3, 32, 48])]
