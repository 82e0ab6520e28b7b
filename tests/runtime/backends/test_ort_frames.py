"""ONNX Runtime on whole frames: FrameInput (the reference preprocessing in one pass), FrameIO (its
buffer bound to the session) and FrameLabels give exactly the reference pipeline's input and labels,
into buffers reused every frame, with frames in flight."""

import cv2
import numpy as np
import pytest

from bisenet_deploy.core.comparison import SAMPLE_IMAGE
from bisenet_deploy.runtime.backends.ort import OrtBackend
from bisenet_deploy.runtime.model_card import load_model_card
from bisenet_deploy.runtime.postprocess import labels_from_output
from bisenet_deploy.core.preprocess import preprocess, resize_linear
from bisenet_deploy.runtime.backends.frames import FrameInput
from bisenet_deploy.runtime.backends.ort_frames import FrameIO
from bisenet_deploy.runtime.frame_input import NativeFrameInput

CPU_ONLY = ["CPUExecutionProvider"]


@pytest.mark.parametrize("frame_hw", [(480, 640), (64, 96), (123, 77)])
@pytest.mark.parametrize("model_fixture", ["tiny_onnx_logits", "tiny_onnx_labels"])
def test_wrapped_frame_graph_gives_the_reference_labels(request, model_fixture, frame_hw):
    path = request.getfixturevalue(model_fixture)
    card = load_model_card(path)
    frame = cv2.resize(cv2.imread(SAMPLE_IMAGE), (frame_hw[1], frame_hw[0]), interpolation=cv2.INTER_AREA)
    with OrtBackend(path, card, threads=1, providers=CPU_ONLY) as backend:
        assert backend.segments_frames
        labels, overlay, timings = backend.segment_frame(frame)
        reference = labels_from_output(backend.infer(preprocess(frame, card["input_size"])), card, frame_hw)
    assert overlay is None and timings["network"] > 0 and timings["preprocess"] > 0
    assert labels.dtype == reference.dtype
    np.testing.assert_array_equal(labels, reference)  # the same input, the same network: the same labels


@pytest.fixture(params=["native", "opencv"])
def frame_input_path(request, monkeypatch):
    """FrameInput through the C pass, and through OpenCV and numpy as where no C compiler is found."""
    if request.param == "native":
        if NativeFrameInput.create((8, 8), (4, 4)) is None:
            pytest.skip("no C compiler here")
    else:
        monkeypatch.setattr(NativeFrameInput, "create", classmethod(lambda cls, frame_hw, input_hw: None))
    return request.param


@pytest.mark.parametrize("frame_hw", [(480, 640), (64, 96), (123, 77), (32, 32)])
def test_frame_input_is_the_reference_resize_exactly(frame_hw, tiny_onnx_logits, frame_input_path):
    card = load_model_card(tiny_onnx_logits)
    frame = np.random.RandomState(sum(frame_hw)).randint(0, 256, frame_hw + (3,)).astype(np.uint8)
    ours = FrameInput(card, frame_hw)(frame)
    resized = frame.astype(np.float32)
    if frame_hw != tuple(card["input_size"]):
        resized = resize_linear(resized, card["input_size"])
    np.testing.assert_array_equal(ours[0], cv2.cvtColor(resized, cv2.COLOR_BGR2RGB))


@pytest.mark.parametrize("frame_hw", [(480, 640), (64, 96), (32, 32)])
def test_normalized_frame_input_is_the_reference_preprocessing_exactly(frame_hw, tiny_onnx_logits,
                                                                       frame_input_path):
    card = load_model_card(tiny_onnx_logits)
    frame = np.random.RandomState(sum(frame_hw)).randint(0, 256, frame_hw + (3,)).astype(np.uint8)
    ours = FrameInput(card, frame_hw, normalized=True)(frame)
    np.testing.assert_array_equal(ours, preprocess(frame, card["input_size"], card["mean"], card["std"]))


def test_frame_io_binds_the_normalized_input_and_gives_the_networks_output(tiny_onnx_logits):
    card = load_model_card(tiny_onnx_logits)
    frames = [np.random.RandomState(seed).randint(0, 256, (64, 96, 3)).astype(np.uint8) for seed in (1, 2)]
    to_input = FrameInput(card, (64, 96), normalized=True)
    with OrtBackend(tiny_onnx_logits, card, threads=1, providers=CPU_ONLY) as backend:
        io = FrameIO(backend._session, card)
        for frame in frames:  # the second frame is read from the buffer bound for the first
            batch = io.prepare(to_input(frame))
            assert batch is to_input(frame)
            expected = backend.infer(preprocess(frame, card["input_size"], card["mean"], card["std"]))
            np.testing.assert_array_equal(io.run(batch), expected.transpose(0, 2, 3, 1))


