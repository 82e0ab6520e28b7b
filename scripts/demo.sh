#!/usr/bin/env bash
# Newcomer's tour, no GPU needed: install, export the shipped demo model (BiSeNet ResNet-18/16 trained
# on the project's generated scenes), generate four indoor scenes, segment them and the built-in sample
# picture (overlay, colour mask and label map per picture), and score the scenes against their labels.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
out=out/demo
rm -rf "$out" && mkdir -p "$out"
bisenet-export bisenet_deploy/data/scenes_res18_inp16.pth -o "$out/scenes_res18_inp16.onnx" --input-size 192x256
bisenet-scenes "$out/scenes" --count 4 --size 480x640 --seed 1000
bisenet-run --model "$out/scenes_res18_inp16.onnx" --images "$out/scenes/images" --output "$out/scenes_segmented/"
bisenet-run --model "$out/scenes_res18_inp16.onnx" --images bisenet_deploy/data/sample.jpg \
    --output "$out/sample_segmented/"
bisenet-eval --model "$out/scenes_res18_inp16.onnx" --data "$out/scenes"
# what that mIoU measured, beside the model's record the README quotes
python -m bisenet_deploy.scenes.demo_note "$out/scenes_res18_inp16.onnx" "$out/scenes"
echo "overlays, colour masks and label maps: $out/scenes_segmented/ (generated scenes, inputs in $out/scenes/images/)"
echo "and $out/sample_segmented/ (the built-in sample picture); mIoU against the scenes' labels above"
