"""A viewer of the browser view's MJPEG stream, run as its own process by the load test: connects as soon
as the server listens, reads /stream.mjpg for at most SECONDS in all (or until the server closes) and
prints how many JPEG frames came."""

import socket
import sys
import time


def count_frames(port, seconds):
    frames, tail = 0, b""
    deadline = time.monotonic() + seconds
    try:
        with _connect(port, deadline) as conn:
            conn.sendall(b"GET /stream.mjpg HTTP/1.0\r\n\r\n")
            conn.settimeout(1.0)
            while time.monotonic() < deadline:
                try:
                    chunk = conn.recv(65536)
                except socket.timeout:
                    continue
                if not chunk:
                    break
                data = tail + chunk
                frames += data.count(b"\xff\xd9")  # JPEG end-of-image markers
                tail = data[-1:]
    except OSError:
        pass
    return frames


def _connect(port, deadline):
    while True:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=1.0)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)


if __name__ == "__main__":
    print(count_frames(int(sys.argv[1]), float(sys.argv[2])))
