"""Implicit INT8 calibration through the build, on stand-ins for TensorRT and pycuda (names say "stub"):
the stand-in builder pulls batches as TensorRT does, reading them back from the "device" buffer, so
what TensorRT would see is compared with the runtime's preprocessing of the same images."""

import os
import shutil

import cv2
import numpy as np
import pytest
from trt_stubs import TX2, FakeMemory, StubPycudaDriver, make_trt

from bisenet_deploy.calib import trt_calibrator
from bisenet_deploy.engines.build import BuildRequest, build
from bisenet_deploy.engines.sidecar import read_sidecar
from bisenet_deploy.engines.trt_api import TrtApi
from bisenet_deploy.core.errors import InputError
from bisenet_deploy.runtime.model_card import load_model_card
from bisenet_deploy.core.preprocess import preprocess

XAVIER = TX2._replace(name="Xavier", compute_capability="7.2")


@pytest.fixture
def setup(tiny_onnx_labels, scene_images, tmp_path):
    onnx_path = str(tmp_path / "model.onnx")
    shutil.copy(tiny_onnx_labels, onnx_path)
    images = scene_images(tmp_path / "frames", 12)
    (tmp_path / "frames" / "broken.jpg").write_bytes(b"\xff\xd8 truncated")
    return onnx_path, str(tmp_path / "frames"), images


def stub_build(onnx_path, images, cache, version="8.2", seen=None):
    memory = FakeMemory()
    stub = make_trt(version, memory, fast_int8=True, input_shape=(1, 3, 64, 96), output_shape=(1, 64, 96))
    driver = StubPycudaDriver(memory)
    api = TrtApi(trt=stub.module)

    def factory(api_, card, request):
        calibrator, summary = trt_calibrator.make_calibrator(api_, card, request.onnx_path, request.calib_images,
                                                             request.calib_cache, request.calib_count,
                                                             driver=driver, progress=False)
        if seen is not None:  # record every batch as the stand-in TensorRT reads it from device memory
            original = calibrator.get_batch

            def get_batch(names):
                pointers = original(names)
                if pointers:
                    seen.append(memory.view(pointers[0], (1, 3, 64, 96), np.float32).copy())
                return pointers
            calibrator.get_batch = get_batch
        return calibrator, summary

    request = BuildRequest(onnx_path, None, "int8", None, None, images, cache, 100, False)
    return build(request, api, XAVIER, calibrator_factory=factory, say=lambda line: None), stub


def test_calibration_feeds_the_runtime_preprocessing_through_device_memory_with_stub(setup):
    onnx_path, frames, images = setup
    seen = []
    result, stub = stub_build(onnx_path, frames, None, seen=seen)
    assert stub.calibration_batches == 12 == len(seen)  # the broken JPEG was skipped
    card = load_model_card(onnx_path)
    expected = [preprocess(cv2.imread(path), (64, 96), card["mean"], card["std"]) for path in images]
    for batch in seen:  # seeded shuffle: same set, some order
        assert min(np.max(np.abs(batch - e)) for e in expected) == 0.0
    cache = trt_calibrator.default_cache_path(onnx_path, "8.2.1.8")
    assert os.path.isfile(cache) and open(cache, "rb").read().startswith(b"TRT-8201-EntropyCalibration2")
    calibration = read_sidecar(result.engine_path)["calibration"]
    assert calibration["images_used"] == 12 and calibration["images_skipped"] == 1 and calibration["cache"] == cache


def test_a_compatible_cache_skips_the_images_with_stub(setup):
    onnx_path, frames, _ = setup
    stub_build(onnx_path, frames, None)
    cache = trt_calibrator.default_cache_path(onnx_path, "8.2.1.8")
    result, stub = stub_build(onnx_path, None, cache)
    assert stub.calibration_batches == 0
    assert read_sidecar(result.engine_path)["calibration"]["source"] == "cache"


def test_a_cache_from_another_tensorrt_is_refused_before_building_with_stub(setup, tmp_path):
    onnx_path, frames, _ = setup
    cache = tmp_path / "old.calib"
    cache.write_bytes(b"TRT-7103-EntropyCalibration2\ninput: 3c010a14\n")
    with pytest.raises(InputError, match="made by TensorRT 7.1"):
        stub_build(onnx_path, frames, str(cache))
    assert not list(tmp_path.glob("*.engine"))


def test_too_few_images_is_bad_input_with_stub(tiny_onnx_labels, scene_images, tmp_path):
    onnx_path = str(tmp_path / "model.onnx")
    shutil.copy(tiny_onnx_labels, onnx_path)
    scene_images(tmp_path / "few", 3)
    with pytest.raises(InputError, match="fewer than"):
        stub_build(onnx_path, str(tmp_path / "few"), None)


def test_unreadable_images_found_during_calibration_fail_the_build_cleanly_with_stub(tiny_onnx_labels, scene_images,
                                                                                     tmp_path):
    onnx_path = str(tmp_path / "model.onnx")
    shutil.copy(tiny_onnx_labels, onnx_path)
    scene_images(tmp_path / "frames", 4)
    for index in range(8):  # enough files to pass the count check, too few of them readable
        (tmp_path / "frames" / "broken{}.jpg".format(index)).write_bytes(b"\xff\xd8 truncated")
    with pytest.raises(InputError, match="could be read"):
        stub_build(onnx_path, str(tmp_path / "frames"), None)
    assert not list(tmp_path.glob("*.engine"))