def test_frame_buffers_are_reused_and_a_frame_in_flight_keeps_its_own(tiny_onnx_logits):
    card = load_model_card(tiny_onnx_logits)
    frames = [np.random.RandomState(seed).randint(0, 256, (48, 80, 3)).astype(np.uint8) for seed in (1, 2, 3)]
    with OrtBackend(tiny_onnx_logits, card, threads=1, providers=CPU_ONLY) as backend:
        first = backend.segment_frame(frames[0])[0]
        first_copy = first.copy()
        second = backend.segment_frame(frames[1])[0]
        np.testing.assert_array_equal(first, first_copy)  # still valid while the next frame is in flight
        third = backend.segment_frame(frames[2])[0]
    assert second is not first and third is first  # FRAMES_IN_FLIGHT label buffers per size, used in turn
    assert not np.array_equal(first_copy, third)  # ...and really rewritten by the frame after next


@pytest.mark.parametrize("backend_name", ["ort", "openvino"])
def test_submitted_frames_come_back_in_order_with_their_own_labels(backend_name, tiny_onnx_logits):
    """Frames submitted before the previous result is read (what bisenet-run does) get the labels
    each would get alone."""
    if backend_name == "openvino":
        pytest.importorskip("openvino")
    from bisenet_deploy.runtime.backends import create_backend
    card = load_model_card(tiny_onnx_logits)
    frames = [cv2.resize(np.roll(cv2.imread(SAMPLE_IMAGE), 40 * i, axis=1), (96, 64)) for i in range(5)]
    with create_backend(backend_name, tiny_onnx_logits, card, threads=1) as backend:
        assert backend.pipelines_frames
        alone = [backend.segment_frame(frame)[0].copy() for frame in frames]
        pending = backend.submit_frame(frames[0])
        for index, frame in enumerate(frames[1:] + [None]):
            following = backend.submit_frame(frame) if frame is not None else None
            labels, _, timings = pending.result()
            np.testing.assert_array_equal(labels, alone[index])
            assert timings["network"] > 0 and timings["postprocess"] > 0
            pending = following


@pytest.mark.parametrize("version,releases", [("1.10.0", False), ("1.11.1", False), ("1.12.0", True),
                                              ("1.32.0", True), ("2.0.0.dev20260101", True)])
def test_frames_are_pipelined_only_where_iobinding_releases_the_gil(version, releases):
    from bisenet_deploy.runtime.backends.ort import iobinding_releases_gil
    assert iobinding_releases_gil(version) is releases


def test_an_onnxruntime_that_holds_the_gil_segments_frames_in_the_callers_thread(tiny_onnx_logits, monkeypatch):
    """onnxruntime 1.10 (the TX2's) is emulated by its version string; the frames then run one at a time,
    with the same labels."""
    import onnxruntime
    card = load_model_card(tiny_onnx_logits)
    frames = [np.random.RandomState(seed).randint(0, 256, (64, 96, 3)).astype(np.uint8) for seed in (1, 2, 3)]
    with OrtBackend(tiny_onnx_logits, card, threads=1, providers=CPU_ONLY) as backend:
        expected = [backend.segment_frame(frame)[0].copy() for frame in frames]
    monkeypatch.setattr(onnxruntime, "__version__", "1.10.0")
    with OrtBackend(tiny_onnx_logits, card, threads=1, providers=CPU_ONLY) as backend:
        assert not backend.pipelines_frames
        pending = [backend.submit_frame(frame) for frame in frames[:2]]
        assert backend._worker is None
        for index in range(2):
            np.testing.assert_array_equal(pending[index].result()[0], expected[index])
        np.testing.assert_array_equal(backend.segment_frame(frames[2])[0], expected[2])


def test_an_error_in_the_worker_thread_reaches_the_caller_at_result(tiny_onnx_logits, monkeypatch):
    card = load_model_card(tiny_onnx_logits)
    frame = np.random.RandomState(4).randint(0, 256, (64, 96, 3)).astype(np.uint8)

    def failing_run(self, batch):
        raise RuntimeError("the session failed")

    monkeypatch.setattr(FrameIO, "run", failing_run)
    with OrtBackend(tiny_onnx_logits, card, threads=1, providers=CPU_ONLY) as backend:
        pending = backend.submit_frame(frame)  # returns: the failure is on the worker thread
        with pytest.raises(RuntimeError, match="the session failed"):
            pending.result()
