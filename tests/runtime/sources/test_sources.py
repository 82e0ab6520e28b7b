"""Tests for bisenet_deploy/runtime/sources.py: flag parsing, the CSI pipeline, and real videos and
image folders written with OpenCV in tmp_path."""

import logging
import os

import cv2
import numpy as np
import pytest

from bisenet_deploy.core.cli import ArgumentParser
from bisenet_deploy.core.errors import InputError
from bisenet_deploy.runtime.sources import ACCEPTED_FORMS, SourceSpec, add_source_args, open_source, source_from_args
from bisenet_deploy.runtime.sources.camera_settings import CAMERA_DEFAULTS, flip_frame
from bisenet_deploy.runtime.sources.csi_camera import csi_pipeline
from bisenet_deploy.runtime.sources.gstreamer import opencv_has_gstreamer
from frame_codes import HEIGHT, WIDTH, index_of, painted


def write_video(path, count, fourcc="mp4v", fps=25.0):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, (WIDTH, HEIGHT))
    assert writer.isOpened()
    for index in range(count):
        writer.write(painted(index))
    writer.release()
    return str(path)


def write_images(folder, names_and_indices):
    folder.mkdir(exist_ok=True)
    for name, index in names_and_indices:
        assert cv2.imwrite(str(folder / name), painted(index))


def parse(argv):
    parser = ArgumentParser(prog="test")
    add_source_args(parser)
    return source_from_args(parser.parse_args(argv))


# --- flags -> SourceSpec ------------------------------------------------------------------------

@pytest.mark.parametrize("argv, kind, location", [
    (["--camera"], "camera", 0),
    (["--camera", "1"], "camera", 1),
    (["--camera", "csi"], "csi", 0),
    (["--camera", "csi:1"], "csi", 1),
    (["--camera", "CSI:2"], "csi", 2),
])
def test_camera_forms_parse_to_kind_and_index(argv, kind, location):
    spec = parse(argv)
    assert (spec.kind, spec.location) == (kind, location)
    assert spec.options == CAMERA_DEFAULTS


@pytest.mark.parametrize("value", ["foo", "csi:", "csi:x", "-1", "usb0"])
def test_bad_camera_value_lists_accepted_forms(value):
    with pytest.raises(InputError) as info:
        parse(["--camera", value])
    assert repr(value) in str(info.value) and ACCEPTED_FORMS in str(info.value)


def test_camera_settings_are_passed_on():
    spec = parse(["--camera", "csi", "--width", "1920", "--height", "1080", "--fps", "60", "--flip", "2"])
    assert spec.options == {"width": 1920, "height": 1080, "fps": 60, "flip": 2}


def test_no_source_is_an_input_error_listing_the_forms():
    with pytest.raises(InputError) as info:
        parse([])
    assert ACCEPTED_FORMS in str(info.value)


def test_two_sources_are_a_usage_error():
    with pytest.raises(SystemExit) as info:
        parse(["--video", "a.mp4", "--camera"])
    assert info.value.code == 2


def test_camera_settings_with_a_file_source_are_refused():
    with pytest.raises(InputError, match="--width"):
        parse(["--video", "a.mp4", "--width", "640"])


def test_flip_out_of_range_is_a_usage_error():
    with pytest.raises(SystemExit) as info:
        parse(["--camera", "--flip", "8"])
    assert info.value.code == 2


@pytest.mark.parametrize("argv, spec", [
    (["--video", "walk.mp4"], SourceSpec("video", "walk.mp4", {})),
    (["--images", "frames/*.png"], SourceSpec("images", "frames/*.png", {})),
    (["--rtsp", "rtsp://10.0.0.2:8554/cam"], SourceSpec("rtsp", "rtsp://10.0.0.2:8554/cam", {})),
    (["--gst", "videotestsrc ! appsink"], SourceSpec("gst", "videotestsrc ! appsink", {})),
])
def test_file_and_stream_sources_parse(argv, spec):
    assert parse(argv) == spec


def test_rtsp_needs_an_rtsp_url():
    with pytest.raises(InputError, match="rtsp://"):
        parse(["--rtsp", "10.0.0.2/cam"])


# --- CSI pipeline and software flip --------------------------------------------------------------

