#!/usr/bin/env bash
# Issue 11's CPU goals in one run: bisenet-bench (ort CPU, OV FP32/BF16/INT8, network-only and end-to-end on
# a 480x640 frame) then OpenVINO's own benchmark_app on the same models and precisions, back to back.
# Usage: bash benchmarks/ov_cpu_goals.sh MODEL.onnx MODEL.qdq.onnx OUT_DIR [iters]
set -euo pipefail
model=$1 qdq=$2 out=$3 iters=${4:-20}
mkdir -p "$out"
bin=$(dirname "$0")/../.venv/bin
"$bin/bisenet-bench" --models "$model" "$qdq" --backends ort,openvino --threads 2 --iters "$iters" --warmup 3 \
    --json "$out/bench.json" --markdown "$out/bench.md" 2>&1 | tee "$out/bench.log"
for run in "bf16 $model" "f32 $model" "bf16 $qdq"; do
    set -- $run
    echo "benchmark_app -infer_precision $1 $2"
    "$bin/benchmark_app" -m "$2" -d CPU -hint latency -nthreads 2 -nstreams 1 -infer_precision "$1" \
        -niter "$iters" 2>&1 | grep -E "Median|Average|Throughput" | tee -a "$out/benchmark_app.log"
done
