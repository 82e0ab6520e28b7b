"""LabelUpsampler gives the reference's labels (postprocess.argmax_upsampled) bit for bit: on random
scores (near-ties everywhere), smooth score fields (what a trained network gives), exact ties, both
coordinate conventions, up- and downsampling, degenerate sizes and more than 255 classes."""

import platform
import shutil

import cv2
import numpy as np
import pytest

from bisenet_deploy.runtime import native
from bisenet_deploy.runtime.label_upsample import NATIVE_NAME, LabelUpsampler, shared_upsampler
from bisenet_deploy.runtime.bilinear import argmax_upsampled
from bisenet_deploy.runtime.postprocess import labels_from_output


needs_compiler = pytest.mark.skipif(not (shutil.which("cc") or shutil.which("gcc")), reason="no C compiler here")


def smooth_scores(rng, classes, hw, blobs=6):
    """Score fields that vary smoothly: large regions, one class leading each, as trained networks give."""
    coarse = rng.randn(classes, blobs, blobs).astype(np.float32) * 4
    return np.stack([cv2.resize(c, (hw[1], hw[0]), interpolation=cv2.INTER_CUBIC) for c in coarse])


def check_equal(scores_chw, out_hw, align_corners, dtype=np.uint8):
    """The C routine (where it builds) and the numpy code both give the reference's labels exactly."""
    expected = argmax_upsampled(scores_chw, out_hw, align_corners, dtype)
    for use_native in (True, False):
        upsampler = LabelUpsampler(scores_chw.shape[1:], out_hw, scores_chw.shape[0], align_corners, dtype,
                                   use_native=use_native)
        got = upsampler(scores_chw.transpose(1, 2, 0))
        assert got.dtype == dtype and got.shape == tuple(out_hw)
        np.testing.assert_array_equal(got, expected)


GEOMETRIES = [((60, 80), (480, 640)), ((64, 64), (480, 640)), ((24, 32), (192, 256)), ((7, 5), (33, 41)),
              ((16, 16), (16, 16)), ((64, 64), (50, 70)), ((1, 9), (12, 40)), ((8, 1), (30, 3))]


@pytest.mark.parametrize("align_corners", [True, False])
@pytest.mark.parametrize("scores_hw,out_hw", GEOMETRIES)
def test_random_scores_equal_the_reference(scores_hw, out_hw, align_corners):
    rng = np.random.RandomState(sum(scores_hw) + sum(out_hw))
    check_equal(rng.randn(37, *scores_hw).astype(np.float32), out_hw, align_corners)


@pytest.mark.parametrize("align_corners", [True, False])
@pytest.mark.parametrize("seed", range(4))
def test_smooth_scores_equal_the_reference(seed, align_corners):
    rng = np.random.RandomState(seed)
    check_equal(smooth_scores(rng, 37, (60, 80)), (480, 640), align_corners)


def test_exact_ties_go_to_the_lowest_class_as_in_the_reference():
    rng = np.random.RandomState(3)
    scores = rng.randint(0, 3, (5, 12, 16)).astype(np.float32)  # ties at most grid points
    check_equal(scores, (90, 120), True)
    check_equal(np.zeros((4, 6, 6), np.float32), (40, 40), True)  # all tied: class 0 everywhere


def test_near_ties_within_rounding_are_resolved_as_the_reference_does():
    rng = np.random.RandomState(4)
    base = smooth_scores(rng, 3, (20, 20))
    scores = np.concatenate([base, base[:1] + np.float32(1e-6) * rng.randn(1, 20, 20).astype(np.float32)])
    check_equal(scores, (150, 150), True)


def test_more_than_255_classes_give_uint16_labels():
    rng = np.random.RandomState(5)
    check_equal(smooth_scores(rng, 300, (12, 16), blobs=4), (60, 80), True, np.uint16)


def test_a_single_class_labels_everything_zero():
    upsampler = LabelUpsampler((4, 4), (20, 20), 1, True)
    assert not upsampler(np.random.rand(4, 4, 1).astype(np.float32)).any()


