"""bisenet-ros started without a ROS master (robot mirror: the real rospy): one line naming the URI it tried and
where that came from, exit 2, instead of rospy's socket error ('cannot use ?: Connection refused')."""

import os
import socket
import subprocess
import sys

import pytest

pytestmark = pytest.mark.robot


def _unused_uri():
    with socket.socket() as sock:  # bound, never listening: connecting is refused at once
        sock.bind(("127.0.0.1", 0))
        return "http://127.0.0.1:{}".format(sock.getsockname()[1])


def _node(tmp_path, env_uri, *ros_args):
    script = os.path.join(os.path.dirname(sys.executable), "bisenet-ros")
    command = [script] if os.path.exists(script) else [sys.executable, "-m", "bisenet_deploy.ros.node"]
    env = dict(os.environ, ROS_MASTER_URI=env_uri, ROS_HOME=str(tmp_path), ROS_LOG_DIR=str(tmp_path / "log"))
    return subprocess.run(command + list(ros_args), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=60)


@pytest.mark.parametrize("remapped", [False, True], ids=["ROS_MASTER_URI", "__master:="])
def test_an_absent_master_is_one_line_naming_its_uri(tmp_path, remapped):
    env_uri, remap_uri = _unused_uri(), _unused_uri()
    child = _node(tmp_path, env_uri, "_model_path:=model.onnx", *(["__master:=" + remap_uri] if remapped else []))
    assert child.returncode == 2, child.stderr
    ours = [line for line in child.stderr.splitlines() if line.startswith("bisenet-ros:")]
    origin = "__master:=" if remapped else "ROS_MASTER_URI"
    assert ours == ["bisenet-ros: cannot reach the ROS master at {} ({}): Connection refused; start roscore, or "
                    "point ROS_MASTER_URI at the running master".format(remap_uri if remapped else env_uri, origin)]
    assert "Traceback" not in child.stderr and "?" not in ours[0]
