"""bisenet-bench's reports: the seed's table layout in markdown, CSV rows, and the files they go to."""

import collections
import csv
import io
import os

from ..core.atomic import atomic_path
from ..core.errors import InputError
from .environment import environment_items

ARCH_LABELS = {"resnet18": "res18", "resnet50": "res50", "resnet101": "res101"}
COLUMN_ORDER = ("torch CPU", "ort CPU", "OV FP32", "OV BF16", "OV FP16", "OV INT8", "torch CUDA", "ort CUDA",
                "TRT FP32", "TRT FP32 mapped", "TRT FP16",
                "TRT FP16 mapped", "TRT INT8", "TRT INT8 mapped")
CSV_FIELDS = ("model", "model_source", "arch", "in_planes", "variant", "family", "dataset", "backend", "device",
              "precision", "column", "input_size", "frame_size", "threads", "iters", "warmup", "latency_ms",
              "latency_p90_ms", "fps", "e2e_latency_ms", "e2e_latency_p90_ms", "e2e_fps", "pipelined_fps",
              "pipelined_share", "preprocess_ms", "postprocess_ms", "memory", "rounds", "round_spread", "macs",
              "gflops", "limit_gflops", "limit_source", "limit_share", "trtexec_latency_ms")


def _arch_label(record):
    label = ARCH_LABELS.get(record.get("arch"), record.get("arch") or "unknown")
    if record.get("variant") == "upsample":
        label += "(up)"
    if record.get("family") not in (None, "wali"):  # the seed's rows keep the seed's table layout
        label += " [{}, {}]".format(record["family"], record.get("dataset") or "unknown dataset")
    if record.get("model_source") == "file":
        label += " ({})".format(os.path.basename(record["model"]))
    return label


def _in_planes(record):
    """The CP in_planes cell: the seed's width multiplier; "/" for families that have none."""
    if record.get("in_planes"):
        return record["in_planes"]
    return "/" if record.get("family") not in (None, "wali") else "?"


def _ordered_columns(records):
    present = []
    for record in records:
        if record["column"] not in present:
            present.append(record["column"])
    return [c for c in COLUMN_ORDER if c in present] + [c for c in present if c not in COLUMN_ORDER]


def _optional(record, key, form):
    """A cell for a field records from older versions lack."""
    return form.format(record[key]) if record.get(key) is not None else "/"


def size_text(size):
    return "x".join(str(v) for v in size)


def markdown_report(records):
    # type: (list) -> str
    """The seed's table (arch | CP in_planes | FPS per backend column), a latency table, the environment."""
    columns = _ordered_columns(records)
    rows = collections.OrderedDict()
    for record in records:
        rows.setdefault(record["model"], {"record": record, "fps": {}})["fps"][record["column"]] = record["fps"]
    sizes = ", ".join(sorted({size_text(r["input_size"]) for r in records}))
    busy = (records[0].get("environment") or {}).get("busy_host") if records else None
    lines = ["## Speed: FPS, network only, input {}".format(sizes), ""]
    lines += ["**Busy host**: {}; the figures below may not be this machine's.".format(busy), ""] if busy else []
    lines += [
             " | ".join(["arch", "CP in_planes"] + columns), "|".join([":-:"] * (len(columns) + 2))]
    for row in rows.values():
        cells = ["{:.1f}".format(row["fps"][c]) if c in row["fps"] else "/" for c in columns]
        lines.append(" | ".join([_arch_label(row["record"]), str(_in_planes(row["record"]))] + cells))
    lines += ["", "## Latency (ms): median and p90; end-to-end = preprocess + network + postprocess of one "
              "frame alone; pipelined = frames per second as bisenet-run submits them (the next frame's network "
              "running while the last is finished, where the backend pipelines frames), and its share of "
              "network-only FPS", "",
              "arch | CP in_planes | backend | input | frame | network median | network p90 | "
              "end-to-end median | end-to-end p90 | end-to-end FPS | pipelined FPS | pipelined / network",
              "|".join([":-:"] * 12)]
    for r in records:
        lines.append("{} | {} | {} | {} | {} | {:.2f} | {:.2f} | {:.2f} | {:.2f} | {:.1f} | {} | {}".format(
            _arch_label(r), _in_planes(r), r["column"], size_text(r["input_size"]),
            size_text(r.get("frame_size") or r["input_size"]), r["latency_ms"], r["latency_p90_ms"],
            r["e2e_latency_ms"], r["e2e_latency_p90_ms"], r["e2e_fps"], _optional(r, "pipelined_fps", "{:.1f}"),
            _optional(r, "pipelined_share", "{:.0%}")))
    checked = [r for r in records if r.get("trtexec_latency_ms") is not None]
    if checked:
        lines += ["", "## trtexec cross-check: median GPU compute time (ms) of the same engine", "",
                  "arch | CP in_planes | column | bisenet-bench network median | trtexec median", "|".join([":-:"] * 5)]
        lines += ["{} | {} | {} | {:.2f} | {:.2f}".format(_arch_label(r), _in_planes(r), r["column"],
                                                           r["latency_ms"], r["trtexec_latency_ms"]) for r in checked]
    first = records[0] if records else {}
    lines += limits_section(records, first.get("environment") or {})
    lines += ["", "## Environment", "",
              "- iterations: {} timed after {} warm-up, {} threads per backend".format(
                  first.get("iters"), first.get("warmup"), first.get("threads"))]
    lines += ["- {}: {}".format(key, value) for key, value in environment_items(first.get("environment"))]
    return "\n".join(lines) + "\n"


