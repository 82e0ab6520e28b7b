"""The TensorRT backend against stand-ins for TensorRT and pycuda (names say "stub"): buffer planning,
binding order, copy vs mapped memory, the sidecar check before loading, context push/pop, teardown."""

import numpy as np
import pytest
from trt_stubs import TX2, FakeMemory, StubGpuOps, StubPycudaDriver, fake_network, make_trt, write_engine_sidecar

from bisenet_deploy.engines.trt_api import IoTensor, TrtApi
from bisenet_deploy.core.errors import InputError
from bisenet_deploy.engines import buffers as trt_buffers
from bisenet_deploy.runtime.backends.trt_backend import TrtBackend
from bisenet_deploy.core.cuda_context import CudaContext
from bisenet_deploy.runtime.model_card import load_model_card
from bisenet_deploy.runtime.overlay import OverlayRenderer, blend, colorize
from bisenet_deploy.runtime.postprocess import labels_from_output
from bisenet_deploy.core.preprocess import preprocess
from bisenet_deploy.runtime.result import FrameResult
from bisenet_deploy.runtime.segmenter import Segmenter



@pytest.fixture
def engine_file(tiny_onnx_labels, tmp_path):
    """(engine, card, onnx): an engine file the stub runtime accepts, for the tiny labels model."""
    engine = str(tmp_path / "model.engine")
    open(engine, "wb").write(b"PLAN ['FP16']")
    return engine, load_model_card(tiny_onnx_labels), tiny_onnx_labels


def backend_with_stubs(engine_file, generation="8.2", memory="copy", integrated=True, io_order=("input", "labels"),
                       built_with=None):
    """(backend, stub TensorRT, stub driver); the sidecar says the engine was built by `built_with`
    (default: the stub's own version)."""
    engine, card, onnx_path = engine_file
    fake = FakeMemory()
    stub = make_trt(generation, fake, io_order=io_order, input_shape=(1, 3, 64, 96), output_shape=(1, 64, 96))
    write_engine_sidecar(engine, card, built_with or stub.module.__version__, onnx_path)
    driver = StubPycudaDriver(fake, integrated=integrated)
    backend = TrtBackend(engine, card, memory=memory, api=TrtApi(trt=stub.module), cuda=CudaContext(driver=driver),
                         device=TX2)
    return backend, stub, driver


def batch(seed):
    return np.random.RandomState(seed).standard_normal((1, 3, 64, 96)).astype(np.float32)


@pytest.mark.parametrize("generation", ["7.1", "8.2", "10"])
@pytest.mark.parametrize("memory", ["copy", "mapped"])
@pytest.mark.parametrize("io_order", [("input", "labels"), ("labels", "input")])
def test_infer_through_bound_buffers_with_stub(engine_file, generation, memory, io_order):
    backend, stub, driver = backend_with_stubs(engine_file, generation, memory, io_order=io_order)
    with backend:
        for seed in range(3):  # buffers are reused: each result is the network of its own input
            x = batch(seed)
            np.testing.assert_array_equal(backend.infer(x), fake_network(x))
        assert backend.memory == memory and backend.precision == "fp16"
        assert backend.last_infer_seconds == 1e-3  # the stub events are one "millisecond" apart
    copies = [name for name, _ in driver.calls if name.startswith("memcpy")]
    assert copies == ([] if memory == "mapped" else ["memcpy_htod_async", "memcpy_dtoh_async"] * 3)
    api_calls = stub.calls.names()
    assert ("execute_async_v3" in api_calls) == (generation == "10")
    assert ("execute_async_v2" in api_calls) == (generation != "10")


def test_no_allocations_per_frame_with_stub(engine_file):
    backend, stub, driver = backend_with_stubs(engine_file)
    with backend:
        backend.infer(batch(0))
        before = len([c for c in driver.calls if c[0] in ("pagelocked_empty", "mem_alloc")])
        for seed in range(5):
            backend.infer(batch(seed))
        after = len([c for c in driver.calls if c[0] in ("pagelocked_empty", "mem_alloc")])
    assert before == after == 4  # two page-locked host buffers and two device buffers, once


def test_auto_memory_measures_both_on_a_jetson_with_stub(engine_file):
    backend, _, driver = backend_with_stubs(engine_file, memory="auto", integrated=True)
    with backend:
        assert set(backend.memory_probe) == {"copy", "mapped"} and backend.memory in ("copy", "mapped")
        x = batch(1)
        np.testing.assert_array_equal(backend.infer(x), fake_network(x))
    assert driver.live_allocations == set()  # the losing scheme's buffers were freed too


def test_auto_memory_copies_on_a_discrete_gpu_with_stub(engine_file):
    backend, _, _ = backend_with_stubs(engine_file, memory="auto", integrated=False)
    with backend:
        assert backend.memory == "copy" and backend.memory_probe == {}


def test_context_is_pushed_around_every_use_and_released_with_stub(engine_file):
    backend, _, driver = backend_with_stubs(engine_file)
    with backend:
        backend.infer(batch(0))
    names = [name for name, _ in driver.calls]
    assert names.count("push") == names.count("pop") - 1  # make_context leaves it current once: popped at once
    assert names[-1] == "pop" and driver.live_allocations == set()
    assert ("make_context", (8,)) in driver.calls  # MAP_HOST, so mapped buffers work


