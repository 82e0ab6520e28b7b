"""--output rtp://HOST:PORT: the overlay as H.264 over RTP/UDP, through OpenCV's GStreamer writer (so it needs
only JetPack's OpenCV, not python3-gi). A leaky queue after appsrc drops frames when the encoder falls
behind, so a slow encoder never slows the pipeline."""

import logging

import cv2

from ...core.errors import InputError
from ..gst_support import h264_encoder_chain, require_opencv_gstreamer
from .base import Sink
from .fixed_size import FixedSize
from .network import host_port, parse_target

log = logging.getLogger(__name__)

DEFAULT_FPS = 30.0
RTP_CAPS = "application/x-rtp,media=video,encoding-name=H264,payload=96,clock-rate=90000"


def rtp_pipeline(host, port, encoder_pipeline):
    # type: (str, int, str) -> str
    return ("appsrc ! queue leaky=downstream max-size-buffers=2 ! {} ! rtph264pay config-interval=1 pt=96 ! "
            "udpsink host={} port={} sync=false async=false".format(encoder_pipeline, host, port))


def watch_commands(port, receiver):
    # type: (int, str) -> list
    """How to watch the stream on the receiving machine: gst-launch-1.0, and VLC through an SDP file."""
    ipv6 = ":" in receiver
    return ["watch (on {}): gst-launch-1.0 udpsrc {}port={} caps=\"{}\" ! rtph264depay ! avdec_h264 ! "
            "videoconvert ! autovideosink sync=false".format(receiver, "address=:: " if ipv6 else "", port, RTP_CAPS),
            "  or VLC: vlc stream.sdp, with stream.sdp holding: v=0 / o=- 0 0 IN IP4 127.0.0.1 / s=bisenet / "
            "c=IN {} {} / t=0 0 / m=video {} RTP/AVP 96 / a=rtpmap:96 H264/90000 (one per line)".format(
                "IP6" if ipv6 else "IP4", receiver, port)]


class RtpSink(Sink):
    """Sends every written overlay to HOST:PORT; nobody needs to be listening."""

    forms = ("rtp://HOST:PORT",)

    @classmethod
    def accepts(cls, spec):
        return spec.startswith("rtp://")

    @classmethod
    def from_spec(cls, spec, stream):
        target = parse_target(spec)
        return cls(target.host, target.port, stream.fps, stream.frame_size_wh, stream.settings)

    def __init__(self, host, port, fps, frame_size_wh, settings):
        require_opencv_gstreamer("--output rtp://")
        self.host, self.port = host, port
        self.encoder = h264_encoder_chain(settings["bitrate_kbps"], settings["keyframe_interval"],
                                          settings["encoder"])
        self._settings = settings
        self._size = FixedSize(frame_size_wh, "RTP stream")
        self.pipeline = rtp_pipeline(host, port, self.encoder.pipeline)
        log.debug("RTP pipeline: %s", self.pipeline)
        self._writer = cv2.VideoWriter(self.pipeline, cv2.CAP_GSTREAMER, 0, float(fps or DEFAULT_FPS),
                                       self._size.size_wh, True)
        if not self._writer.isOpened():
            self._writer = None
            raise InputError("the RTP stream to {}:{} did not start (GStreamer pipeline: {})".format(
                host, port, self.pipeline))
        self.frames_written = 0

    def describe(self):
        width, height = self._size.size_wh
        lines = ["streaming {}x{} H.264 ({}, {} kbit/s, key frame every {}) over RTP to {}".format(
            width, height, self.encoder.name, self._settings["bitrate_kbps"], self._settings["keyframe_interval"],
            host_port(self.host, self.port))]
        lines += watch_commands(self.port, self.host)
        return "\n".join(lines)

    def write(self, result):
        if self._writer is not None:
            self._writer.write(self._size.fit(result.overlay))
            self.frames_written += 1

    def close(self, success=True):
        if self._writer is not None:
            self._writer.release()
            self._writer = None
