"""The sidecar fingerprint: an engine is refused for another TensorRT, another GPU or a changed ONNX."""

import json
import shutil

import pytest

from bisenet_deploy.engines.device import DeviceInfo, device_slug, jetson_release
from bisenet_deploy.engines.precision import PrecisionPlan
from bisenet_deploy.engines.sidecar import check_sidecar, engine_default_path, file_sha256, make_sidecar, read_sidecar, write_sidecar
from bisenet_deploy.core.errors import InputError
from bisenet_deploy.runtime.model_card import load_model_card

TX2 = DeviceInfo("NVIDIA Tegra X2", "6.2", 8 * 10 ** 9, True, "R32.7.1", "4.6.1", "NVIDIA Jetson TX2")
PLAN = PrecisionPlan("fp16", "fp16", ["FP16"], False, [])


@pytest.fixture
def built(tiny_onnx_labels, tmp_path):
    """(engine path, onnx path): a sidecar as bisenet-build-engine writes it, for a copied ONNX."""
    onnx_path = str(tmp_path / "model.onnx")
    shutil.copy(tiny_onnx_labels, onnx_path)
    engine = str(tmp_path / "model.engine")
    open(engine, "wb").write(b"plan")
    card = load_model_card(onnx_path)
    write_sidecar(engine, make_sidecar(card, onnx_path, file_sha256(onnx_path), "8.2.1.8", TX2, PLAN, 1 << 30, 12.3))
    return engine, onnx_path


def test_matching_sidecar_passes_and_the_runtime_reads_its_card(built):
    engine, onnx_path = built
    sidecar = read_sidecar(engine)
    check_sidecar(engine, sidecar, "8.2.1.8", TX2)
    assert load_model_card(engine) == load_model_card(onnx_path)


def test_other_tensorrt_is_refused_with_a_rebuild_hint(built):
    engine, onnx_path = built
    with pytest.raises(InputError) as info:
        check_sidecar(engine, read_sidecar(engine), "8.0.1.6", TX2)
    assert "TensorRT 8.2.1.8" in str(info.value) and "8.0.1.6" in str(info.value)
    assert "bisenet-build-engine {} --fp16".format(onnx_path) in str(info.value)


def test_other_gpu_is_refused(built):
    engine, _ = built
    xavier = TX2._replace(name="Xavier", compute_capability="7.2")
    with pytest.raises(InputError, match=r"built for NVIDIA Tegra X2 \(sm_62\).*Xavier \(sm_72\)"):
        check_sidecar(engine, read_sidecar(engine), "8.2.1.8", xavier)


def test_changed_onnx_is_refused(built):
    engine, onnx_path = built
    with open(onnx_path, "ab") as handle:
        handle.write(b"\0")
    with pytest.raises(InputError, match="changed after"):
        check_sidecar(engine, read_sidecar(engine), "8.2.1.8", TX2)


def test_moved_away_onnx_is_not_an_error(built):
    engine, onnx_path = built
    shutil.move(onnx_path, onnx_path + ".moved")
    check_sidecar(engine, read_sidecar(engine), "8.2.1.8", TX2)


@pytest.mark.parametrize("content,message", [
    (None, "has no sidecar"),
    ("{not json", "not valid JSON"),
    (json.dumps({"format": "something-else"}), "not a bisenet-build-engine sidecar"),
])
def test_missing_or_foreign_sidecar(tmp_path, content, message):
    engine = str(tmp_path / "m.engine")
    open(engine, "wb").write(b"plan")
    if content is not None:
        open(engine + ".json", "w").write(content)
    with pytest.raises(InputError, match=message):
        read_sidecar(engine)


def test_default_engine_path_and_slug():
    assert device_slug(TX2) == "nvidia-tegra-x2-sm62"
    assert engine_default_path("/m/bisenet.onnx", "fp16", "8.2.1", "nvidia-tegra-x2-sm62") == \
        "/m/bisenet.fp16.trt8.2.1.nvidia-tegra-x2-sm62.engine"


def test_jetson_release_reads_l4t_and_maps_jetpack(tmp_path):
    release = tmp_path / "nv_tegra_release"
    release.write_text("# R32 (release), REVISION: 7.1, GCID: 29818004, BOARD: t186ref, EABI: aarch64\n")
    model = tmp_path / "model"
    model.write_bytes(b"NVIDIA Jetson TX2\x00")
    assert jetson_release(str(release), str(model)) == ("R32.7.1", "4.6.1", "NVIDIA Jetson TX2")
    assert jetson_release(str(tmp_path / "absent"), str(model)) == (None, None, None)