def test_the_buffer_is_reused_without_out_and_untouched_with_it():
    rng = np.random.RandomState(6)
    upsampler = LabelUpsampler((24, 32), (96, 128), 37, True)
    first = upsampler(smooth_scores(rng, 37, (24, 32)).transpose(1, 2, 0))
    second = upsampler(smooth_scores(rng, 37, (24, 32)).transpose(1, 2, 0))
    assert first is second
    out = np.full((96, 128), 255, np.uint8)
    scores = smooth_scores(rng, 37, (24, 32))
    assert upsampler(scores.transpose(1, 2, 0), out=out) is out
    np.testing.assert_array_equal(out, argmax_upsampled(scores, (96, 128), True))


def test_scores_of_the_wrong_shape_are_refused():
    with pytest.raises(ValueError, match="expected"):
        LabelUpsampler((24, 32), (96, 128), 37, True)(np.zeros((24, 32, 36), np.float32))


def test_labels_from_output_uses_it_and_returns_a_fresh_array_each_call():
    rng = np.random.RandomState(7)
    card = {"head": "logits", "num_classes": 37, "head_upsample": {"align_corners": True}}
    scores = smooth_scores(rng, 37, (30, 40))[None]
    first = labels_from_output(scores, card, (240, 320))
    np.testing.assert_array_equal(first, argmax_upsampled(scores[0], (240, 320), True))
    assert labels_from_output(scores, card, (240, 320)) is not first
    assert shared_upsampler((30, 40), (240, 320), 37, True, np.uint8) is shared_upsampler(
        (30, 40), (240, 320), 37, True, np.uint8)


@needs_compiler
def test_the_c_routine_builds_where_there_is_a_compiler():
    """With a compiler the fast path must really be the compiled one, not a silent numpy fallback."""
    assert LabelUpsampler((4, 4), (8, 8), 3, True).native is not None


def test_without_a_compiler_the_numpy_path_is_used_and_said(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # nothing built yet
    monkeypatch.setenv("CC", str(tmp_path / "no-such-cc"))
    monkeypatch.setattr(native, "_LOADED", {})
    with caplog.at_level("WARNING", logger="bisenet_deploy.runtime"):
        assert native.load(NATIVE_NAME) is None
    assert "runs through numpy" in caplog.text
    assert not list(tmp_path.rglob("*.so*"))  # no half-built library left behind
    upsampler = LabelUpsampler((12, 16), (48, 64), 5, True)
    assert upsampler.native is None
    scores = np.random.RandomState(8).randn(5, 12, 16).astype(np.float32)
    np.testing.assert_array_equal(upsampler(scores.transpose(1, 2, 0)), argmax_upsampled(scores, (48, 64), True))


@needs_compiler
def test_a_library_built_once_is_reused_from_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(native, "_LOADED", {})
    assert native.load(NATIVE_NAME) is not None
    built = list(tmp_path.rglob("*.so"))
    assert len(built) == 1 and not list(tmp_path.rglob("*.part"))
    monkeypatch.setenv("CC", str(tmp_path / "no-such-cc"))  # a rebuild would now fail
    monkeypatch.setattr(native, "_LOADED", {})
    assert native.load(NATIVE_NAME) is not None


def test_nan_and_infinite_scores_follow_the_reference():
    rng = np.random.RandomState(9)
    scores = smooth_scores(rng, 6, (8, 10))
    scores[3, 2, 2] = np.nan
    check_equal(scores, (40, 50), True)
    scores[3, 2, 2] = np.inf
    check_equal(scores, (40, 50), True)


@needs_compiler
def test_a_rebuild_from_a_changed_source_removes_the_older_library(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(native, "_LOADED", {})
    stale = tmp_path / "bisenet-deploy" / "native" / "{}-{}-0123456789abcdef.so".format(NATIVE_NAME, platform.machine())
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"an older build")
    assert native.load(NATIVE_NAME) is not None
    assert not stale.exists() and len(list(stale.parent.glob("*.so"))) == 1


@needs_compiler
@pytest.mark.parametrize("threads", [2, 3])
def test_the_c_routine_split_between_threads_gives_the_reference_labels(threads):
    """Each thread writes its own cell rows, into its own cache lines of scratch."""
    rng = np.random.RandomState(threads)
    scores = smooth_scores(rng, 37, (60, 80))
    upsampler = LabelUpsampler((60, 80), (480, 640), 37, True)
    upsampler.threads = threads  # before the first call, which sizes the scratch buffers
    np.testing.assert_array_equal(upsampler(scores.transpose(1, 2, 0)), argmax_upsampled(scores, (480, 640), True))
