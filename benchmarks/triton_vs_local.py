"""N robots through one Triton server against one local engine, on the same model and machine.

    .venv/bin/python benchmarks/triton_vs_local.py [--model MODEL.onnx] [--clients 8] [--duration 10]

Local: one ONNX Runtime session (every core) running a preprocessed frame back to back. Server:
bisenet-package --triton (python platform, dynamic batching up to 8) served by bisenet-serve on
loopback, N clients each keeping one request in flight (bisenet-bench's load, bench/serving.py).
Prints both rates and their ratio (the issue's target: >= 90 % at 8 clients). Without --model the
demo checkpoint is exported at 192x256 with a dynamic batch axis (1..8)."""

import argparse
import os
import sys
import tempfile
import time

import numpy as np

from bisenet_deploy.bench.serving import measure_level
from bisenet_deploy.core.model_info import load_model_card
from bisenet_deploy.export.main import main as export_main
from bisenet_deploy.runtime.backends.ort import session_from_onnx
from bisenet_deploy.runtime.backends.triton_client import Connection
from bisenet_deploy.scenes.demo_model import DEMO_CHECKPOINT
from bisenet_deploy.serve.main import main as package_main

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "tests"))
from triton_servers import ServerProcess  # noqa: E402 (the tests' bisenet-serve runner)


def local_rate(model, duration):
    card = load_model_card(model)
    session = session_from_onnx(model, providers=["CPUExecutionProvider"])
    batch = np.random.RandomState(0).rand(*([1] + card["input"]["shape"][1:])).astype(np.float32)
    for _ in range(3):
        session.run(None, {card["input"]["name"]: batch})
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < duration:
        session.run(None, {card["input"]["name"]: batch})
        count += 1
    return count / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="an ONNX with a dynamic batch axis (default: the demo model, 192x256)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measurement")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="triton_vs_local_") as work:
        model = args.model or os.path.join(work, "demo.onnx")
        if not args.model:
            assert export_main([DEMO_CHECKPOINT, "-o", model, "--input-size", "192x256", "--head", "labels",
                                "--dynamic-batch", "8"]) == 0
        assert package_main([model, "--triton", os.path.join(work, "repo"), "--name", "m", "--platform",
                             "python"]) == 0
        input_size = load_model_card(model)["input_size"]
        local = local_rate(model, args.duration)
        server = ServerProcess(os.path.join(work, "repo"), os.path.join(work, "server.log")).start()
        try:
            connection = Connection(server.address, "m").open()
            result = measure_level(connection, args.clients, args.duration, 2.0, shared_memory=True)
            connection.close()
        finally:
            server.stop()
    remote = result.requests / result.seconds
    mean_batch = sum(k * v for k, v in result.batches.items()) / max(1, sum(result.batches.values()))
    print("machine: {} cores; model {} ({})".format(os.cpu_count(), args.model or "the demo model", "x".join(
        str(d) for d in input_size)))
    print("local engine (1 ONNX Runtime session): {:.1f} frames/s".format(local))
    print("{} clients through bisenet-serve: {:.1f} frames/s, p50 {:.1f} ms, p99 {:.1f} ms, mean server batch {:.2f} "
          "({} errors)".format(args.clients, remote, 1e3 * np.percentile(result.latencies, 50),
                               1e3 * np.percentile(result.latencies, 99), mean_batch, len(result.errors)))
    print("server / local: {:.1f} %".format(100 * remote / local))


if __name__ == "__main__":
    main()
