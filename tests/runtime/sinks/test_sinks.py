"""Tests for bisenet_deploy/runtime/sinks.py: real videos written and read back with OpenCV, real
PNGs decoded back to the exact labels, and the window refusing when there is no display."""

import os
import re

import cv2
import numpy as np
import pytest

from bisenet_deploy.core.cli import ArgumentParser
from bisenet_deploy.core.errors import InputError
from bisenet_deploy.runtime.sinks import DEFAULT_VIDEO_FPS, DirectorySink, VideoFileSink, WindowSink, add_output_args, open_outputs
from frame_codes import HEIGHT, WIDTH, index_of, painted, read_frames

# The build summary lists each GUI toolkit as "GTK+: YES (ver ...)" / "QT: YES ..." when one is built in.
OPENCV_HAS_GUI = re.search(r"^\s*(GTK|QT|Win32 UI|Cocoa)[^:\n]*:\s*YES", cv2.getBuildInformation(),
                           re.MULTILINE | re.IGNORECASE) is not None


def read_back(path):
    """Every frame of a video, decoded by OpenCV, and its frame rate."""
    capture = cv2.VideoCapture(str(path))
    assert capture.isOpened()
    fps = capture.get(cv2.CAP_PROP_FPS)
    return read_frames(capture), fps


def parse(argv):
    parser = ArgumentParser(prog="test")
    add_output_args(parser)
    return parser.parse_args(argv)


@pytest.fixture
def no_display(monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)


# --- flags ------------------------------------------------------------------------------------------

def test_output_flag_defaults():
    ns = parse([])
    assert (ns.output, ns.headless, ns.alpha, ns.mask_only, ns.no_legend) == (None, False, 0.5, False, False)
    ns = parse(["--output", "out/", "--headless", "--alpha", "0.25", "--mask-only", "--no-legend"])
    assert (ns.output, ns.headless, ns.alpha, ns.mask_only, ns.no_legend) == (["out/"], True, 0.25, True, True)


@pytest.mark.parametrize("alpha", ["1.5", "-0.1", "half"])
def test_alpha_outside_0_to_1_is_a_usage_error(alpha):
    with pytest.raises(SystemExit) as info:
        parse(["--alpha", alpha])
    assert info.value.code == 2


# --- video file -----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["out.mp4", "out.avi"])
def test_video_has_the_frames_written(tmp_path, name):
    path = tmp_path / "sub" / name
    with VideoFileSink(str(path), 25.0, (WIDTH, HEIGHT)) as sink:
        for index in range(12):
            sink.write_image(painted(index))
        assert not path.exists()  # still under its temporary name
    frames, fps = read_back(path)
    assert [index_of(frame) for frame in frames] == list(range(12))
    assert all(frame.shape == (HEIGHT, WIDTH, 3) for frame in frames)
    assert fps == pytest.approx(25.0)
    assert os.listdir(str(path.parent)) == [name]


def test_failed_video_leaves_nothing(tmp_path):
    sink = VideoFileSink(str(tmp_path / "out.mp4"), 25.0, (WIDTH, HEIGHT))
    for index in range(5):
        sink.write_image(painted(index))
    sink.close(success=False)
    sink.close()
    assert os.listdir(str(tmp_path)) == []


def test_crash_inside_with_leaves_nothing(tmp_path):
    with pytest.raises(ZeroDivisionError):
        with VideoFileSink(str(tmp_path / "out.avi"), 25.0, (WIDTH, HEIGHT)) as sink:
            sink.write_image(painted(1))
            1 / 0
    assert os.listdir(str(tmp_path)) == []


def test_ctrl_c_inside_with_keeps_the_finalized_video(tmp_path):
    path = tmp_path / "out.mp4"
    with pytest.raises(KeyboardInterrupt):
        with VideoFileSink(str(path), 25.0, (WIDTH, HEIGHT)) as sink:
            for index in range(7):
                sink.write_image(painted(index))
            raise KeyboardInterrupt
    frames, _ = read_back(path)
    assert [index_of(frame) for frame in frames] == list(range(7))


def test_video_without_frames_is_not_created(tmp_path):
    VideoFileSink(str(tmp_path / "out.mp4"), 25.0, (WIDTH, HEIGHT)).close(success=True)
    assert os.listdir(str(tmp_path)) == []


