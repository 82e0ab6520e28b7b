"""ONNX Runtime on whole frames: FrameInput, FrameIO (the rest of the preprocessing into the bound input)
and FrameLabels give exactly the reference pipeline's input and labels, into buffers reused every frame."""

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


@pytest.mark.parametrize("frame_hw", [(480, 640), (64, 96), (123, 77), (32, 32)])
def test_frame_input_is_the_reference_resize_exactly(frame_hw, tiny_onnx_logits):
    card = load_model_card(tiny_onnx_logits)
    frame = np.random.RandomState(sum(frame_hw)).randint(0, 256, frame_hw + (3,)).astype(np.uint8)
    ours = FrameInput(card, frame_hw)(frame)
    resized = frame.astype(np.float32)
    if frame_hw != tuple(card["input_size"]):
        resized = resize_linear(resized, card["input_size"])
    np.testing.assert_array_equal(ours[0], cv2.cvtColor(resized, cv2.COLOR_BGR2RGB))


@pytest.mark.parametrize("frame_hw", [(480, 640), (64, 96)])
def test_frame_io_gives_the_network_exactly_the_reference_input(frame_hw, tiny_onnx_logits):
    card = load_model_card(tiny_onnx_logits)
    frame = np.random.RandomState(sum(frame_hw)).randint(0, 256, frame_hw + (3,)).astype(np.uint8)
    with OrtBackend(tiny_onnx_logits, card, threads=1, providers=CPU_ONLY) as backend:
        io = FrameIO(backend._session, card)
        batch = io.prepare(FrameInput(card, frame_hw)(frame))
    assert batch is io.input
    np.testing.assert_array_equal(batch, preprocess(frame, card["input_size"], card["mean"], card["std"]))


def test_frame_buffers_are_reused(tiny_onnx_logits):
    card = load_model_card(tiny_onnx_logits)
    frames = [np.random.RandomState(seed).randint(0, 256, (48, 80, 3)).astype(np.uint8) for seed in (1, 2)]
    with OrtBackend(tiny_onnx_logits, card, threads=1, providers=CPU_ONLY) as backend:
        first = backend.segment_frame(frames[0])[0]
        first_copy = first.copy()
        second = backend.segment_frame(frames[1])[0]
    assert second is first  # one label buffer per frame size, bound once
    assert not np.array_equal(first_copy, second)  # ...and really rewritten by the second frame
