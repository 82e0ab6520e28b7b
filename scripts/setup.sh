#!/usr/bin/env bash
# Installs bisenet-deploy for the workstation (export, CPU runtime, tests) into the current Python.
# torch comes first and pinned: an unpinned torch would pull a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet "torch==2.13.0"
python3 -m pip install --quiet -e ".[export,runtime,dev]"