def test_frame_of_another_size_is_resized_not_lost(tmp_path, caplog):
    path = tmp_path / "out.avi"
    with VideoFileSink(str(path), 25.0, (WIDTH, HEIGHT)) as sink:
        sink.write_image(painted(3))
        sink.write_image(cv2.resize(painted(5), (WIDTH * 2, HEIGHT * 2), interpolation=cv2.INTER_NEAREST))
    frames, _ = read_back(path)
    assert [index_of(frame) for frame in frames] == [3, 5]
    assert all(frame.shape == (HEIGHT, WIDTH, 3) for frame in frames)
    assert "128x96" in caplog.text


def test_unknown_video_extension(tmp_path):
    with pytest.raises(InputError, match=r"\.avi or \.mp4"):
        VideoFileSink(str(tmp_path / "out.mkv"), 25.0, (WIDTH, HEIGHT))


# --- directory --------------------------------------------------------------------------------------

def test_directory_sink_round_trips_labels_and_mask(tmp_path):
    rng = np.random.RandomState(0)
    labels = rng.randint(0, 37, (HEIGHT, WIDTH)).astype(np.int32)
    mask = rng.randint(0, 256, (HEIGHT, WIDTH, 3)).astype(np.uint8)
    with DirectorySink(str(tmp_path / "out"), num_classes=37) as sink:
        sink.write_maps(7, labels, mask)
    assert sorted(os.listdir(str(tmp_path / "out"))) == ["000007_labels.png", "000007_mask.png"]
    decoded = cv2.imread(str(tmp_path / "out" / "000007_labels.png"), cv2.IMREAD_UNCHANGED)
    assert decoded.dtype == np.uint8 and decoded.shape == labels.shape
    np.testing.assert_array_equal(decoded, labels)
    np.testing.assert_array_equal(cv2.imread(str(tmp_path / "out" / "000007_mask.png"), cv2.IMREAD_UNCHANGED), mask)


@pytest.mark.parametrize("num_classes", [300, None])
def test_more_than_255_classes_are_stored_in_16_bits(tmp_path, num_classes):
    labels = np.random.RandomState(1).randint(0, 300, (HEIGHT, WIDTH)).astype(np.int64)
    labels[0, 0] = 299
    sink = DirectorySink(str(tmp_path), num_classes=num_classes)
    sink.write_maps(0, labels, np.zeros((HEIGHT, WIDTH, 3), np.uint8))
    decoded = cv2.imread(str(tmp_path / "000000_labels.png"), cv2.IMREAD_UNCHANGED)
    assert decoded.dtype == np.uint16
    np.testing.assert_array_equal(decoded, labels)


