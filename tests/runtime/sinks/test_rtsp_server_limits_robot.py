"""The RTSP server output (gst-rtsp-server, robot mirror) under idle connections: every client is served by
the one GLib main-loop thread, so connections that send nothing add no thread (gst-rtsp-server itself
closes them after 60 s without a request)."""

import os
import socket
import time

import pytest

from bisenet_deploy.runtime.sinks.rtsp_server import RtspServerSink

pytestmark = pytest.mark.robot

SETTINGS = {"bitrate_kbps": 1000, "keyframe_interval": 30, "encoder": "auto", "bind": "127.0.0.1"}


def native_threads():
    return len(os.listdir("/proc/self/task"))  # GLib's threads as well as Python's


def test_idle_rtsp_connections_add_no_threads():
    sink = RtspServerSink("127.0.0.1", 0, "/seg", 30, (64, 48), SETTINGS)
    idle = []
    try:
        before = native_threads()
        idle = [socket.create_connection(("127.0.0.1", sink.port), timeout=5) for _ in range(40)]
        time.sleep(1.0)  # the server has accepted them all
        assert native_threads() <= before + 2
    finally:
        for conn in idle:
            conn.close()
        sink.close()
