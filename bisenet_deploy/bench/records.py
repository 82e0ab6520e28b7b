"""bisenet-bench's measurement records: one per model and column, from its timer's samples and its rate
fields (rates.py), each carrying the environment it was measured in; and the line each is logged as."""

from .busy import round_spread
from .timing import CAMERA_FRAME, percentile_ms


def column_label(backend, device, precision, memory=None):
    # type: (str, str, str, str) -> str
    """'torch CPU', 'ort CUDA', 'OV BF16', 'TRT FP16', 'TRT FP16 mapped': one column per backend/device/precision."""
    if backend == "trt":
        return "TRT {}".format(precision.upper()) + (" mapped" if memory == "mapped" else "")
    if backend == "openvino":
        return "OV {}".format(precision.upper())
    return "{} {}".format(backend, device.upper()) + ("" if precision == "fp32" else " " + precision.upper())


def rounded(value, digits):
    return None if value is None else round(value, digits)


def make_record(spec, column, timer, rates, args, environment):
    # type: (object, object, object, dict, object, dict) -> dict
    """The record of `spec` on `column` measured by `timer` (timing.ColumnTimer, its segmenter still
    open); `rates`: rates.limit_fields."""
    card, precision, times = timer.segmenter.card, timer.segmenter.backend.precision, timer.times
    latency, e2e = percentile_ms(times["network"]), percentile_ms(times["e2e"])
    record = {
        "model": spec.text, "model_source": "file" if spec.path else "grid",
        "arch": card.get("architecture"), "in_planes": card.get("in_planes"), "variant": card.get("variant"),
        "family": card.get("family"), "dataset": card.get("dataset"),
        "backend": column.backend, "device": column.device, "precision": precision,
        "column": column_label(column.backend, column.device, precision, column.options.get("memory")),
        "memory": column.options.get("memory"),
        "input_size": list(card["input_size"]), "frame_size": list(CAMERA_FRAME),
        "threads": args.threads, "iters": args.iters, "warmup": args.warmup,
        "latency_ms": round(latency, 3), "latency_p90_ms": round(percentile_ms(times["network"], 90), 3),
        "fps": round(1000.0 / latency, 2),
        "e2e_latency_ms": round(e2e, 3), "e2e_latency_p90_ms": round(percentile_ms(times["e2e"], 90), 3),
        "e2e_fps": round(1000.0 / e2e, 2),
        "pipelined_fps": round(1000.0 / percentile_ms(times["pipelined"]), 2),
        "pipelined_share": round(latency / percentile_ms(times["pipelined"]), 3),
        "preprocess_ms": round(percentile_ms(times["preprocess"]), 3),
        "postprocess_ms": round(percentile_ms(times["postprocess"]), 3),
        "rounds": len(timer.round_network),
        "round_spread": rounded(round_spread(timer.round_network), 3),
    }
    record.update(rates)
    record["environment"] = environment
    return record


def record_line(record):
    # type: (dict) -> str
    """One line per record for the log: rates, its share of the limit, end to end, pipelined."""
    rate = "" if record["gflops"] is None else ", {:.1f} GFLOP/s".format(record["gflops"])
    if record["limit_share"] is not None:
        rate += " ({:.0%} of {})".format(record["limit_share"], record["limit_source"])
    return ("{model}  {column}: {fps:.1f} FPS network ({latency_ms:.1f} ms median, {latency_p90_ms:.1f} p90){rate}, "
            "{e2e_fps:.1f} FPS end-to-end, {pipelined_fps:.1f} FPS pipelined ({pipelined_share:.0%} of "
            "network-only)".format(rate=rate, **record))