def limits_section(records, environment):
    # type: (list, dict) -> list
    """Markdown lines: each column's GFLOP/s and share of its MatMul limit, then the limits themselves
    (or why one is missing). Records from before the limits were measured give none."""
    rated = [r for r in records if "limit_share" in r]
    if not rated:
        return []
    lines = ["", "## Against this CPU's limits: GFLOP/s = 2 x MACs / network median; share = GFLOP/s / the MatMul "
             "rate of the column's engine and precision, measured in the same rounds; round spread = (max - min) "
             "/ median of the per-round network medians", "",
             "arch | CP in_planes | column | GMACs | network median (ms) | GFLOP/s | limit (GFLOP/s) | limit source "
             "| share of limit | round spread", "|".join([":-:"] * 10)]
    for r in rated:
        lines.append("{} | {} | {} | {} | {:.2f} | {} | {} | {} | {} | {}".format(
            _arch_label(r), _in_planes(r), r["column"],
            "{:.2f}".format(r["macs"] / 1e9) if r.get("macs") else "/", r["latency_ms"],
            _optional(r, "gflops", "{:.1f}"), _optional(r, "limit_gflops", "{:.1f}"), r.get("limit_source") or "/",
            _optional(r, "limit_share", "{:.0%}"), _optional(r, "round_spread", "{:.0%}")))
    lines += ["", "MatMul limits ({0}x{0} by {0}x{0}, {1} threads):".format(
        environment.get("matmul_limit_size"), environment.get("threads"))]
    for key, value in sorted((environment.get("matmul_limits_gflops") or {}).items()):
        lines.append("- {}: {:.1f} GFLOP/s".format(key.replace("_", " "), value) if value is not None else
                     "- {}: not measured".format(key.replace("_", " ")))
    for key, reason in sorted((environment.get("matmul_limits_missing") or {}).items()):
        lines.append("- {}: not measured: {}".format(key.replace("_", " "), reason))
    return lines


def csv_text(records):
    # type: (list) -> str
    """One row per record; sizes as HxW, the environment flattened into env_* columns."""
    env_keys = [key for key, _ in environment_items(records[0].get("environment"))] if records else []
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(list(CSV_FIELDS) + ["env_" + key for key in env_keys])
    for record in records:
        env = dict(environment_items(record.get("environment")))
        values = [record.get(field) for field in CSV_FIELDS]
        values = [size_text(v) if isinstance(v, list) else ("" if v is None else v) for v in values]
        writer.writerow(values + [env.get(key, "") for key in env_keys])
    return buffer.getvalue()


def write_text_atomic(path, text):
    try:
        with atomic_path(path) as tmp:
            with io.open(tmp, "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
    except (IOError, OSError) as exc:
        raise InputError("cannot write {}: {}".format(path, exc.strerror or exc))
