"""runtime/sinks/video_codecs.py: an .mp4 is H.264 where this machine can encode it, and the codec the
sink reports is the one in the file. Real files are encoded and their codec read back with OpenCV
(CAP_PROP_FOURCC); the robot mirror (Debian's OpenCV: FFmpeg with libx264, GStreamer with x264enc and
openh264enc) checks every H.264 path, the workstation's pip OpenCV (no H.264 encoder) the fallback."""

import logging

import cv2
import pytest

from bisenet_deploy.runtime.sinks import VideoFileSink, video_codecs
from frame_codes import HEIGHT, WIDTH, index_of, painted, read_frames

H264_TAGS = ("avc1", "h264", "H264")
MP4V_TAGS = ("mp4v", "FMP4")


def written_video(path, frames=12):
    """Encode `frames` painted frames through the sink; (sink's codec, fourcc read back, frame indices)."""
    with VideoFileSink(str(path), 25.0, (WIDTH, HEIGHT)) as sink:
        for index in range(frames):
            sink.write_image(painted(index))
    capture = cv2.VideoCapture(str(path))
    fourcc = int(capture.get(cv2.CAP_PROP_FOURCC)).to_bytes(4, "little").decode("ascii", "replace")
    return sink.codec, fourcc, [index_of(frame) for frame in read_frames(capture)]


def test_the_codec_the_sink_reports_is_the_one_in_the_file(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        codec, fourcc, indices = written_video(tmp_path / "out.mp4")
    assert indices == list(range(12))
    if codec.startswith("H.264"):
        assert fourcc in H264_TAGS, (codec, fourcc)
        assert not any("mp4v" in record.getMessage() for record in caplog.records)
    else:  # no H.264 encoder here (pip's opencv wheels): said once, in one line
        assert codec == video_codecs.MP4V and fourcc in MP4V_TAGS, (codec, fourcc)
        warnings = [record.getMessage() for record in caplog.records if "no H.264 encoder" in record.getMessage()]
        assert len(warnings) == 1 and "\n" not in warnings[0] and str(tmp_path / "out.mp4") in warnings[0]


def test_the_codec_is_in_the_description_and_the_closing_line(tmp_path, caplog):
    path = tmp_path / "out.mp4"
    with caplog.at_level(logging.INFO):
        with VideoFileSink(str(path), 25.0, (WIDTH, HEIGHT)) as sink:
            assert sink.describe() == "writing {} as {}, {}x{} at 25 fps".format(path, sink.codec, WIDTH, HEIGHT)
            sink.write_image(painted(1))
    assert "wrote {} (1 frame, {})".format(path, sink.codec) in caplog.text


def test_an_avi_is_motion_jpeg(tmp_path):
    codec, fourcc, indices = written_video(tmp_path / "out.avi", frames=3)
    assert codec == "Motion JPEG (MJPG)" and fourcc == "MJPG" and indices == [0, 1, 2]


def test_hardware_encoders_come_first_then_opencvs_writer_then_gstreamer_software():
    codecs = [attempt.codec for attempt in video_codecs.mp4_attempts(["x264enc", "nvv4l2h264enc", "openh264enc"])]
    assert codecs == ["H.264 (nvv4l2h264enc via GStreamer)", "H.264 (avc1 via OpenCV's writer)",
                      "H.264 (x264enc via GStreamer)", "H.264 (openh264enc via GStreamer)"]


def test_the_file_pipeline_parses_what_it_muxes_and_quotes_the_path():
    pipeline = video_codecs.file_pipeline("x264enc", '/tmp/a "b"/out.part.mp4', 30.0, (640, 480))
    assert pipeline.startswith("appsrc ! videoconvert ! ") and "x264enc" in pipeline
    assert "key-int-max=60" in pipeline and "bitrate=1843" in pipeline  # 0.2 bit per pixel, 30 fps
    assert pipeline.endswith('! h264parse ! mp4mux ! filesink location="/tmp/a \\"b\\"/out.part.mp4"')


def test_without_any_encoder_the_fallback_is_mp4v_with_the_warning(tmp_path, monkeypatch, caplog):
    """What the pip wheel gives everywhere, forced here even where H.264 exists."""
    monkeypatch.setattr(video_codecs, "gstreamer_encoders", lambda: [])
    monkeypatch.setattr(video_codecs, "OPENCV_H264_TAGS", ())
    with caplog.at_level(logging.WARNING):
        codec, fourcc, indices = written_video(tmp_path / "out.mp4", frames=4)
    assert codec == video_codecs.MP4V and fourcc in MP4V_TAGS and indices == [0, 1, 2, 3]
    assert "browsers and phones do not play" in caplog.text


@pytest.mark.robot
@pytest.mark.parametrize("encoder", [None, "x264enc", "openh264enc"])
def test_robot_mirror_writes_h264_through_each_encoder(tmp_path, monkeypatch, encoder):
    """None: OpenCV's FFmpeg (libx264); else that GStreamer element through OpenCV's GStreamer writer."""
    if encoder is not None:  # only that encoder: OpenCV's own writer is tried before software GStreamer
        assert encoder in video_codecs.gstreamer_encoders()
        monkeypatch.setattr(video_codecs, "gstreamer_encoders", lambda: [encoder])
        monkeypatch.setattr(video_codecs, "OPENCV_H264_TAGS", ())
    else:
        monkeypatch.setattr(video_codecs, "gstreamer_encoders", lambda: [])
    codec, fourcc, indices = written_video(tmp_path / "out.mp4")
    assert codec == ("H.264 (avc1 via OpenCV's writer)" if encoder is None else
                     "H.264 ({} via GStreamer)".format(encoder))
    assert fourcc in H264_TAGS and indices == list(range(12))


@pytest.mark.robot
def test_robot_mirror_mp4_is_h264_by_default(tmp_path):
    codec, fourcc, _ = written_video(tmp_path / "out.mp4", frames=3)
    assert codec.startswith("H.264") and fourcc in H264_TAGS
