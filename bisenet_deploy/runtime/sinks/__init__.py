"""Sinks that take a whole FrameResult through one `write(result)`: the network streams (RTP, RTSP) and the
browser view. `network.open_network_sink` opens the one an --output URL names."""