def test_csi_pipeline_carries_every_setting():
    pipeline = csi_pipeline(1, 1920, 1080, 60, 2)
    assert pipeline.startswith("nvarguscamerasrc sensor-id=1 ")
    assert "width=(int)1920, height=(int)1080, framerate=(fraction)60/1" in pipeline
    assert "nvvidconv flip-method=2" in pipeline
    assert "format=(string)BGRx ! videoconvert ! video/x-raw, format=(string)BGR" in pipeline
    assert pipeline.endswith("appsink drop=1 max-buffers=1")


def test_csi_pipeline_swaps_output_size_when_rotating_90_degrees():
    after_convert = csi_pipeline(0, 1280, 720, 30, 1).split("nvvidconv")[1]
    assert "width=(int)720, height=(int)1280" in after_convert
    assert "width=(int)1280, height=(int)720" in csi_pipeline(0, 1280, 720, 30, 6).split("nvvidconv")[1]


@pytest.mark.parametrize("method, expected", [
    (0, lambda a: a),
    (1, lambda a: np.rot90(a, 1)),  # counter-clockwise
    (2, lambda a: np.rot90(a, 2)),
    (3, lambda a: np.rot90(a, -1)),
    (4, lambda a: a[:, ::-1]),
    (5, lambda a: a[::-1, ::-1].transpose(1, 0, 2)),  # mirror across the upper-right/lower-left diagonal
    (6, lambda a: a[::-1]),
    (7, lambda a: a.transpose(1, 0, 2)),
])
def test_flip_frame_matches_nvvidconv_flip_methods(method, expected):
    frame = np.random.RandomState(method).randint(0, 256, (5, 7, 3)).astype(np.uint8)
    np.testing.assert_array_equal(flip_frame(frame, method), expected(frame))


# --- videos ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, fourcc", [("clip.mp4", "mp4v"), ("clip.avi", "MJPG")])
def test_video_yields_every_frame_in_order(tmp_path, name, fourcc):
    path = write_video(tmp_path / name, 20, fourcc)
    with open_source(SourceSpec("video", path, {})) as source:
        assert source.live is False
        assert source.frame_count == 20
        assert source.fps == pytest.approx(25.0)
        assert source.frame_size_wh == (WIDTH, HEIGHT)
        description = source.describe()
        frames = list(source)
    assert path in description and "64x48" in description and "20 frames" in description
    assert [index for index, _ in frames] == list(range(20))
    assert [index_of(frame.image) for _, frame in frames] == list(range(20))
    assert all(frame.image.shape == (HEIGHT, WIDTH, 3) and frame.image.dtype == np.uint8 for _, frame in frames)


def test_closed_source_reads_nothing(tmp_path):
    write_images(tmp_path / "frames", [("a.png", 0), ("b.png", 1)])
    sources = [open_source(SourceSpec("video", write_video(tmp_path / "a.avi", 3, "MJPG"), {})),
               open_source(SourceSpec("images", str(tmp_path / "frames"), {}))]
    for source in sources:
        source.close()
        source.close()
        assert source.read() is None


def test_missing_video(tmp_path):
    with pytest.raises(InputError, match="no such video file"):
        open_source(SourceSpec("video", str(tmp_path / "nope.mp4"), {}))


@pytest.mark.parametrize("content", [b"", b"this is not a video\n" * 20])
def test_unreadable_video(tmp_path, content):
    path = tmp_path / "fake.mp4"
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        open_source(SourceSpec("video", str(path), {}))
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_folder_given_as_video_points_to_images(tmp_path):
    with pytest.raises(InputError, match="--images"):
        open_source(SourceSpec("video", str(tmp_path), {}))


# --- image folders and globs --------------------------------------------------------------------

def test_corrupt_image_is_skipped_with_a_warning(tmp_path, caplog):
    folder = tmp_path / "frames"
    write_images(folder, [("f0.png", 0), ("f1.png", 1), ("f3.png", 3), ("f4.png", 4)])
    (folder / "f2.png").write_bytes(np.random.RandomState(0).bytes(500))
    (folder / "notes.txt").write_text("not an image")
    with caplog.at_level(logging.WARNING):
        with open_source(SourceSpec("images", str(folder), {})) as source:
            assert source.frame_count == 5 and source.live is False
            frames = list(source)
    assert [index_of(frame.image) for _, frame in frames] == [0, 1, 3, 4]
    assert [index for index, _ in frames] == [0, 1, 2, 3]
    assert source.skipped == 1
    assert any("f2.png" in record.getMessage() for record in caplog.records if record.levelno == logging.WARNING)


