"""Real GStreamer counterparts for the robot tests: an RTSP server on loopback (gst-rtsp-server through
python3-gi) and receivers that decode a stream and keep the frames. Only importable in .venv-robot."""

import socket
import threading
import time

import gi
import numpy as np

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

Gst.init(None)

TEST_STREAM = ("( videotestsrc is-live=true pattern=ball ! video/x-raw,width={w},height={h},framerate={fps}/1 ! "
               "videoconvert ! video/x-raw,format=I420 ! x264enc tune=zerolatency speed-preset=ultrafast "
               "key-int-max=10 ! rtph264pay name=pay0 pt=96 config-interval=1 )")


def free_port(kind=socket.SOCK_STREAM):
    """A loopback port nobody listens on right now."""
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RtspTestServer(object):
    """Serves an H.264 test pattern at rtsp://127.0.0.1:PORT/test until stop() drops every client."""

    def __init__(self, width=160, height=120, fps=30):
        self._context = GLib.MainContext.new()
        self._server = GstRtspServer.RTSPServer()
        self._server.set_address("127.0.0.1")
        self._server.set_service("0")
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(TEST_STREAM.format(w=width, h=height, fps=fps))
        factory.set_shared(True)
        self.clients = 0
        factory.connect("media-configure", self._on_media)
        self._server.get_mount_points().add_factory("/test", factory)
        self._source_id = self._server.attach(self._context)
        self.url = "rtsp://127.0.0.1:{}/test".format(self._server.get_bound_port())
        self._loop = GLib.MainLoop.new(self._context, False)
        self._thread = threading.Thread(target=self._loop.run, daemon=True)
        self._thread.start()

    def _on_media(self, factory, media):
        self.clients += 1

    def stop(self):
        """Go away as a crashed server would: drop every session and stop listening."""
        self._server.client_filter(lambda server, client, data: GstRtspServer.RTSPFilterResult.REMOVE, None)
        source = self._context.find_source_by_id(self._source_id)
        if source is not None:
            source.destroy()
        self._loop.quit()
        self._thread.join(5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class FrameReceiver(object):
    """A GStreamer pipeline ending in an appsink that keeps every decoded frame (BGR numpy arrays)."""

    def __init__(self, description):
        self.frames = []
        self._pipeline = Gst.parse_launch(description + " ! videoconvert ! video/x-raw,format=BGR ! "
                                          "appsink name=sink emit-signals=true sync=false")
        self._pipeline.get_by_name("sink").connect("new-sample", self._on_sample)
        self._pipeline.set_state(Gst.State.PLAYING)

    def _on_sample(self, sink):
        sample = sink.emit("pull-sample")
        caps = sample.get_caps().get_structure(0)
        buffer = sample.get_buffer()
        ok, mapped = buffer.map(Gst.MapFlags.READ)
        if ok:
            height, width = caps.get_value("height"), caps.get_value("width")
            frame = np.frombuffer(mapped.data, np.uint8)[:height * width * 3].reshape(height, width, 3).copy()
            buffer.unmap(mapped)
            self.frames.append(frame)
        return Gst.FlowReturn.OK

    def wait_for(self, count, seconds):
        deadline = time.monotonic() + seconds
        while len(self.frames) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return len(self.frames)

    def stop(self):
        self._pipeline.set_state(Gst.State.NULL)


def rtp_receiver(port):
    return FrameReceiver('udpsrc address=127.0.0.1 port={} caps="application/x-rtp,media=video,encoding-name=H264,'
                         'payload=96,clock-rate=90000" ! rtph264depay ! avdec_h264'.format(port))


def rtsp_receiver(url):
    return FrameReceiver("rtspsrc location={} latency=0 protocols=tcp ! rtph264depay ! avdec_h264".format(url))


if __name__ == "__main__":
    # A server in a process of its own, so a test can stop it (SIGSTOP) as a server that hangs: prints its
    # URL, then "client" for each viewer, and serves until killed.
    import sys

    class _Announcing(RtspTestServer):
        def _on_media(self, factory, media):
            RtspTestServer._on_media(self, factory, media)
            print("client", flush=True)

    print(_Announcing().url, flush=True)
    sys.stdin.read()  # until the test closes our stdin or kills us
