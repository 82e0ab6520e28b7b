"""bisenet-bench --backend triton: a Triton server's throughput as its users see it, in the spirit of
perf_analyzer: at each concurrency C, C clients each keep one request in flight for --duration
seconds; reported are requests per second, the latency percentiles, and the batch sizes the server
ran them in (its statistics before and after, so requests from other clients show up too)."""

import collections
import csv
import io
import threading
import time

import numpy as np

from ..core.errors import InputError, WorkFailed
from ..runtime.backends.triton_client import TRITON_DTYPES, Connection, SharedRegions, error_text, grpc, is_local
from .timing import percentile_ms

LevelResult = collections.namedtuple("LevelResult", "concurrency requests seconds latencies batches errors")
# latencies: [seconds]; batches: {server batch size: executions}; errors: failed requests
CSV_FIELDS = ("backend", "server", "model", "concurrency", "requests", "seconds", "throughput_per_s", "latency_p50_ms",
              "latency_p99_ms", "server_batches", "server_executions", "errors")


def parse_concurrency(text):
    # type: (str) -> list
    try:
        levels = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        levels = []
    if not levels or min(levels) < 1 or max(levels) > 256:
        raise InputError("--concurrency {!r}: expected a comma-separated list of client counts 1..256, "
                         "e.g. 1,2,4,8".format(text))
    return levels


class _Client(threading.Thread):
    """One client: its own gRPC channel and (server on this machine) shared-memory regions, one request
    in flight at a time until `stop` is set."""

    def __init__(self, connection, shared_memory, stop):
        super(_Client, self).__init__(daemon=True)
        card, module = connection.card, grpc()
        self.client = module.InferenceServerClient(connection.url)
        self.model_name = connection.model_name
        shape = [1] + [int(d) for d in card["input"]["shape"][1:]]
        dtype = np.dtype(card["input"]["dtype"])
        batch = (np.random.RandomState(0).rand(*shape) * (255 if dtype == np.uint8 else 1)).astype(dtype)
        self.inputs = [module.InferInput(card["input"]["name"], shape, TRITON_DTYPES[card["input"]["dtype"]])]
        self.outputs = [module.InferRequestedOutput(card["output"]["name"])]
        self.regions = None
        if shared_memory:
            output_bytes = int(np.prod(card["output"]["shape"][1:])) * np.dtype(card["output"]["dtype"]).itemsize
            self.regions = SharedRegions(self.client, batch.nbytes, output_bytes)
            self.regions.write_input(batch)
            self.inputs[0].set_shared_memory(self.regions.names[0], batch.nbytes)
            self.outputs[0].set_shared_memory(self.regions.names[1], output_bytes)
        else:
            self.inputs[0].set_data_from_numpy(batch)
        self.stop = stop
        self.latencies = []
        self.errors = []

    def run(self):
        while not self.stop.is_set():
            start = time.perf_counter()
            try:
                self.client.infer(self.model_name, self.inputs, outputs=self.outputs, client_timeout=10.0)
            except Exception as exc:  # tritonclient's own error type: counted, and the level goes on
                self.errors.append(error_text(exc))
                time.sleep(0.1)
                continue
            self.latencies.append(time.perf_counter() - start)

    def close(self):
        if self.regions is not None:
            self.regions.close()
        self.client.close()


def _executions(connection):
    """{batch size: executions so far} from the server's statistics for the model."""
    stats = connection.client.get_inference_statistics(connection.model_name, as_json=True)
    counts = collections.Counter()
    for model in stats.get("model_stats", []):
        for entry in model.get("batch_stats", []):
            counts[int(entry["batch_size"])] += int(entry.get("compute_infer", {}).get("count", 0))
    return counts


def measure_level(connection, concurrency, duration, warmup, shared_memory):
    # type: (...) -> LevelResult
    stop = threading.Event()
    clients = [_Client(connection, shared_memory, stop) for _ in range(concurrency)]
    try:
        for client in clients:
            client.start()
        time.sleep(warmup)
        for client in clients:  # the warm-up's requests are not counted
            client.latencies, client.errors = [], []
        before, started = _executions(connection), time.perf_counter()
        time.sleep(duration)
        stop.set()
        for client in clients:
            client.join(15.0)
        seconds = time.perf_counter() - started
        batches = _executions(connection) - before
    finally:
        stop.set()
        for client in clients:
            client.close()
    latencies = [value for client in clients for value in client.latencies]
    errors = [value for client in clients for value in client.errors]
    return LevelResult(concurrency, len(latencies), seconds, latencies, dict(batches), errors)


def bench_server(args, log=print):
    """Measure each --concurrency level against --server; the table printed, the records returned."""
    levels = parse_concurrency(args.concurrency)
    if args.duration <= 0:
        raise InputError("--duration must be positive, got {}".format(args.duration))
    if not args.server:
        raise InputError("--backend triton needs --server HOST:PORT (the server's gRPC address)")
    connection = Connection(args.server, args.model_name).open()
    try:
        shared_memory = is_local(connection.host)
        log("{} on the Triton server at {} ({}), {:g} s per level after {:g} s warm-up".format(
            connection.model_name, args.server, "system shared memory" if shared_memory else "tensors over gRPC",
            args.duration, args.warmup_seconds))
        results = [measure_level(connection, level, args.duration, args.warmup_seconds, shared_memory)
                   for level in levels]
    finally:
        connection.close()
    records = [level_record(r, connection.model_name, args.server) for r in results]
    log(level_table(records).rstrip("\n"))
    failed = [r for r in results if not r.requests]
    if failed:
        raise WorkFailed("no request succeeded at concurrency {} ({})".format(
            failed[0].concurrency, failed[0].errors[0] if failed[0].errors else "no answer"))
    return records


def level_record(result, model_name, server):
    executions = sum(result.batches.values())
    return {"backend": "triton", "server": server, "model": model_name, "concurrency": result.concurrency,
            "requests": result.requests, "seconds": round(result.seconds, 3),
            "throughput_per_s": round(result.requests / result.seconds, 2),
            "latency_p50_ms": round(percentile_ms(result.latencies, 50), 2) if result.latencies else 0.0,
            "latency_p99_ms": round(percentile_ms(result.latencies, 99), 2) if result.latencies else 0.0,
            "server_batches": dict((str(k), v) for k, v in sorted(result.batches.items())),
            "server_executions": executions, "errors": len(result.errors)}


def level_table(records):
    """The levels as a Markdown table (stdout and --markdown)."""
    lines = ["| concurrency | requests/s | p50 ms | p99 ms | server batch sizes (size: executions) | errors |",
             "|---:|---:|---:|---:|---|---:|"]
    for r in records:
        lines.append("| {} | {:.1f} | {:.1f} | {:.1f} | {} | {} |".format(
            r["concurrency"], r["throughput_per_s"], r["latency_p50_ms"], r["latency_p99_ms"],
            _batches_text(r, ": ", ", "), r["errors"]))
    return "\n".join(lines) + "\n"


def level_csv(records):
    """The levels as CSV (--csv), one row per level; server batches as SIZE:EXECUTIONS pairs."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for r in records:
        writer.writerow([_batches_text(r, ":", " ") if field == "server_batches" else r[field]
                         for field in CSV_FIELDS])
    return buffer.getvalue()


def _batches_text(record, pair, separator):
    return separator.join("{}{}{}".format(size, pair, count) for size, count in record["server_batches"].items()) \
        or "none"