def test_images_come_in_natural_name_order(tmp_path):
    folder = tmp_path / "frames"
    write_images(folder, [("frame10.jpg", 10), ("frame2.jpg", 2), ("frame1.jpg", 1)])
    with open_source(SourceSpec("images", str(folder), {})) as source:
        assert [index_of(frame.image) for _, frame in source] == [1, 2, 10]


def test_glob_selects_matching_files(tmp_path):
    folder = tmp_path / "frames"
    write_images(folder, [("a1.png", 1), ("a2.png", 2), ("b3.png", 3)])
    with open_source(SourceSpec("images", os.path.join(str(folder), "a*.png"), {})) as source:
        assert "2 files" in source.describe()
        assert [index_of(frame.image) for _, frame in source] == [1, 2]


def test_a_data_set_folder_stands_for_its_images(tmp_path):
    """bisenet-scenes writes OUT/images + OUT/labels: --images OUT reads the pictures, not the labels."""
    write_images(tmp_path / "scenes", [])
    write_images(tmp_path / "scenes" / "images", [("scene2.png", 2), ("scene1.png", 1)])
    write_images(tmp_path / "scenes" / "labels", [("scene1.png", 7), ("scene2.png", 7)])
    with open_source(SourceSpec("images", str(tmp_path / "scenes") + os.sep, {})) as source:
        assert [(frame.name, index_of(frame.image)) for _, frame in source] == [("scene1", 1), ("scene2", 2)]


def test_empty_folder(tmp_path):
    with pytest.raises(InputError, match="no images"):
        open_source(SourceSpec("images", str(tmp_path), {}))


def test_glob_without_matches(tmp_path):
    with pytest.raises(InputError, match="no files match"):
        open_source(SourceSpec("images", str(tmp_path / "*.png"), {}))


def test_missing_image_folder(tmp_path):
    with pytest.raises(InputError, match="no such image folder"):
        open_source(SourceSpec("images", str(tmp_path / "absent"), {}))


def test_folder_where_nothing_decodes(tmp_path):
    for name in ("a.png", "b.jpg"):
        (tmp_path / name).write_bytes(b"garbage" * 10)
    with pytest.raises(InputError, match="none of the 2 files"):
        open_source(SourceSpec("images", str(tmp_path), {}))


# --- cameras ---------------------------------------------------------------------------------------

def test_missing_usb_camera_suggests_video():
    with pytest.raises(InputError) as info:
        open_source(SourceSpec("camera", 99, dict(CAMERA_DEFAULTS)))
    assert "no camera at index 99" in str(info.value) and "--video FILE" in str(info.value)


@pytest.mark.skipif(opencv_has_gstreamer(), reason="this OpenCV has GStreamer; the refusal cannot happen")
@pytest.mark.parametrize("spec", [SourceSpec("csi", 0, dict(CAMERA_DEFAULTS)),
                                  SourceSpec("gst", "videotestsrc ! videoconvert ! appsink", {})])
def test_gstreamer_sources_need_gstreamer(spec):
    with pytest.raises(InputError, match="GStreamer") as info:
        open_source(spec)
    message = str(info.value)
    assert "has none" in message and "system OpenCV" in message and "bisenet-doctor" in message
    assert "\n" not in message


# --- per-frame metadata -----------------------------------------------------------------------------

def test_image_frames_carry_their_file_stem_and_path(tmp_path):
    folder = tmp_path / "frames"
    write_images(folder, [("scene2.png", 2), ("scene10.png", 10)])
    with open_source(SourceSpec("images", str(folder), {})) as source:
        frames = [frame for _, frame in source]
    assert [f.name for f in frames] == ["scene2", "scene10"]
    assert frames[1].meta["path"] == str(folder / "scene10.png") and frames[1].stamp is None


def test_video_frames_carry_name_index_and_the_files_clock(tmp_path):
    path = write_video(tmp_path / "walk.avi", 3, "MJPG", fps=25.0)
    with open_source(SourceSpec("video", path, {})) as source:
        frames = [frame for _, frame in source]
    assert [f.name for f in frames] == ["walk_000000", "walk_000001", "walk_000002"]
    assert [f.meta["frame"] for f in frames] == [0, 1, 2]
    assert [f.stamp for f in frames] == [0.0, pytest.approx(0.04), pytest.approx(0.08)]
