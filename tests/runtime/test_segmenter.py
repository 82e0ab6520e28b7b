"""The segmenter: any frame size in, labels at that size out, timed per stage, on real backends."""

import cv2
import numpy as np
import pytest

from agreement import assert_agree
from bisenet_deploy.core.errors import InputError
from bisenet_deploy.core.comparison import SAMPLE_IMAGE
from bisenet_deploy.runtime.backends import create_backend
from bisenet_deploy.runtime.backends.ort import OrtBackend
from bisenet_deploy.runtime.model_card import load_model_card
from bisenet_deploy.runtime.overlay import OverlayRenderer
from bisenet_deploy.core.preprocess import preprocess
from bisenet_deploy.runtime.result import FrameResult
from bisenet_deploy.runtime.segmenter import STAGES, Segmenter

CPU_ONLY = ["CPUExecutionProvider"]


def sample_frame(height, width):
    """The packaged sample photo at any size: a real image, so the labels vary."""
    return cv2.resize(cv2.imread(SAMPLE_IMAGE), (width, height), interpolation=cv2.INTER_AREA)


def segmenter_for(model, **overrides):
    card = load_model_card(model, overrides or None)
    return Segmenter(create_backend("auto", model, card, providers=CPU_ONLY) if model.endswith(".onnx")
                     else create_backend("auto", model, card), card)


@pytest.mark.parametrize("frame_hw", [(123, 77), (64, 96), (481, 643)])
@pytest.mark.parametrize("model_fixture", ["tiny_onnx_labels", "tiny_onnx_logits"])
def test_labels_come_back_at_the_frame_size(request, model_fixture, frame_hw):
    with segmenter_for(request.getfixturevalue(model_fixture)) as segmenter:
        result = segmenter.segment(sample_frame(*frame_hw))
    assert result.labels.shape == frame_hw and result.labels.dtype == np.uint8
    assert result.labels.max() < 37
    assert set(result.timings) == set(STAGES[:3])
    assert all(result.timings[stage] > 0 for stage in STAGES[:3])


def test_segmenter_reads_the_card(tiny_onnx_labels):
    segmenter = segmenter_for(tiny_onnx_labels)
    assert segmenter.input_hw == (64, 96) and segmenter.num_classes == 37
    assert len(segmenter.names) == len(segmenter.colors) == 37
    assert not segmenter.backend.is_active
    with segmenter as active:
        assert active is segmenter and segmenter.backend.is_active
    assert not segmenter.backend.is_active


def test_network_size_frame_gives_the_network_labels(tiny_onnx_labels):
    frame = sample_frame(64, 96)
    card = load_model_card(tiny_onnx_labels)
    with OrtBackend(tiny_onnx_labels, card, providers=CPU_ONLY) as backend:
        direct = backend.infer(preprocess(frame, (64, 96)))[0]
        result = Segmenter(backend, card).segment(frame)
    assert np.array_equal(result.labels, direct)
    assert result.timings["network"] == backend.last_infer_seconds


def test_onnx_and_checkpoint_segment_alike(tiny_onnx_labels, tiny_checkpoint):
    frame = sample_frame(123, 77)
    with segmenter_for(tiny_onnx_labels) as onnx_segmenter:
        from_onnx = onnx_segmenter.segment(frame).labels
    with segmenter_for(tiny_checkpoint, input_size=(64, 96), head="labels") as torch_segmenter:
        from_checkpoint = torch_segmenter.segment(frame).labels
    assert_agree(from_onnx, from_checkpoint, 0.999)


@pytest.mark.parametrize("frame", [np.zeros((0, 10, 3), np.uint8), np.zeros((20, 30), np.uint8),
                                   np.zeros((20, 30, 3), np.float32), None])
def test_unusable_frames_are_refused(tiny_onnx_labels, frame):
    with segmenter_for(tiny_onnx_labels) as segmenter:
        with pytest.raises(InputError):
            segmenter.segment(frame)


def test_frame_result_times_the_overlay_when_it_is_made(tiny_onnx_labels):
    frame = sample_frame(77, 123)
    segmenter = segmenter_for(tiny_onnx_labels)
    renderer = OverlayRenderer(segmenter.card, alpha=0.5)
    with segmenter:
        result = segmenter.segment(frame)
    frame_result = FrameResult(0, frame, result.labels, timings=dict(result.timings), renderer=renderer,
                               status="1 FPS")
    assert "overlay" not in frame_result.timings  # nothing drawn until a sink asks
    image = frame_result.overlay
    assert image.shape == frame.shape and image.dtype == np.uint8
    assert frame_result.timings["overlay"] > 0 and set(frame_result.timings) == set(STAGES)
    assert frame_result.overlay is image  # made once
    assert [e.index for e in renderer.last_legend] == sorted(
        np.unique(result.labels), key=lambda i: -np.sum(result.labels == i))[:12]


def test_onnx_without_card_runs_with_flags(onnx_without_card):
    card = load_model_card(onnx_without_card, {"input_size": (32, 48), "num_classes": 3, "head": "labels"})
    frame = np.zeros((50, 70, 3), np.uint8)
    frame[:, :35] = (0, 0, 255)  # BGR red -> the red channel wins -> class 0
    frame[:, 35:] = (255, 0, 0)  # BGR blue -> class 2
    with Segmenter(create_backend("auto", onnx_without_card, card, providers=CPU_ONLY), card) as segmenter:
        labels = segmenter.segment(frame).labels
    expected = np.zeros((50, 70), np.uint8)
    expected[:, 35:] = 2
    # nearest resize 32x48 -> 50x70 may move the boundary by one column at most
    assert labels.shape == (50, 70)
    assert_agree(labels, expected, 1 - 1.0 / 70)
    assert set(np.unique(labels)) == {0, 2}


def test_card_that_names_missing_tensors_is_refused(tiny_onnx_labels):
    card = load_model_card(tiny_onnx_labels)
    card["output"] = dict(card["output"], name="scores")
    with pytest.raises(InputError, match="names the output 'scores'"):
        OrtBackend(tiny_onnx_labels, card, providers=CPU_ONLY).activate()
