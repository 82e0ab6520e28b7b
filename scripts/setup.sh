#!/usr/bin/env bash
# Installs bisenet-deploy into a project virtual environment, so it works on a system Python that is
# externally managed (PEP 668) as well as on any other.
#
#   ./scripts/setup.sh            workstation: .venv with export, CPU runtime and test tools
#   ./scripts/setup.sh --robot    the robot mirror: Debian's ROS 1, OpenCV with GStreamer, GStreamer
#                                 plugins, the RTSP server and Chromium, and .venv-robot that sees them
#   ./scripts/setup.sh --py36     the TX2's Python 3.6 on this machine: .venv-py36 with the device side
#                                 (runtime extra) at scripts/py36-requirements.txt; BISENET_PY36=PATH
#                                 names the interpreter (default: pyenv's 3.6.15, else python3.6)
#
# torch is installed first and pinned: an unpinned torch on Linux pulls a multi-GB CUDA build.
# BISENET_TORCH_INDEX=URL takes torch from that package index instead (for example PyTorch's CPU index,
# https://download.pytorch.org/whl/cpu, about 200 MB instead of several GB of nvidia-* wheels).
set -euo pipefail
cd "$(dirname "$0")/.."

TORCH_PIN="torch==2.13.0"
PYTRITON_PIN="nvidia-pytriton==0.7.0"
ROBOT_APT_PACKAGES=(
    python3 python3-venv python3-pip
    ros-core python3-rospy python3-sensor-msgs python3-std-msgs python3-rosbag
    python3-opencv python3-gi python3-gst-1.0 gir1.2-gst-rtsp-server-1.0
    gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
    gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav
    chromium
)

install_torch() {
    local python="$1"
    if [[ -n "${BISENET_TORCH_INDEX:-}" ]]; then
        "$python" -m pip install --quiet --index-url "$BISENET_TORCH_INDEX" "$TORCH_PIN"
    else
        "$python" -m pip install --quiet "$TORCH_PIN"
    fi
}

setup_workstation() {
    if [[ ! -x .venv/bin/python ]]; then
        python3 -m venv .venv
    fi
    install_torch .venv/bin/python
    .venv/bin/python -m pip install --quiet -e ".[export,runtime,openvino,ros,dev,serve]"
    # bisenet-serve's Triton server (the binary inside the wheel) without the wheel's numpy<2 pin: pyproject.toml, serve
    .venv/bin/python -m pip install --quiet --no-deps "$PYTRITON_PIN"
}

setup_robot() {
    if ! dpkg -s "${ROBOT_APT_PACKAGES[@]}" >/dev/null 2>&1; then
        local sudo=""
        [[ "$(id -u)" -eq 0 ]] || sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${ROBOT_APT_PACKAGES[@]}"
    fi
    # The system Python, like JetPack's: its OpenCV (with GStreamer), rospy and python3-gi must be the
    # ones imported, so the venv sees system site packages and the OpenCV wheel is never installed.
    if [[ ! -x .venv-robot/bin/python ]]; then
        /usr/bin/python3 -m venv --system-site-packages .venv-robot
    fi
    install_torch .venv-robot/bin/python
    .venv-robot/bin/python -m pip install --quiet -r scripts/robot-requirements.txt
    # The project last and --no-deps: its OpenCV wheel requirement stays unmet on purpose, and pip checks
    # an installed project's requirements (printing a resolver ERROR) whenever a later install touches
    # one of them (tqdm, numpy).
    .venv-robot/bin/python -m pip install --quiet --no-deps -e .
    .venv-robot/bin/python - <<'EOF'
import cv2
if "GStreamer:                   YES" not in cv2.getBuildInformation():
    raise SystemExit("setup.sh --robot: {} has no GStreamer; the system OpenCV is shadowed".format(cv2.__file__))
EOF
}

setup_py36() {
    # The first interpreter that runs and is 3.6 (a pyenv shim named python3.6 may exist and refuse).
    local python="" candidate
    for candidate in "${BISENET_PY36:-}" "${PYENV_ROOT:-$HOME/.pyenv}/versions/3.6.15/bin/python" python3.6; do
        if [[ -n "$candidate" ]] && "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 6)' 2>/dev/null; then
            python="$candidate"
            break
        fi
    done
    if [[ -z "$python" ]]; then
        echo "setup.sh --py36: no Python 3.6 found (set BISENET_PY36=/path/to/python3.6)" >&2
        exit 1
    fi
    if [[ ! -x .venv-py36/bin/python ]]; then
        "$python" -m venv .venv-py36
    fi
    # pip 21.3.1, the last release for Python 3.6: the venv's own pip (18.1) cannot install manylinux2014
    # wheels, and "pip<22" alone keeps 18.1.
    .venv-py36/bin/python -m pip install --quiet pip==21.3.1
    .venv-py36/bin/python -m pip install --quiet -r scripts/py36-requirements.txt
    .venv-py36/bin/python -m pip install --quiet -e ".[runtime]"
}

case "${1:-}" in
    "") setup_workstation ;;
    --robot) setup_robot ;;
    --py36) setup_py36 ;;
    *) echo "usage: $0 [--robot|--py36]" >&2; exit 2 ;;
esac
