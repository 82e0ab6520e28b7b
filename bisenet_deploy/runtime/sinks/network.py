"""--output URLs: rtp://HOST:PORT, rtsp://[HOST]:PORT/PATH and http://[HOST]:PORT/, parsed into one
NetworkTarget, plus the 'streaming' flags the network sinks share.

Servers (RTSP, the browser view) listen on 127.0.0.1 unless --bind (or a host in the URL) says otherwise.
The URLs and commands printed at start are pasted into shells and players, so what they are built from is
checked here: a host is a name, an IPv4 address or a bracketed IPv6 one ([::1], printed bracketed too), a
path holds only characters that need no quoting, and RTP sends to a real port (a server's port 0 picks a
free one).
"""

import argparse
import collections
import re
import socket

from ...core.errors import InputError
from ..gst_support import ENCODER_NAMES

NetworkTarget = collections.namedtuple("NetworkTarget", "kind host port path url")
# kind: rtp | rtsp | http; host: '' when the URL leaves it out; path: the RTSP mount or the HTTP prefix

URL_PATTERN = re.compile(r"^(rtp|rtsp|http)://(\[[^\]]*\]|[^:/]*)(?::(\d+))?(/.*)?$")
HOST_NAME = re.compile(r"^[A-Za-z0-9._-]*$")  # host names and IPv4 addresses
SAFE_PATH = re.compile(r"^/[A-Za-z0-9._~/-]*$")  # RFC 3986 unreserved characters: nothing to quote or encode
DEFAULT_PORTS = {"rtsp": 8554, "http": 8080}
DEFAULT_BIND = "127.0.0.1"
STREAM_OUTPUT_EXAMPLES = """\
  --output rtp://HOST:PORT     H.264 over RTP/UDP to HOST   --output rtp://192.168.1.20:5000
  --output rtsp://:PORT/PATH   RTSP server of the overlay   --output rtsp://:8554/seg
  --output http://:PORT/       live view in a browser       --output http://:8080/ --bind 0.0.0.0
  (several --output at once: --output http://:8080/ --output run.mp4)
"""


def parse_target(url):
    # type: (str) -> NetworkTarget
    """The NetworkTarget of an --output URL; InputError with the accepted forms otherwise."""
    match = URL_PATTERN.match(url)
    forms = "rtp://HOST:PORT, rtsp://:PORT/PATH or http://:PORT/"
    if not match:
        raise InputError("--output {!r} is not a stream URL ({})".format(url, forms))
    kind, port, path = match.group(1), match.group(3), match.group(4) or "/"
    host = _host(match.group(2), "--output {}".format(url))
    if port is None:
        if kind == "rtp":
            raise InputError("--output {} needs a port: rtp://HOST:PORT".format(url))
        port = DEFAULT_PORTS[kind]
    port = int(port)
    if not (1 if kind == "rtp" else 0) <= port <= 65535:
        raise InputError("--output {}: port {} is out of range ({})".format(
            url, port, "1..65535: the receiver's port" if kind == "rtp" else "0..65535, 0: any free port"))
    if kind == "rtp" and not host:
        raise InputError("--output {} needs the receiver's address: rtp://HOST:PORT".format(url))
    if not SAFE_PATH.match(path):
        raise InputError("--output {}: the path {!r} may hold only letters, digits and . _ ~ - / (it is printed "
                         "in commands to watch the stream, where other characters would need quoting)".format(
                             url, path))
    if kind == "rtsp" and path.strip("/") == "":
        path = "/seg"
    return NetworkTarget(kind, host, port, path, url)


def _host(text, what):
    """The host of a URL or --bind: a name, an IPv4 address or an IPv6 address (brackets taken off); InputError
    for anything else."""
    bracketed = text.startswith("[") and text.endswith("]")
    bare = text[1:-1] if bracketed else text
    if HOST_NAME.match(bare) and not bracketed:
        return bare
    try:
        socket.inet_pton(socket.AF_INET6, bare)
    except (OSError, ValueError):
        raise InputError("{}: {!r} is not a host name or an IPv4 or IPv6 address".format(what, text))
    return bare


def _bind_address(text):
    try:
        return _host(text, "--bind")
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc))


def host_port(host, port):
    # type: (str, int) -> str
    """HOST:PORT as a URL writes it: an IPv6 address in brackets ([::1]:8554)."""
    return "[{}]:{}".format(host, port) if ":" in host else "{}:{}".format(host, port)


def listen_scope(host):
    # type: (str) -> str
    """Where a server on `host` can be reached from, for its start-up line."""
    if host.startswith("127.") or host in ("localhost", "::1"):
        return "this machine only; --bind 0.0.0.0 for other machines"
    if host in ("0.0.0.0", "", "::"):
        return "every address of this machine: other machines can connect"
    return "address " + host


def _positive(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError("expected a positive whole number, got {!r}".format(text))
    return value


def _quality(text):
    value = _positive(text)
    if value > 100:
        raise argparse.ArgumentTypeError("expected 1..100, got {!r}".format(text))
    return value


def add_stream_args(parser):
    """Add the 'streaming' group: where servers listen and how the H.264 and JPEG streams are encoded."""
    group = parser.add_argument_group("streaming", "settings of the rtp://, rtsp:// and http:// outputs")
    group.add_argument("--bind", type=_bind_address, default=DEFAULT_BIND, metavar="ADDRESS",
                       help="address the RTSP server and browser view listen on (default 127.0.0.1: this machine "
                            "only; 0.0.0.0 for every network, :: or ::1 for IPv6)")
    group.add_argument("--bitrate", type=_positive, default=4000, metavar="KBPS",
                       help="H.264 bitrate in kbit/s (default 4000)")
    group.add_argument("--keyframe-interval", type=_positive, default=30, metavar="FRAMES",
                       help="frames between H.264 key frames; a new viewer starts at the next one (default 30)")
    group.add_argument("--encoder", choices=("auto",) + ENCODER_NAMES, default="auto",
                       help="H.264 encoder element (default auto: nvv4l2h264enc, omxh264enc, x264enc, openh264enc, "
                            "the first GStreamer has)")
    group.add_argument("--jpeg-quality", type=_quality, default=80, metavar="1..100",
                       help="JPEG quality of the browser view's stream (default 80)")
    return group


def stream_settings(ns):
    # type: (object) -> dict
    return {"bind": getattr(ns, "bind", DEFAULT_BIND), "bitrate_kbps": getattr(ns, "bitrate", 4000),
            "keyframe_interval": getattr(ns, "keyframe_interval", 30), "encoder": getattr(ns, "encoder", "auto"),
            "jpeg_quality": getattr(ns, "jpeg_quality", 80)}
