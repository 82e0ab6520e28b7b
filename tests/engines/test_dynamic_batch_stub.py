"""A model exported with --dynamic-batch N through TensorRT, on the stand-ins for TensorRT and pycuda
(names say "stub"; no real TensorRT runs here): the build adds an optimization profile (1, opt, N) and
the sidecar records it; at run time the buffers hold N images and the context's input shape follows
each batch (set_input_shape from 8.5, set_binding_shape before); a batch above N is refused."""

import numpy as np
import pytest
from cli_capture import run_cli
from trt_stubs import TX2, FakeMemory, StubGpuOps, StubPycudaDriver, fake_network, make_trt, write_engine_sidecar

from bisenet_deploy.core.cuda_context import CudaContext
from bisenet_deploy.core.errors import InputError, WorkFailed
from bisenet_deploy.engines.batch_profile import BatchProfile, batch_profile
from bisenet_deploy.engines.build import BuildRequest, build
from bisenet_deploy.engines.sidecar import read_sidecar
from bisenet_deploy.engines.trt_api import TrtApi
from bisenet_deploy.export.demo import write_demo_checkpoint
from bisenet_deploy.export.main import main as export_main
from bisenet_deploy.runtime.backends.trt_backend import TrtBackend
from bisenet_deploy.runtime.model_card import load_model_card

MAX_BATCH = 4
IMAGE = (3, 64, 96)
XAVIER = TX2._replace(name="Xavier", compute_capability="7.2")


@pytest.fixture(scope="module")
def dynamic_onnx(tmp_path_factory):
    """Path (str) of a random wali network exported at 64x96 (labels head) with a batch axis of 1..4."""
    folder = tmp_path_factory.mktemp("dynamic_trt")
    checkpoint = write_demo_checkpoint(str(folder / "tiny.pth"), in_planes=8, num_classes=5, seed=2)
    output = str(folder / "tiny.onnx")
    code, _, err = run_cli(export_main, checkpoint, "-o", output, "--input-size", "64x96", "--dynamic-batch",
                           MAX_BATCH, "--family", "wali")
    assert code == 0, err
    return output


def build_request(onnx_path, precision="fp16", **fields):
    values = dict(onnx_path=onnx_path, output=None, precision=precision, workspace_mib=None, timing_cache=None,
                  calib_images=None, calib_cache=None, calib_count=10, force_int8=False)
    values.update(fields)
    return BuildRequest(**values)


def test_opt_is_the_largest_batch_and_a_fixed_batch_has_no_profile(dynamic_onnx, tiny_onnx_labels):
    assert batch_profile(load_model_card(dynamic_onnx)) == BatchProfile(1, MAX_BATCH, MAX_BATCH)
    assert batch_profile(load_model_card(tiny_onnx_labels)) is None


@pytest.mark.parametrize("generation", ["7.1", "8.2", "10", "11"])
def test_the_build_adds_the_profile_and_the_sidecar_records_it_with_stub(dynamic_onnx, generation):
    stub = make_trt(generation, input_shape=(-1,) + IMAGE, output_shape=(-1, 64, 96))
    lines = []
    result = build(build_request(dynamic_onnx, "fp32"), TrtApi(trt=stub.module), TX2, say=lines.append)
    config = stub.built_configs[-1]
    assert [profile.shapes for profile in config.profiles] == [
        {"input": ((1,) + IMAGE, (MAX_BATCH,) + IMAGE, (MAX_BATCH,) + IMAGE)}]
    names = stub.calls.names()
    assert names.index("create_optimization_profile") < names.index("set_shape") < names.index(
        "add_optimization_profile")
    assert "set_calibration_profile" not in names and config.calibration_profile is None
    assert read_sidecar(result.engine_path)["batch_profile"] == {"min": 1, "opt": MAX_BATCH, "max": MAX_BATCH}
    assert "  dynamic batch: 1..4, kernels chosen at batch 4" in lines


def test_a_fixed_batch_model_gets_no_profile_with_stub(tiny_onnx_labels, tmp_path):
    stub = make_trt("10", input_shape=(1,) + IMAGE, output_shape=(1, 64, 96))
    result = build(build_request(tiny_onnx_labels, "fp32", output=str(tmp_path / "fixed.engine")),
                   TrtApi(trt=stub.module), TX2, say=lambda line: None)
    assert "create_optimization_profile" not in stub.calls.names() and stub.built_configs[-1].profiles == []
    assert read_sidecar(result.engine_path)["batch_profile"] is None


def test_implicit_int8_calibrates_at_the_profile_with_stub(dynamic_onnx):
    stub = make_trt("8.2", fast_int8=True, input_shape=(-1,) + IMAGE, output_shape=(-1, 64, 96))

    class Calibrator(object):
        def read_calibration_cache(self):
            return b"cached"

    calibrator = Calibrator()
    build(build_request(dynamic_onnx, "int8", calib_images="frames/"), TrtApi(trt=stub.module), XAVIER,
          calibrator_factory=lambda api, card, request: (calibrator, {}), say=lambda line: None)
    config = stub.built_configs[-1]
    assert config.calibration_profile is config.profiles[0] and config.int8_calibrator is calibrator


def test_tensorrt_refusing_the_profile_fails_the_build_in_words_with_stub(dynamic_onnx):
    stub = make_trt("10", input_shape=(-1,) + IMAGE, output_shape=(-1, 64, 96))
    api = TrtApi(trt=stub.module)
    builder = api.create_builder()
    with pytest.raises(WorkFailed, match="TensorRT refused the optimization profile: batches 4..1 of input 3x64x96"):
        api.add_batch_profile(builder, api.create_config(builder, 1 << 20), "input", IMAGE, BatchProfile(4, 2, 1))


