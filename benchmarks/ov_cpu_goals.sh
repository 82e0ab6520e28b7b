#!/usr/bin/env bash
# Issue 11's CPU goals in one run: bisenet-bench (ort CPU, OV FP32/BF16/INT8, network-only and end-to-end on
# a 480x640 frame) then OpenVINO's own benchmark_app on the same models and precisions, back to back.
# The pair is repeated `rounds` times, so on a shared machine both see the same load; take medians.
# Usage: bash benchmarks/ov_cpu_goals.sh MODEL.onnx MODEL.qdq.onnx OUT_DIR [iters] [rounds]
set -euo pipefail
model=$1 qdq=$2 out=$3 iters=${4:-20} rounds=${5:-1}
mkdir -p "$out"
bin=$(dirname "$0")/../.venv/bin
for round in $(seq "$rounds"); do
    "$bin/bisenet-bench" --models "$model" "$qdq" --backends ort,openvino --threads 2 --iters "$iters" --warmup 3 \
        --json "$out/bench.$round.json" --markdown "$out/bench.$round.md" 2>&1 | tee "$out/bench.$round.log"
    for run in "bf16 $model" "f32 $model" "bf16 $qdq"; do
        set -- $run
        echo "round $round: benchmark_app -infer_precision $1 $2" | tee -a "$out/benchmark_app.log"
        "$bin/benchmark_app" -m "$2" -d CPU -hint none -nthreads 2 -nstreams 1 -nireq 1 -infer_precision "$1" \
            -niter "$iters" 2>&1 | { grep -E "Median|ERROR" || true; } | tee -a "$out/benchmark_app.log"
    done
done