def test_labels_that_do_not_fit_are_refused(tmp_path):
    sink = DirectorySink(str(tmp_path), num_classes=37)
    with pytest.raises(ValueError):
        sink.write_maps(0, np.full((4, 4), 256, np.int32), np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(ValueError):
        sink.write_maps(0, np.full((4, 4), -1, np.int32), np.zeros((4, 4, 3), np.uint8))
    assert os.listdir(str(tmp_path)) == []


def test_directory_sink_refuses_a_file(tmp_path):
    (tmp_path / "taken").write_text("x")
    with pytest.raises(InputError, match="is a file"):
        DirectorySink(str(tmp_path / "taken"))


# --- window -----------------------------------------------------------------------------------------

def test_window_without_display_suggests_headless(no_display):
    with pytest.raises(InputError) as info:
        WindowSink()
    assert "--headless" in str(info.value) and "--output" in str(info.value)


@pytest.mark.skipif(OPENCV_HAS_GUI, reason="this OpenCV has a GUI backend, which would try the fake display")
def test_window_with_headless_opencv_suggests_headless(monkeypatch):
    monkeypatch.setenv("DISPLAY", ":99")
    with pytest.raises(InputError, match="without GUI support.*--headless"):
        WindowSink()


# --- open_outputs -------------------------------------------------------------------------------------

def test_headless_alone_opens_nothing():
    assert open_outputs(parse(["--headless"]), 25.0, (WIDTH, HEIGHT)) == []


@pytest.mark.parametrize("output, kind", [("out.mp4", VideoFileSink), ("out.AVI", VideoFileSink),
                                          ("frames/", DirectorySink)])
def test_output_kind_follows_the_path(tmp_path, output, kind):
    sinks = open_outputs(parse(["--headless", "--output", str(tmp_path) + "/" + output]), 25.0, (WIDTH, HEIGHT))
    assert [type(sink) for sink in sinks] == [kind]
    sinks[0].close(success=False)


def test_existing_folder_without_slash_is_a_directory(tmp_path):
    (tmp_path / "frames").mkdir()
    sinks = open_outputs(parse(["--headless", "--output", str(tmp_path / "frames")]), 25.0, (WIDTH, HEIGHT))
    assert [type(sink) for sink in sinks] == [DirectorySink]


def test_other_suffix_is_refused_and_nothing_is_created(tmp_path):
    for output in ("out.txt", "results"):
        with pytest.raises(InputError, match="FILE.mp4"):
            open_outputs(parse(["--headless", "--output", str(tmp_path / output)]), 25.0, (WIDTH, HEIGHT))
    assert os.listdir(str(tmp_path)) == []


def test_window_refusal_opens_no_video(tmp_path, no_display):
    with pytest.raises(InputError, match="--headless"):
        open_outputs(parse(["--window", "--output", str(tmp_path / "out.mp4")]), 25.0, (WIDTH, HEIGHT))
    assert os.listdir(str(tmp_path)) == []


def test_an_output_alone_needs_no_display(tmp_path, no_display):
    (sink,) = open_outputs(parse(["--output", str(tmp_path / "frames") + "/"]), 25.0, (WIDTH, HEIGHT))
    assert isinstance(sink, DirectorySink)
    sink.close(success=False)


def test_no_output_asks_for_the_window(no_display):
    with pytest.raises(InputError, match="no display"):
        open_outputs(parse([]), 25.0, (WIDTH, HEIGHT))


def test_window_and_headless_together_are_a_usage_error():
    with pytest.raises(SystemExit) as info:
        parse(["--window", "--headless"])
    assert info.value.code == 2


def test_source_without_frame_rate_gets_the_default(tmp_path):
    path = tmp_path / "out.avi"
    (sink,) = open_outputs(parse(["--headless", "--output", str(path)]), None, (WIDTH, HEIGHT))
    with sink:
        sink.write_image(painted(1))
    _, fps = read_back(path)
    assert fps == pytest.approx(DEFAULT_VIDEO_FPS)


# --- write(result): every sink takes a FrameResult ------------------------------------------------------

def frame_result(index):
    from bisenet_deploy.runtime.overlay import OverlayRenderer
    from bisenet_deploy.runtime.result import FrameResult

    renderer = OverlayRenderer({"classes": ["a", "b"], "colors": [[0, 0, 0], [255, 255, 255]]}, alpha=0.0,
                               legend=False)  # alpha 0: the overlay is the frame itself
    labels = np.zeros((HEIGHT, WIDTH), np.uint8)
    labels[:, :8] = 1
    return FrameResult(index, painted(index), labels, renderer=renderer)


def test_video_and_directory_sinks_write_results(tmp_path):
    with VideoFileSink(str(tmp_path / "v.avi"), 25.0, (WIDTH, HEIGHT)) as video, \
            DirectorySink(str(tmp_path / "d")) as folder:
        for index in (3, 4):
            result = frame_result(index)
            video.write(result)
            folder.write(result)
    frames, _ = read_back(tmp_path / "v.avi")
    assert [index_of(frame) for frame in frames] == [3, 4]
    assert sorted(os.listdir(str(tmp_path / "d"))) == ["000003_labels.png", "000003_mask.png", "000003_overlay.png",
                                                       "000004_labels.png", "000004_mask.png", "000004_overlay.png"]
    mask = cv2.imread(str(tmp_path / "d" / "000004_mask.png"))
    assert (mask[:, :8] == 255).all() and (mask[:, 8:] == 0).all()
    overlay = cv2.imread(str(tmp_path / "d" / "000004_overlay.png"))
    assert np.array_equal(overlay, frame_result(4).overlay)  # the overlay the window would show


def test_output_is_repeatable(tmp_path):
    sinks = open_outputs(parse(["--headless", "--output", str(tmp_path / "v.mp4"), "--output", str(tmp_path) + "/d/"]),
                         25.0, (WIDTH, HEIGHT))
    assert [type(sink) for sink in sinks] == [VideoFileSink, DirectorySink]
    for sink in sinks:
        sink.close(success=False)