def dynamic_backend(dynamic_onnx, tmp_path, generation, memory="copy", **options):
    """(backend, stub TensorRT, stub driver) for an engine whose batch axis is dynamic (profile max 4)."""
    card = load_model_card(dynamic_onnx)
    engine = str(tmp_path / "model.engine")
    open(engine, "wb").write(b"PLAN ['FP16']")
    fake = FakeMemory()
    stub = make_trt(generation, fake, input_shape=(-1,) + IMAGE, output_shape=(-1, 64, 96), max_batch=MAX_BATCH,
                    **options)
    write_engine_sidecar(engine, card, stub.module.__version__, dynamic_onnx)
    driver = StubPycudaDriver(fake)
    backend = TrtBackend(engine, card, memory=memory, api=TrtApi(trt=stub.module), cuda=CudaContext(driver=driver),
                         device=TX2)
    return backend, stub, driver


def images(count, seed=0):
    return np.random.RandomState(seed).standard_normal((count,) + IMAGE).astype(np.float32)


SHAPE_CALL = {"7.1": "set_binding_shape", "8.2": "set_binding_shape", "10": "set_input_shape",
              "11": "set_input_shape"}


@pytest.mark.parametrize("generation", sorted(SHAPE_CALL))
@pytest.mark.parametrize("memory", ["copy", "mapped"])
def test_each_batch_sets_the_input_shape_and_runs_on_max_size_buffers_with_stub(dynamic_onnx, tmp_path, generation,
                                                                               memory):
    backend, stub, driver = dynamic_backend(dynamic_onnx, tmp_path, generation, memory)
    with backend:
        for count in (1, 3, MAX_BATCH, 3):
            x = images(count, seed=count)
            out = backend.infer(x)
            assert out.shape == (count, 64, 96)
            np.testing.assert_array_equal(out, fake_network(x))
    allocations = [args[0] for name, args in driver.calls if name == "pagelocked_empty"]
    assert sorted(allocations) == [(MAX_BATCH,) + IMAGE, (MAX_BATCH, 64, 96)]  # the largest batch, once
    shapes = [args[-1] for name, args in stub.calls if name == SHAPE_CALL[generation]]
    # batch 1 when the context is made (what frames use), then each change of batch
    assert shapes == [(1,) + IMAGE, (3,) + IMAGE, (MAX_BATCH,) + IMAGE, (3,) + IMAGE]
    other = {"set_binding_shape", "set_input_shape"} - {SHAPE_CALL[generation]}
    assert other.isdisjoint(stub.calls.names())
    if memory == "copy":  # only the batch's images travel
        uploaded = [name for name, _ in driver.calls if name == "memcpy_htod_async"]
        assert len(uploaded) == 4


def test_a_batch_above_the_profile_is_refused_before_tensorrt_with_stub(dynamic_onnx, tmp_path):
    backend, stub, _ = dynamic_backend(dynamic_onnx, tmp_path, "10")
    with backend:
        with pytest.raises(InputError) as error:
            backend.infer(images(MAX_BATCH + 1))
    assert "Nx3x64x96 float32 input with N from 1 to 4, got 5x3x64x96" in str(error.value)
    assert "\n" not in str(error.value)
    assert [args[-1][0] for name, args in stub.calls if name == "set_input_shape"] == [1]


@pytest.mark.parametrize("generation", ["8.2", "10"])
def test_tensorrt_refusing_a_shape_is_said_in_words_with_stub(dynamic_onnx, tmp_path, generation):
    """Had the card allowed more than the engine's profile (an engine rebuilt from another export)."""
    backend, stub, _ = dynamic_backend(dynamic_onnx, tmp_path, generation)
    stub.max_batch = 2
    with backend:
        with pytest.raises(InputError, match="TensorRT refused input shape 3x3x64x96 for 'input': outside the "
                                             "engine's optimization profile"):
            backend.infer(images(3))


def test_whole_frames_run_at_batch_one_with_stub(dynamic_onnx, tmp_path):
    backend, stub, _ = dynamic_backend(dynamic_onnx, tmp_path, "10")
    backend._gpu_ops = StubGpuOps(stub.memory)
    frame = np.random.RandomState(5).randint(0, 256, (120, 160, 3)).astype(np.uint8)
    with backend:
        backend.infer(images(3))
        labels, _, _ = backend.segment_frame(frame)
        assert labels.shape == (120, 160)
    assert [args[-1][0] for name, args in stub.calls if name == "set_input_shape"][-2:] == [3, 1]


def test_a_dynamic_engine_against_a_fixed_card_is_refused_with_stub(dynamic_onnx, tiny_onnx_labels, tmp_path):
    backend, _, _ = dynamic_backend(dynamic_onnx, tmp_path, "10")
    card = dict(backend.card)
    del card["dynamic_batch"]
    fixed = TrtBackend(backend.model_path, card, memory="copy", api=backend._api, cuda=backend.cuda, device=TX2)
    with pytest.raises(InputError, match=r"the engine takes input \[-1, 3, 64, 96\], but its sidecar's model card "
                                         r"says input \[1, 3, 64, 96\]; rebuild the engine"):
        fixed.activate()


def test_the_engine_still_refuses_other_dynamic_dimensions_with_stub():
    stub = make_trt("10", input_shape=(1, 3, -1, 96), output_shape=(1, -1, 96))
    api = TrtApi(trt=stub.module)
    engine = stub.module.Runtime(api.logger).deserialize_cuda_engine(b"PLAN")
    with pytest.raises(InputError, match="dynamic dimensions on input, labels"):
        api.io_tensors(engine)
