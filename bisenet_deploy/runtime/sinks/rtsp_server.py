"""--output rtsp://[HOST]:PORT/PATH: an RTSP server (gst-rtsp-server through python3-gi) serving the overlay
as H.264. Every viewer shares one encoder; frames are pushed only while someone watches, and a leaky
queue after appsrc drops frames rather than ever blocking the pipeline."""

import logging
import shlex
import socket
import threading

from ...core.errors import InputError
from ..gst_support import gst_modules, h264_encoder_chain
from .base import Sink
from .fixed_size import FixedSize
from .network import host_port, listen_scope, parse_target

log = logging.getLogger(__name__)

DEFAULT_FPS = 30


def media_launch(width, height, fps, encoder_pipeline):
    # type: (int, int, int, str) -> str
    """The factory's pipeline: BGR frames from appsrc, time-stamped on arrival, to an RTP payloader."""
    return ("( appsrc name=frames is-live=true format=time do-timestamp=true "
            "caps=video/x-raw,format=BGR,width={},height={},framerate={}/1 ! "
            "queue leaky=downstream max-size-buffers=2 ! {} ! rtph264pay name=pay0 pt=96 config-interval=1 )".format(
                width, height, fps, encoder_pipeline))


def viewer_url(host, port, path):
    if host in ("0.0.0.0", "::", ""):
        host = socket.gethostname()
    return "rtsp://{}{}".format(host_port(host, port), path)


class RtspServerSink(Sink):
    """Serves rtsp://HOST:PORT/PATH from a GLib main loop on its own thread."""

    forms = ("rtsp://:PORT/PATH",)

    @classmethod
    def accepts(cls, spec):
        return spec.startswith("rtsp://")

    @classmethod
    def from_spec(cls, spec, stream):
        target = parse_target(spec)
        return cls(target.host or stream.settings["bind"], target.port, target.path, stream.fps, stream.frame_size_wh,
                   stream.settings)

    def __init__(self, host, port, path, fps, frame_size_wh, settings):
        self._gst, glib, server_module = gst_modules("--output rtsp://", rtsp_server=True)
        self.encoder = h264_encoder_chain(settings["bitrate_kbps"], settings["keyframe_interval"],
                                          settings["encoder"])
        self._settings = settings
        self._size = FixedSize(frame_size_wh, "RTSP stream")
        self.host, self.path = host, path
        self._sources = []  # the appsrc of the shared media while someone watches
        self._lock = threading.Lock()
        factory = server_module.RTSPMediaFactory()
        width, height = self._size.size_wh
        factory.set_launch(media_launch(width, height, int(round(fps or DEFAULT_FPS)), self.encoder.pipeline))
        factory.set_shared(True)
        factory.connect("media-configure", self._on_media_configure)
        self._server = server_module.RTSPServer()
        self._server.set_address(host)
        self._server.set_service(str(port))
        self._server.get_mount_points().add_factory(path, factory)
        self._context = glib.MainContext.new()
        self._source_id = self._server.attach(self._context)
        if not self._source_id:
            raise InputError("the RTSP server cannot listen on {}:{} (port in use, or not an address of this "
                             "machine)".format(host, port))
        self.port = self._server.get_bound_port()
        self._filter_result = server_module.RTSPFilterResult.REMOVE
        self._loop = glib.MainLoop.new(self._context, False)
        self._thread = threading.Thread(target=self._loop.run, name="rtsp-server", daemon=True)
        self._thread.start()
        self.frames_sent = 0

    def _on_media_configure(self, factory, media):
        source = media.get_element().get_by_name("frames")
        with self._lock:
            self._sources.append(source)
        media.connect("unprepared", lambda unused: self._forget(source))

    def _forget(self, source):
        with self._lock:
            if source in self._sources:
                self._sources.remove(source)

    @property
    def url(self):
        return viewer_url(self.host, self.port, self.path)

    def describe(self):
        width, height = self._size.size_wh
        return "\n".join([
            "RTSP server at {} ({}x{} H.264, {}, {} kbit/s, key frame every {}; listening on {})".format(
                self.url, width, height, self.encoder.name, self._settings["bitrate_kbps"],
                self._settings["keyframe_interval"], listen_scope(self.host)),
            "watch: gst-launch-1.0 rtspsrc location={} latency=100 ! rtph264depay ! avdec_h264 ! videoconvert ! "
            "autovideosink   or: vlc {}".format(shlex.quote(self.url), shlex.quote(self.url))])  # [::1] is a glob

    def write(self, result):
        with self._lock:
            sources = list(self._sources)
        if not sources:
            return  # nobody watches: no copy, no encoding
        data = self._size.fit(result.overlay).tobytes()
        for source in sources:
            source.emit("push-buffer", self._gst.Buffer.new_wrapped(data))
        self.frames_sent += 1

    def close(self, success=True):
        if self._thread is None:
            return
        with self._lock:
            sources, self._sources = list(self._sources), []
        for source in sources:
            source.emit("end-of-stream")
        self._server.client_filter(lambda server, client, data: self._filter_result, None)
        attached = self._context.find_source_by_id(self._source_id)
        if attached is not None:
            attached.destroy()
        self._loop.quit()
        self._thread.join(5)
        self._thread = None
