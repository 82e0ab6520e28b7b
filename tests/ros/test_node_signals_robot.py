"""bisenet-ros and a signal at any moment, against a real roscore: from its imports to its steady state
every signal ends the node with 128 + N (never 0), one line, no traceback; also a Ctrl-C (SIGINT) to a
node started ignoring it (a script's background job, as roslaunch started from one passes on), which
rospy's own handler used to turn into a clean exit 0."""

import os
import signal
import socket
import subprocess
import time

import pytest
from signal_runs import ended_by, signal_at, start

pytestmark = pytest.mark.robot
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
MOMENTS_S = (0.05, 0.15, 0.3, 0.45, 0.6, 0.8, 1.2, 2.0)  # after the start: the imports to the steady state
WITHIN_S = 1.5  # rospy's own shutdown (leaving the master, joining its threads) takes 0.6 s of it
READY_S = 30.0
IN_TOPIC = "/test/signals/image_raw"


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def master_env(tmp_path_factory):
    """The environment of a node talking to a fresh roscore on 127.0.0.1."""
    import rosgraph
    home = tmp_path_factory.mktemp("ros_home")
    env = dict(ROS_MASTER_URI="http://127.0.0.1:{}".format(_free_port()), ROS_IP="127.0.0.1", ROS_HOME=str(home),
               ROS_LOG_DIR=str(home / "log"))
    with open(str(home / "roscore.log"), "w") as log:
        core = subprocess.Popen(["roscore", "-p", env["ROS_MASTER_URI"].rsplit(":", 1)[1]],
                                env=dict(os.environ, **env), stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        deadline = time.monotonic() + READY_S
        while not rosgraph.is_master_online(env["ROS_MASTER_URI"]):
            assert time.monotonic() < deadline, "roscore did not start"
            time.sleep(0.1)
        yield env
    finally:
        os.killpg(core.pid, signal.SIGINT)
        core.wait(15)


def node_args(model, name):
    return ["__name:=" + name, "image_in:=" + IN_TOPIC, "_model_path:=" + model]


def test_a_signal_at_any_moment_ends_the_node_with_128_plus_signal(master_env, tiny_onnx_labels):
    failures = []
    for number, moment in enumerate(MOMENTS_S):
        signum = SIGNALS[number % len(SIGNALS)]
        child = start("ros", node_args(tiny_onnx_labels, "segnet_moment{}".format(number)), env=master_env)
        outcome = signal_at(child, moment, signum)
        if not ended_by(outcome, "bisenet-ros", signum, WITHIN_S):
            failures.append("{} at {} s: {!r}".format(signal.Signals(signum).name, moment, outcome))
    assert not failures, "\n\n".join(failures)


def wait_until_advertised(child, env, name):
    import rosgraph
    master = rosgraph.Master("/signal_test", master_uri=env["ROS_MASTER_URI"])
    deadline = time.monotonic() + READY_S
    while "/{}/class_mask".format(name) not in [topic for topic, _ in master.getPublishedTopics("/")]:
        assert child.poll() is None and time.monotonic() < deadline, child.communicate()
        time.sleep(0.1)


def test_ctrl_c_ends_a_node_started_ignoring_it_with_130(master_env, tiny_onnx_labels):
    child = start("ros", node_args(tiny_onnx_labels, "segnet_ignoring"), env=master_env,
                  preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    wait_until_advertised(child, master_env, "segnet_ignoring")
    outcome = signal_at(child, 0.0, signal.SIGINT)
    assert ended_by(outcome, "bisenet-ros", signal.SIGINT, WITHIN_S), outcome