def test_engine_from_other_tensorrt_is_refused_before_loading_with_stub(engine_file):
    backend, stub, _ = backend_with_stubs(engine_file, generation="10", built_with="8.2.1.8")
    with pytest.raises(InputError, match="built with TensorRT 8.2.1.8, but this is TensorRT 10.16.1"):
        backend.activate()
    assert "deserialize_cuda_engine" not in stub.calls.names()


def test_engine_whose_io_contradicts_the_card_is_refused_with_stub(engine_file):
    engine, card, onnx_path = engine_file
    card = dict(card, input=dict(card["input"], shape=[1, 3, 32, 48]))
    backend, _, _ = backend_with_stubs((engine, card, onnx_path))
    with pytest.raises(InputError, match="rebuild the engine"):
        backend.activate()


def test_plan_buffers_sizes_and_order():
    tensors = [IoTensor("labels", False, (1, 64, 96), np.dtype(np.int32)),
               IoTensor("input", True, (1, 3, 64, 96), np.dtype(np.float16))]
    specs = trt_buffers.plan_buffers(tensors)
    assert [s.name for s in specs] == ["labels", "input"]
    assert [s.nbytes for s in specs] == [64 * 96 * 4, 3 * 64 * 96 * 2]


def test_wrong_memory_mode_is_bad_input(engine_file):
    engine, card, _ = engine_file
    with pytest.raises(InputError, match="--memory"):
        TrtBackend(engine, card, memory="unified")


def frame(seed, height=120, width=160):
    return np.random.RandomState(seed).randint(0, 256, (height, width, 3)).astype(np.uint8)


def gpu_backend_with_stubs(engine_file, memory="copy"):
    backend, stub, driver = backend_with_stubs(engine_file, "10", memory)
    ops = StubGpuOps(stub.memory)
    backend._gpu_ops = ops
    return backend, ops


@pytest.mark.parametrize("memory", ["copy", "mapped"])
def test_segment_frame_runs_pre_network_post_on_bound_buffers_with_stub(engine_file, memory):
    _, card, _ = engine_file
    backend, ops = gpu_backend_with_stubs(engine_file, memory)
    with backend:
        for seed in range(3):
            image = frame(seed)
            labels, overlay, timings = backend.segment_frame(image, overlay_alpha=0.4)
            network_out = fake_network(preprocess(image, (64, 96), card["mean"], card["std"]))
            expected = labels_from_output(network_out, card, image.shape[:2])
            np.testing.assert_array_equal(labels, expected)
            np.testing.assert_array_equal(overlay, blend(image, colorize(expected, card["colors"]), 0.4))
            assert set(timings) == {"preprocess", "network", "postprocess"}
            assert backend.last_infer_seconds == timings["network"]
    # kernels compiled once, one preprocessor, one postprocessor per alpha (the default made at activation
    # so a bad output is refused then), all closed at the end
    assert ops.calls.names().count("CudaKernels") == 1
    assert ("GpuPreprocessor", (memory == "mapped",)) in ops.calls
    assert [args for name, args in ops.calls if name == "GpuPostprocessor"] == [(0.5,), (0.4,)]
    assert ops.calls.names().count("close") == 3


def test_segmenter_hands_frames_to_the_gpu_and_the_renderer_keeps_its_overlay_with_stub(engine_file):
    _, card, _ = engine_file
    backend, _ = gpu_backend_with_stubs(engine_file)
    renderer = OverlayRenderer(card, alpha=0.3, legend=False)
    image = frame(7)
    with Segmenter(backend, card, overlay_alpha=0.3) as segmenter:
        result = segmenter.segment(image)
        assert result.overlay is not None and result.labels.shape == image.shape[:2]
        rendered = FrameResult(0, image, result.labels, renderer=renderer, blended=result.overlay).overlay
    np.testing.assert_array_equal(rendered, renderer.render(image, result.labels))
    assert rendered is not result.overlay


def test_without_nvcc_frames_fall_back_to_cpu_preprocessing_with_stub(engine_file, caplog):
    _, card, _ = engine_file
    backend, ops = gpu_backend_with_stubs(engine_file)

    class NoCompiler(object):
        def __init__(self):
            raise InputError("cannot compile the CUDA kernels with nvcc (No such file or directory)")

    ops.CudaKernels = NoCompiler
    image = frame(3)
    with Segmenter(backend, card, overlay_alpha=0.5) as segmenter:
        assert not backend.segments_frames
        result = segmenter.segment(image)
    assert result.overlay is None
    expected = labels_from_output(fake_network(preprocess(image, (64, 96), card["mean"], card["std"])), card,
                                  image.shape[:2])
    np.testing.assert_array_equal(result.labels, expected)
    assert "GPU pre/postprocessing is off" in caplog.text and "nvcc" in caplog.text


def test_failed_activation_frees_what_it_made_with_stub(engine_file):
    engine, card, onnx_path = engine_file
    card = dict(card, output=dict(card["output"], name="scores"))  # the engine has no such output
    backend, _, driver = backend_with_stubs((engine, card, onnx_path))
    with pytest.raises(InputError, match="no output 'scores'"):
        backend.activate()
    assert not backend.is_active and driver.live_allocations == set()
    names = [name for name, _ in driver.calls]
    assert names[-1] == "pop" and names.count("push") == names.count("pop") - 1  # freed inside the context
