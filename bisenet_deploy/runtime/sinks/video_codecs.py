"""Which codec a video file is written in, chosen by what this machine can encode.

An .mp4 is H.264 wherever an encoder exists, since browsers and phones play nothing else in an .mp4:
a Jetson's hardware encoder through OpenCV's GStreamer writer first, then OpenCV's FFmpeg writer with its
H.264 encoder (the system OpenCV has one; pip's opencv wheels do not), then GStreamer's software
encoders. Only when none exists is it MPEG-4 Part 2 (mp4v), with a one-line warning. An .avi is Motion
JPEG. The caller keeps the codec's name and says it in the run's output.
"""

import collections
import logging

import cv2

from ..gst_support import ENCODER_NAMES, encoder_pipeline, inspected_encoders, missing_elements, opencv_build_facts

log = logging.getLogger(__name__)

Attempt = collections.namedtuple("Attempt", "codec open")
# codec: what the file holds, in words; open(path, fps, size_wh) -> cv2.VideoWriter (maybe not opened)
MP4V = "MPEG-4 Part 2 (mp4v)"

HARDWARE_ENCODERS = ("nvv4l2h264enc", "omxh264enc")
# H.264's tag in an MP4 (FFmpeg would map "H264" to it, printing a line that says so)
OPENCV_H264_TAGS = ("avc1",)
FILE_BITS_PER_PIXEL = 0.2  # per frame: 1.8 Mbit/s at 640x480, 30 fps
KEYFRAME_SECONDS = 2


def no_h264_warning(path):
    # type: (str) -> str
    return ("no H.264 encoder here (OpenCV's FFmpeg has none: pip's opencv wheels ship without; GStreamer has none of "
            "{}): {} is MPEG-4 Part 2 (mp4v), which browsers and phones do not play; convert it with `ffmpeg -i {} "
            "-c:v libx264 OUT.mp4`, or run with a system OpenCV (Jetson, ./scripts/setup.sh --robot)".format(
                ", ".join(ENCODER_NAMES), path, path))


def _opencv(fourcc):
    """OpenCV's own choice of writer for a file name and codec tag (FFmpeg where it has it)."""
    def open_writer(path, fps, size_wh):
        return cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*fourcc), float(fps), size_wh)
    return open_writer


def file_pipeline(encoder, path, fps, size_wh):
    # type: (str, str, float, tuple) -> str
    """OpenCV's GStreamer writer: BGR frames, `encoder`'s H.264, an MP4 file at `path`."""
    bitrate_kbps = max(100, int(FILE_BITS_PER_PIXEL * size_wh[0] * size_wh[1] * fps / 1000))
    chain = encoder_pipeline(encoder, bitrate_kbps, max(1, int(round(KEYFRAME_SECONDS * fps))))
    if not chain.endswith("h264parse"):
        chain += " ! h264parse"  # mp4mux takes parsed H.264 only
    location = path.replace("\\", "\\\\").replace('"', '\\"')
    return 'appsrc ! {} ! mp4mux ! filesink location="{}"'.format(chain, location)


def _gstreamer(encoder):
    def open_writer(path, fps, size_wh):
        return cv2.VideoWriter(file_pipeline(encoder, path, fps, size_wh), cv2.CAP_GSTREAMER, 0, float(fps), size_wh,
                               True)
    return open_writer


def mp4_attempts(gst_encoders):
    # type: (list) -> list
    """[Attempt] for an .mp4, in order, given the GStreamer H.264 encoders OpenCV can use here."""
    hardware = [name for name in gst_encoders if name in HARDWARE_ENCODERS]
    software = [name for name in gst_encoders if name not in HARDWARE_ENCODERS]
    return ([Attempt("H.264 ({} via GStreamer)".format(name), _gstreamer(name)) for name in hardware]
            + [Attempt("H.264 ({} via OpenCV's writer)".format(tag), _opencv(tag)) for tag in OPENCV_H264_TAGS]
            + [Attempt("H.264 ({} via GStreamer)".format(name), _gstreamer(name)) for name in software])


def gstreamer_encoders():
    # type: () -> list
    """The H.264 encoders OpenCV's GStreamer writer can use for a file: none when this OpenCV has no
    GStreamer, or GStreamer lacks the parser and muxer every file pipeline needs."""
    if not opencv_build_facts()["gstreamer"] or missing_elements("h264parse ! mp4mux ! filesink"):
        return []
    return inspected_encoders()


def open_video_writer(path, extension, fps, size_wh):
    """(opened cv2.VideoWriter, codec in words), or (None, the codecs tried) when nothing opened; MP4V
    means no H.264 encoder was found."""
    if extension == ".avi":
        attempts = [Attempt("Motion JPEG (MJPG)", _opencv("MJPG"))]
    else:
        attempts = mp4_attempts(gstreamer_encoders()) + [Attempt(MP4V, _opencv("mp4v"))]
    for attempt in attempts:
        writer = attempt.open(path, fps, size_wh)
        if writer.isOpened():
            return writer, attempt.codec
        writer.release()
        log.debug("cannot write %s as %s here", path, attempt.codec)
    return None, " or ".join(attempt.codec for attempt in attempts)
