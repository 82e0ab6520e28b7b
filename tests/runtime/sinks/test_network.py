"""Tests for bisenet_deploy/runtime/sinks/network.py: --output URLs and the streaming flags."""

import pytest

from video_files import frame_count, write_video

from bisenet_deploy.core.cli import ArgumentParser
from bisenet_deploy.core.errors import InputError
from bisenet_deploy.runtime.sinks import add_output_args, open_outputs
from bisenet_deploy.runtime.sinks.network import NetworkTarget, parse_target, stream_settings


@pytest.mark.parametrize("url, expected", [
    ("rtp://192.168.1.20:5000", NetworkTarget("rtp", "192.168.1.20", 5000, "/", "rtp://192.168.1.20:5000")),
    ("rtsp://:8554/seg", NetworkTarget("rtsp", "", 8554, "/seg", "rtsp://:8554/seg")),
    ("rtsp://", NetworkTarget("rtsp", "", 8554, "/seg", "rtsp://")),
    ("http://:8080/", NetworkTarget("http", "", 8080, "/", "http://:8080/")),
    ("http://0.0.0.0:9000", NetworkTarget("http", "0.0.0.0", 9000, "/", "http://0.0.0.0:9000")),
])
def test_stream_urls_parse_into_targets(url, expected):
    assert parse_target(url) == expected


@pytest.mark.parametrize("url, words", [("rtp://:5000", "receiver's address"), ("rtp://host", "needs a port"),
                                        ("http://:99999/", "out of range"), ("rtsp://:port/x", "not a stream URL")])
def test_bad_stream_urls_are_refused_with_the_form_to_use(url, words):
    with pytest.raises(InputError, match=words):
        parse_target(url)


def parse(argv):
    parser = ArgumentParser(prog="test")
    add_output_args(parser)
    return parser.parse_args(argv)


def test_several_outputs_and_stream_settings_from_flags():
    ns = parse(["--output", "a.mp4", "--output", "http://:8080/", "--bind", "0.0.0.0", "--bitrate", "1500",
                "--keyframe-interval", "10", "--jpeg-quality", "60"])
    assert ns.output == ["a.mp4", "http://:8080/"]
    assert stream_settings(ns) == {"bind": "0.0.0.0", "bitrate_kbps": 1500, "keyframe_interval": 10,
                                   "encoder": "auto", "jpeg_quality": 60}
    assert stream_settings(parse([]))["bind"] == "127.0.0.1"


@pytest.mark.parametrize("flag, value", [("--bitrate", "0"), ("--jpeg-quality", "101"), ("--encoder", "nvenc")])
def test_bad_stream_settings_are_usage_errors(flag, value):
    with pytest.raises(SystemExit) as info:
        parse([flag, value])
    assert info.value.code == 2


def test_a_bad_url_is_refused_before_any_output_opens(tmp_path):
    ns = parse(["--headless", "--output", str(tmp_path / "ok.avi"), "--output", "rtp://nohost"])
    with pytest.raises(InputError, match="needs a port"):
        open_outputs(ns, 10.0, (64, 48), 3)
    assert list(tmp_path.iterdir()) == []


def test_run_with_a_video_and_the_browser_view_together(tmp_path, tiny_onnx_labels):
    import cli_capture
    from bisenet_deploy.runtime import run as run_module

    source = write_video(tmp_path / "in.avi", frames=12)
    code, stdout, stderr = cli_capture.run_cli(run_module.main, "--model", tiny_onnx_labels, "--video", source,
                                               "--headless", "--threads", "1", "--output", tmp_path / "out.mp4",
                                               "--output", "http://127.0.0.1:0/")
    assert code == 0, stderr
    assert "browser view at http://127.0.0.1:" in stdout and "this machine only" in stdout
    assert frame_count(tmp_path / "out.mp4")[0] == 12 and "12 frames" in stdout


def test_rtp_without_opencv_gstreamer_is_one_line_and_leaves_no_partial_video(tmp_path, tiny_onnx_labels):
    import cli_capture
    from bisenet_deploy.runtime import run as run_module
    from bisenet_deploy.runtime.sources.gstreamer import opencv_has_gstreamer

    if opencv_has_gstreamer():
        pytest.skip("this OpenCV has GStreamer; the refusal cannot happen")
    source = write_video(tmp_path / "in.avi", frames=3)
    code, _, stderr = cli_capture.run_cli(run_module.main, "--model", tiny_onnx_labels, "--video", source,
                                          "--headless", "--output", tmp_path / "out.mp4",
                                          "--output", "rtp://127.0.0.1:5000")
    assert code == 2 and len(stderr.strip().splitlines()) == 1
    assert "--output rtp:// needs OpenCV built with GStreamer" in stderr and "bisenet-doctor" in stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.avi"]


def test_listen_scope_says_who_can_connect():
    from bisenet_deploy.runtime.sinks.network import listen_scope

    assert listen_scope("127.0.0.1").startswith("this machine only")
    assert "other machines can connect" in listen_scope("0.0.0.0")
    assert listen_scope("192.168.1.5") == "address 192.168.1.5"


def test_an_ipv6_host_is_bracketed_in_every_url_and_command_printed():
    from bisenet_deploy.runtime.sinks.rtp import watch_commands
    from bisenet_deploy.runtime.sinks.rtsp_server import viewer_url

    assert parse_target("rtsp://[::1]:8554/seg").host == "::1"
    assert viewer_url("::1", 8554, "/seg") == "rtsp://[::1]:8554/seg"
    assert viewer_url("127.0.0.1", 8554, "/seg") == "rtsp://127.0.0.1:8554/seg"
    watch, vlc = watch_commands(5000, "::1")
    assert "udpsrc address=:: port=5000" in watch and "c=IN IP6 ::1" in vlc
    assert "c=IN IP4 10.0.0.2" in watch_commands(5000, "10.0.0.2")[1]
    assert parse(["--bind", "::1"]).bind == "::1" and parse(["--bind", "[::1]"]).bind == "::1"


@pytest.mark.parametrize("url, words", [
    ("rtsp://:8554/a b", "may hold only letters"),
    ("rtsp://:8554/seg;rm", "may hold only letters"),
    ("http://:8080/a'b/", "may hold only letters"),
    ("rtp://127.0.0.1:0", "1..65535: the receiver's port"),
    ("rtsp://a b:8554/seg", "not a host name"),
    ("rtsp://[zz]:8554/seg", "not a host name"),
])
def test_urls_that_would_print_a_broken_command_or_send_nowhere_are_refused(url, words):
    with pytest.raises(InputError, match=words):
        parse_target(url)


def test_a_server_port_0_picks_a_free_port_and_a_bad_bind_is_a_usage_error():
    assert parse_target("rtsp://:0/seg").port == 0 and parse_target("http://[::1]:0/").port == 0
    with pytest.raises(SystemExit) as info:
        parse(["--bind", "a b"])
    assert info.value.code == 2


@pytest.mark.parametrize("url", ["rtsp://:8554/a b", "rtp://127.0.0.1:0"])
def test_a_bad_url_is_refused_before_the_model_loads(tmp_path, url):
    import cli_capture
    from bisenet_deploy.runtime import run as run_module

    code, stdout, stderr = cli_capture.run_cli(run_module.main, "--model", tmp_path / "not_loaded.onnx",
                                               "--video", tmp_path / "not_opened.mp4", "--headless", "--output", url)
    assert code == 2 and stdout == "" and len(stderr.strip().splitlines()) == 1, stderr
    assert "--output {}".format(url) in stderr
