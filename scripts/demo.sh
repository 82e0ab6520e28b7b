#!/usr/bin/env bash
# Newcomer's tour on built-in data, no GPU needed: install, make a seed-format checkpoint with random
# weights, export it to a verified, TensorRT-linted ONNX, and segment the built-in sample image.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
mkdir -p out/demo
python -m bisenet_deploy.export.demo out/demo/res18_inp32_deconv.pth --arch resnet18 --in-planes 32
bisenet-export out/demo/res18_inp32_deconv.pth -o out/demo/res18_inp32.onnx
bisenet-run --model out/demo/res18_inp32.onnx --images bisenet_deploy/data/sample.jpg --headless --output out/demo/labels/
echo "label map and colour mask of the built-in sample image: out/demo/labels/"
