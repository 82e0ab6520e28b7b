#!/usr/bin/env bash
# Runs a command in the TX2 image with the GPU, the cameras, the display and a models folder:
#     docker/tx2/run.sh                                   bisenet-run --help
#     docker/tx2/run.sh bisenet-build-engine model.onnx --fp16
#     docker/tx2/run.sh bisenet-run --model model.engine --camera csi
#     docker/tx2/run.sh bash
# Environment: BISENET_IMAGE (default bisenet-deploy:tx2), BISENET_MODELS (the host folder mounted at
# /models, the working directory; default ./models).
set -euo pipefail

image="${BISENET_IMAGE:-bisenet-deploy:tx2}"
models="${BISENET_MODELS:-$PWD/models}"

# Create the folder first, so it belongs to the user and not to the docker daemon.
mkdir -p "$models"
models="$(cd "$models" && pwd)"

# --runtime nvidia mounts the host's CUDA, cuDNN, TensorRT and camera plugins (JetPack 4 CSV mounts);
# csv-mounts=all makes newer nvidia-container-toolkit releases mount more than l4t.csv.
args=(--runtime nvidia --rm --network host
      -e NVIDIA_REQUIRE_JETPACK=csv-mounts=all
      -v "$models:/models")

# A terminal gets an interactive TTY (Ctrl-C reaches bisenet-run); scripts and cron jobs do not.
if [ -t 0 ] && [ -t 1 ]; then
    args+=(-it)
fi

# USB (V4L2) cameras: every /dev/video* that exists now.
for device in /dev/video*; do
    if [ -e "$device" ]; then
        args+=(--device "$device")
    fi
done

# CSI cameras: nvarguscamerasrc talks to the host's nvargus-daemon through this socket. Mounted only
# when it exists: a missing path would make docker create a directory there and block the daemon.
if [ -S /tmp/argus_socket ]; then
    args+=(-v /tmp/argus_socket:/tmp/argus_socket)
fi

# X11: bisenet-run's window. A local X server must accept the container's root user once per login:
#     xhost +si:localuser:root
# Over `ssh -X` the display is a TCP port (the host network reaches it) guarded by the xauth cookie.
if [ -n "${DISPLAY:-}" ]; then
    args+=(-e DISPLAY)
    if [ -d /tmp/.X11-unix ]; then
        args+=(-v /tmp/.X11-unix:/tmp/.X11-unix)
    fi
    xauthority="${XAUTHORITY:-$HOME/.Xauthority}"
    if [ -f "$xauthority" ]; then
        args+=(-v "$xauthority:/root/.Xauthority:ro" -e XAUTHORITY=/root/.Xauthority)
    fi
fi

exec docker run "${args[@]}" "$image" "$@"
