"""bisenet-run end to end on real video files and image folders with a real ONNX Runtime model."""

import os

import cv2
import numpy as np
import cli_capture
from video_files import frame_count, write_video
import pytest

from bisenet_deploy.runtime import run as run_module
from bisenet_deploy.runtime.backends import create_backend
from bisenet_deploy.runtime.model_card import load_model_card
from bisenet_deploy.runtime.segmenter import Segmenter


def run_cli(*argv):
    return cli_capture.run_cli(run_module.main, *argv)


def test_video_to_overlay_video_keeps_frame_count_and_size(tmp_path, tiny_onnx_labels):
    source = write_video(tmp_path / "in.avi")
    code, stdout, stderr = run_cli("--model", tiny_onnx_labels, "--video", source, "--headless",
                                   "--output", tmp_path / "out.mp4", "--threads", "1")
    assert code == 0, stderr
    assert frame_count(tmp_path / "out.mp4") == (24, (80, 64))
    assert "24 frames" in stdout and "end-to-end" in stdout and "network-only" in stdout
    for stage in ("preprocess", "network", "postprocess", "overlay"):
        assert stage in stdout and "p95" in stdout
    assert not [n for n in os.listdir(str(tmp_path)) if ".part" in n]


def test_images_to_directory_writes_exact_label_maps(tmp_path, tiny_onnx_logits):
    images = tmp_path / "frames"
    images.mkdir()
    rng = np.random.RandomState(3)
    frames = [rng.randint(0, 255, (50 + 7 * (i % 3), 70, 3)).astype(np.uint8) for i in range(5)]  # slots reused
    for i, frame in enumerate(frames):
        cv2.imwrite(str(images / "f{}.png".format(i)), frame)
    out_dir = str(tmp_path / "out") + os.sep
    code, _, stderr = run_cli("--model", tiny_onnx_logits, "--backend", "ort", "--images", images, "--headless",
                              "--output", out_dir)
    assert code == 0, stderr
    card = load_model_card(tiny_onnx_logits)
    with Segmenter(create_backend("ort", tiny_onnx_logits, card), card) as segmenter:
        for i, frame in enumerate(frames):
            written = cv2.imread(os.path.join(out_dir, "f{}_labels.png".format(i)), cv2.IMREAD_UNCHANGED)
            assert np.array_equal(written, segmenter.segment(frame).labels)
            mask = cv2.imread(os.path.join(out_dir, "f{}_mask.png".format(i)))
            colour = card["colors"][int(written[0, 0])]
            assert list(mask[0, 0]) == colour[::-1]  # RGB card colours, BGR on disk
            overlay = cv2.imread(os.path.join(out_dir, "f{}_overlay.png".format(i)))
            assert overlay.shape == frame.shape and not np.array_equal(overlay, frame)  # blended over the frame


def test_ctrl_c_finalizes_the_video_and_prints_the_summary(tmp_path, tiny_onnx_labels, monkeypatch):
    source = write_video(tmp_path / "in.avi", frames=30)
    real_submit = Segmenter.submit
    calls = {"n": 0}

    def interrupt_on_sixth_frame(self, frame):  # stands in for the user's Ctrl-C
        calls["n"] += 1
        if calls["n"] == 6:
            raise KeyboardInterrupt
        return real_submit(self, frame)

    monkeypatch.setattr(Segmenter, "submit", interrupt_on_sixth_frame)
    code, stdout, _ = run_cli("--model", tiny_onnx_labels, "--video", source, "--headless",
                              "--output", tmp_path / "cut.mp4")
    assert code == 130 and "(interrupted)" in stdout and "5 frames" in stdout
    assert frame_count(tmp_path / "cut.mp4")[0] == 5


def test_max_frames_stops_early(tmp_path, tiny_onnx_labels):
    source = write_video(tmp_path / "in.avi")
    code, stdout, _ = run_cli("--model", tiny_onnx_labels, "--video", source, "--headless", "--max-frames", "3")
    assert code == 0 and "3 frames" in stdout


@pytest.mark.parametrize("argv, fragment", [
    (["--video", "missing.mp4"], "missing.mp4"),
    (["--camera", "99"], "--video"),
    (["--camera", "foo"], "--camera"),
    ([], "--camera"),
    (["--video", "in.avi", "--output", "out.xyz"], ".xyz"),
    (["--video", "in.avi", "--alpha", "3"], "alpha"),
])
def test_bad_sources_and_outputs_exit_2_with_one_line(tmp_path, tiny_onnx_labels, argv, fragment):
    write_video(tmp_path / "in.avi", frames=2)
    argv = [str(tmp_path / a) if a in ("missing.mp4", "in.avi", "out.xyz") else a for a in argv]
    code, _, stderr = run_cli("--model", tiny_onnx_labels, "--headless", *argv)
    assert code == 2 and fragment in stderr and len(stderr.strip().splitlines()) == 1, stderr


def test_onnx_without_card_names_the_flags_it_needs(tmp_path, onnx_without_card):
    write_video(tmp_path / "in.avi", frames=2)
    code, _, stderr = run_cli("--model", onnx_without_card, "--video", tmp_path / "in.avi", "--headless")
    assert code == 2 and "--input-size" in stderr and "--num-classes" in stderr
    code, stdout, stderr = run_cli("--model", onnx_without_card, "--video", tmp_path / "in.avi", "--headless",
                                   "--input-size", "32x48", "--num-classes", "3", "--head", "labels")
    assert code == 0, stderr
    assert "2 frames" in stdout
