"""core/qdq_source.py: the FP32 model a QDQ model was made from, found by the record bisenet-calibrate
puts in the QDQ card (path + sha256), else by the name rule MODEL.qdq.onnx -> MODEL.onnx."""

import shutil

import pytest

from bisenet_deploy.core.errors import InputError
from bisenet_deploy.core.qdq_source import find_fp32_source, require_fp32_source, source_record


def model_file(path, content=b"fp32 model"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return str(path)


def card_naming(fp32_path):
    return {"calibration": {"source_model": source_record(fp32_path)}}


def test_the_record_finds_a_source_whose_name_the_rule_would_miss(tmp_path):
    source = model_file(tmp_path / "model.onnx")
    qdq = str(tmp_path / "walk.qdq.onnx")  # -o walk.qdq.onnx: the rule would look for walk.onnx
    assert find_fp32_source(qdq, card_naming(source)) == (source, [])


def test_both_copied_elsewhere_the_source_beside_the_qdq_model_is_taken(tmp_path):
    card = card_naming(model_file(tmp_path / "workstation" / "model.onnx"))
    shutil.move(str(tmp_path / "workstation"), str(tmp_path / "robot"))
    qdq = str(tmp_path / "robot" / "walk.qdq.onnx")
    assert find_fp32_source(qdq, card)[0] == str(tmp_path / "robot" / "model.onnx")


def test_another_model_under_the_recorded_name_is_refused_with_the_reason(tmp_path):
    source = model_file(tmp_path / "model.onnx")
    card = card_naming(source)
    model_file(tmp_path / "model.onnx", b"re-exported since")
    with pytest.raises(InputError) as info:
        require_fp32_source(str(tmp_path / "walk.qdq.onnx"), card, "--verify")
    message = str(info.value)
    assert "--verify" in message and source in message and "sha256 is not the recorded one" in message
    assert "bisenet-calibrate" in message and "\n" not in message


def test_without_a_record_the_name_rule_applies(tmp_path):
    source = model_file(tmp_path / "model.onnx")
    assert find_fp32_source(str(tmp_path / "model.qdq.onnx"), {})[0] == source
    assert find_fp32_source(str(tmp_path / "model.qdq.onnx"), None)[0] == source


@pytest.mark.parametrize("name, words", [
    ("walk.qdq.onnx", ["walk.onnx", "names no source model"]),
    ("walk_int8.onnx", ["names no source model", ".qdq.onnx"]),
])
def test_without_a_record_or_a_file_the_message_says_where_it_looked(tmp_path, name, words):
    with pytest.raises(InputError) as info:
        require_fp32_source(str(tmp_path / name), {"num_classes": 37}, "--verify")
    assert all(word in str(info.value) for word in words), str(info.value)


def test_the_record_holds_an_absolute_path_and_the_sha256(tmp_path, monkeypatch):
    monkeypatch.chdir(str(tmp_path))
    model_file(tmp_path / "model.onnx")
    record = source_record("model.onnx")
    assert record["path"] == str(tmp_path / "model.onnx") and len(record["sha256"]) == 64
