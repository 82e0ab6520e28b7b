"""bisenet-bench: the seed's speed table (arch + CP in_planes x backend), measured on this machine.

Each model runs on every selected backend with the same thread count, every backend open at once and
measured in rounds that alternate between them and this CPU's MatMul limits (rounds.py, limits.py), so
ratios between columns hold on a host whose speed drifts. Network-only latency comes from the backend's
own timer, end-to-end latency from Segmenter.segment on a camera-sized frame, and the pipelined rate
from frames submitted with one in flight (Segmenter.submit), as bisenet-run runs them. Each record has
the GFLOP/s its column achieved and its share of the limit (rates.py, macs.py); a busy host is said
(busy.py). The JSON is a list of measurement records, each carrying the environment it was measured in, so
files from several machines can be concatenated and still say where every number came from.
"""

import argparse
import collections
import contextlib
import json
import logging
import os
import sys
import tempfile

from ..core.cli import ArgumentParser, add_card_overrides, add_common_flags, add_server_args, model_overrides, parse_size, \
    run_main
from ..core.datasets import dataset_named
from ..core.defaults import DEFAULT_INPUT_SIZE
from ..core.leftovers import scratch_folder
from ..core.outpaths import check_output, refuse_same_file
from ..core.errors import InputError, WorkFailed
from ..export.names import ARCHS, VARIANTS
from ..core.lazy import is_installed
from . import openvino as bench_openvino
from . import trt as bench_trt
from .family_models import DATASET_NAMES, FAMILY_ARCHS, write_family_checkpoint
from ..core.model_info import KIND_TEXT
from ..runtime.backends import BACKENDS, PREFERENCE, RUNS_KIND, create_backend, unusable_reason
from ..core.machine import usable_cores
from .busy import host_report, host_start
from .environment import capture_environment
from .limits import environment_fields, open_probes
from .macs import count_macs, source_onnx
from .rates import limit_fields, limit_key
from .records import make_record, record_line
from .report import csv_text, markdown_report, size_text, write_text_atomic
from .rounds import Progress, run_rounds
from .serving import bench_server, level_csv, level_table
from .timing import CAMERA_FRAME, ColumnTimer, camera_frame, percentile_ms
from ..core.defaults import NETWORK_STRIDE
from ..core.model_info import model_kind
from ..runtime.image_sets import open_image_source
from ..runtime.model_card import load_model_card
from ..runtime.segmenter import Segmenter

log = logging.getLogger(__name__)

DEFAULT_MODELS = ("resnet18:32",)
BENCH_BACKENDS = tuple(reversed(PREFERENCE))  # column order: the seed's CPU (PyTorch) column first
SPEC_FORMS = "ARCH:IN_PLANES[:VARIANT] (ARCH {}, VARIANT {}), FAMILY:DATASET (FAMILY {}, DATASET {}) or a " \
             ".pth/.onnx/.engine file".format("|".join(ARCHS), "|".join(VARIANTS), "|".join(FAMILY_ARCHS),
                                              "|".join(DATASET_NAMES))
EPILOG = """examples:
  bisenet-bench                                          resnet18:32 at 480x640 on every backend here
  bisenet-bench --input-size 512x512                     at the size of the seed's speed table
  bisenet-bench --models resnet18:32 resnet50:16:upsample --markdown speed.md
  bisenet-bench --models bisenetv2:city bisenetv1:ade20k     CoinCheung's networks at those datasets' classes
  bisenet-bench --models model.onnx model.engine --json speed.json
"""

ModelSpec = collections.namedtuple("ModelSpec", "text arch in_planes variant dataset path")
# path None: a grid spec (random weights); dataset set: a family spec (FAMILY_ARCHS), else the seed's grid
Column = collections.namedtuple("Column", "backend device options")  # options go to create_backend


def parse_model_spec(text):
    # type: (str) -> ModelSpec
    """'resnet18:32', 'resnet50:16:upsample', 'bisenetv2:city' (random weights) or a model file path."""
    try:
        model_kind(text)
    except InputError:
        parts = text.split(":")
        if len(parts) == 2 and parts[0] in FAMILY_ARCHS and parts[1] in DATASET_NAMES:
            return ModelSpec(text, parts[0], None, None, DATASET_NAMES[parts[1]], None)
        if len(parts) not in (2, 3) or parts[0] not in ARCHS or not parts[1].isdigit() or int(parts[1]) < 1 \
                or (len(parts) == 3 and parts[2] not in VARIANTS):
            raise InputError("--models {!r}: expected {}".format(text, SPEC_FORMS))
        return ModelSpec(text, parts[0], int(parts[1]), parts[2] if len(parts) == 3 else "deconv", None, None)
    if not os.path.isfile(text):
        raise InputError("--models: model not found: {}".format(text))
    return ModelSpec(text, None, None, None, None, text)


def write_random_checkpoint(spec, workdir):
    # type: (ModelSpec, str) -> str
    """The grid spec's random-weight checkpoint in `workdir`: the seed's layout, or a family's release layout."""
    if spec.dataset is not None:
        log.info("building %s (random weights, %s classes)", spec.text, spec.dataset)
        return write_family_checkpoint(os.path.join(workdir, "{}_{}.pth".format(spec.arch, spec.dataset)),
                                       spec.arch, dataset_named(spec.dataset).num_classes)
    from ..export.demo import write_demo_checkpoint

    log.info("building %s (random weights, %s fusion)", spec.text, spec.variant)
    name = "{}_inp{}_{}.pth".format(spec.arch, spec.in_planes, spec.variant)
    return write_demo_checkpoint(os.path.join(workdir, name), spec.arch, spec.in_planes, variant=spec.variant)


def _skip_reason(name):
    return None if BACKENDS[name].available() else unusable_reason(name)


def select_columns(requested):
    # type: (list) -> list
    """The (backend, device) columns this machine can run, in table order; notes what it skips."""
    unknown = [name for name in requested if name not in BENCH_BACKENDS]
    if unknown:
        raise InputError("--backends: unknown backend {!r}; choose from {}".format(
            unknown[0], ", ".join(BENCH_BACKENDS)))
    columns = []
    for name in BENCH_BACKENDS:
        if name not in requested:
            continue
        reason = _skip_reason(name)
        if reason:
            log.warning("skipping %s: %s", name, reason)
            continue
        columns += [Column(name, device, options) for device, options in BACKENDS[name].bench_columns()]
    if not columns:
        raise InputError("none of the requested backends ({}) can run on this machine".format(", ".join(requested)))
    return columns


def export_for_ort(checkpoint, workdir, input_size, debug, dataset=None):
    # type: (str, str, tuple, bool, str) -> str
    """The checkpoint as a logits-head ONNX in `workdir`, through the export function API; `dataset`
    names the classes and normalization (default: what the checkpoint's class count says)."""
    from ..export.api import export_onnx  # imports torch only when it runs

    output = os.path.join(workdir, os.path.basename(checkpoint).split(".")[0] + ".onnx")
    say = print if debug else log.debug  # the exporter's stage log stays out of the table unless --debug
    try:
        export_onnx(checkpoint, output, log=say, input_size=tuple(input_size), head="logits", upsample="resize",
                    dataset=dataset)
    except (InputError, WorkFailed) as exc:
        raise type(exc)("exporting {} for the ort backend failed: {}".format(checkpoint, exc))
    return output


def prepare_model(spec, kinds, workdir, input_size, debug, precisions=bench_trt.TRT_PRECISIONS, calib_images=None,
                  ov_int8=False):
    # type: (ModelSpec, set, str, tuple, bool, tuple, str) -> dict
    """{model kind: file} for the kinds the selected backends run ("engine": a list, one per precision);
    grid specs become random-weight files, and engines are built here for the GPU that measures them."""
    if spec.path is not None:
        files = {model_kind(spec.path): spec.path}
    else:
        files = {"checkpoint": write_random_checkpoint(spec, workdir)}
    # an ONNX also for a checkpoint only torch runs: its MACs are read off the ONNX (macs.py)
    needs_onnx = "onnx" in kinds or ("engine" in kinds and "engine" not in files) or is_installed("onnx")
    if needs_onnx and "checkpoint" in files and "onnx" not in files:
        log.info("exporting %s to ONNX at %dx%d (logits head)", spec.text, input_size[0], input_size[1])
        files["onnx"] = export_for_ort(files["checkpoint"], workdir, input_size, debug, spec.dataset)
    if "engine" in kinds and "engine" not in files and "onnx" in files:
        log.info("building TensorRT engines for %s (%s)", spec.text, ", ".join(precisions))
        files["engine"] = [path for _, path in bench_trt.build_engines(files["onnx"], workdir, precisions,
                                                                       calib_images)]
    elif "engine" in files:
        files["engine"] = [files["engine"]]
    if "onnx" in kinds:
        files = bench_openvino.add_qdq(files, workdir, calib_images, debug, ov_int8)
    return files


Job = collections.namedtuple("Job", "spec column path macs")


def plan_jobs(args, specs, columns, workdir):
    # type: (argparse.Namespace, list, list, str) -> list
    """[Job] in table order: every model on every column that runs its kind, with the model's MACs."""
    kinds = {RUNS_KIND[column.backend] for column in columns}
    any_ov_int8 = any(c.options.get("precision") == "int8" for c in columns)
    jobs, macs = [], {}
    for spec in specs:
        model_dir = tempfile.mkdtemp(dir=workdir)  # one folder per spec: two model.pth never collide
        files = prepare_model(spec, kinds, model_dir, args.input_size or DEFAULT_INPUT_SIZE, args.debug,
                              args.precisions, args.calib_images, any_ov_int8)
        for column in columns:
            paths = files.get(RUNS_KIND[column.backend])
            if column.backend == "openvino":
                paths = bench_openvino.model_for_column(column, files)
                if not paths:
                    continue
            if not paths:
                log.warning("skipping %s on %s: %s runs %s", spec.text, column.backend, column.backend,
                            KIND_TEXT[RUNS_KIND[column.backend]])
            for path in paths if isinstance(paths, list) else [paths] if paths else []:
                onnx_path = source_onnx(path, files.get("onnx"))
                if onnx_path not in macs:
                    macs[onnx_path] = count_macs(onnx_path) if onnx_path else None
                jobs.append(Job(spec, column, path, macs[onnx_path]))
    if not jobs:
        raise InputError("nothing to measure: no model can run on the selected backends")
    return jobs


def open_timer(stack, job, args, frame):
    """The job's ColumnTimer, its backend activated and kept open until `stack` closes."""
    # a checkpoint takes any size (the toolchain's default unless --input-size); a file's own size must match
    card = load_model_card(job.path, dict(model_overrides(args), input_size=args.input_size or DEFAULT_INPUT_SIZE
                                          if model_kind(job.path) == "checkpoint" else args.input_size))
    backend = create_backend(job.column.backend, job.path, card, args.threads, **job.column.options)
    segmenter = stack.enter_context(Segmenter(backend, card))
    return ColumnTimer(segmenter, frame, "{} on {} {}".format(job.spec.text, job.column.backend, job.column.device))


def run_bench(args, specs, columns, environment, started):
    # type: (argparse.Namespace, list, list, dict, tuple) -> list
    """Measure every (model, column) pair and the MatMul limits they are judged against, all in the same
    interleaved rounds; returns the records in table order. `started`: busy.host_start() when the bench
    began."""
    with scratch_folder("bisenet-bench-") as workdir:
        jobs = plan_jobs(args, specs, columns, workdir)
        frame = camera_frame(*CAMERA_FRAME)
        with contextlib.ExitStack() as stack:  # every backend open for the whole rounds
            timers = [open_timer(stack, job, args, frame) for job in jobs]
            keys = [limit_key(job.column.backend, job.column.device, timer.segmenter.backend.precision)
                    for job, timer in zip(jobs, timers)]
            probes, missing = open_probes(keys, args.threads, workdir)
            progress = Progress(total=(len(timers) + len(probes)) * (args.warmup + args.iters))
            stack.callback(progress.close)
            run_rounds(timers + probes, args.warmup, args.iters, progress)
            limits = dict((probe.key, probe.gflops()) for probe in probes)
            records = [make_record(job.spec, job.column, timer, limit_fields(
                job.macs, percentile_ms(timer.times["network"]), key, limits), args, environment)
                for job, timer, key in zip(jobs, timers, keys)]
    environment.update(environment_fields(limits, missing))
    environment.update(host_report(args.threads, started, collections.OrderedDict(
        ("{} {}".format(r["model"], r["column"]), r["round_spread"]) for r in records)))
    for job, record in zip(jobs, records):
        if args.trtexec and job.column.backend == "trt" and job.column.options.get("memory") != "mapped":
            record["trtexec_latency_ms"] = bench_trt.trtexec_latency_ms(job.path, args.iters)
        log.info("%s", record_line(record))
    return records


def _precision_list(text):
    names = tuple(name.strip().lower() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in bench_trt.TRT_PRECISIONS]
    if unknown or not names:
        raise argparse.ArgumentTypeError("expected a comma-separated list from {}, got {!r}".format(
            ",".join(bench_trt.TRT_PRECISIONS), text))
    return names


def build_parser():
    parser = ArgumentParser(prog="bisenet-bench", description=__doc__, epilog=EPILOG,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    models = parser.add_argument_group("models")
    models.add_argument("--models", nargs="+", default=list(DEFAULT_MODELS), metavar="SPEC",
                        help="ARCH:IN_PLANES[:VARIANT] or FAMILY:DATASET (random weights, e.g. resnet18:32, "
                             "resnet50:16:upsample, bisenetv2:city, bisenetv1:coco) or .pth/.onnx/.engine files "
                             "(default: resnet18:32)")
    add_card_overrides(models)
    models.add_argument("--input-size", type=parse_size, metavar="HxW",
                        help="network input for grid specs and checkpoints, multiples of 16, of 32 for FAMILY:DATASET "
                             "(default: 480x640, as bisenet-export; .onnx/.engine files keep their own size)")
    timing = parser.add_argument_group("timing")
    timing.add_argument("--backends", metavar="LIST",
                        help="comma-separated, from {} (default: all this machine has)".format(
                            ",".join(BENCH_BACKENDS)))
    timing.add_argument("--iters", type=int, default=50, help="timed iterations per measurement (default: 50)")
    timing.add_argument("--warmup", type=int, default=5, help="untimed iterations first (default: 5)")
    timing.add_argument("--threads", type=int, help="CPU threads for every backend (default: all usable cores)")
    trt = parser.add_argument_group("TensorRT (engines are built here, for this GPU, from the ONNX)")
    trt.add_argument("--precisions", type=_precision_list, default=bench_trt.TRT_PRECISIONS, metavar="LIST",
                     help="TRT columns to build, from fp32,fp16,int8 (default: all; INT8 only where the GPU has "
                          "fast INT8 and calibration data or a QDQ model is given)")
    trt.add_argument("--calib-images", metavar="DIR|GLOB",
                     help="frames to calibrate INT8 engines and the OV INT8 (QDQ) model on")
    trt.add_argument("--trtexec", action="store_true",
                     help="also time each engine with JetPack's trtexec and report both medians")
    serving = parser.add_argument_group("a Triton server (instead of local models)")
    serving.add_argument("--backend", choices=("triton",), help="triton: measure the model a server serves")
    add_server_args(serving)
    serving.add_argument("--concurrency", default="1,2,4,8", metavar="LIST",
                         help="clients at once, each level in turn (default: 1,2,4,8)")
    serving.add_argument("--duration", type=float, default=5.0, help="seconds measured per level (default: 5)")
    serving.add_argument("--warmup-seconds", type=float, default=1.0, help="seconds first, not counted (default: 1)")
    outputs = parser.add_argument_group("outputs (the table is always printed)")
    outputs.add_argument("--json", metavar="FILE", help="list of records, each with its environment")
    outputs.add_argument("--markdown", metavar="FILE", help="the seed's table layout, latencies, environment")
    outputs.add_argument("--csv", metavar="FILE", help="one row per record")
    add_common_flags(parser)
    return parser


def validate_args(args):
    if args.input_size and (args.input_size[0] % NETWORK_STRIDE or args.input_size[1] % NETWORK_STRIDE):
        raise InputError("--input-size {}: both sides must be multiples of {}".format(
            size_text(args.input_size), NETWORK_STRIDE))
    if args.iters < 1 or args.warmup < 0:
        raise InputError("--iters must be at least 1 and --warmup at least 0")
    if args.threads is not None and args.threads < 1:
        raise InputError("--threads must be at least 1, got {}".format(args.threads))
    if args.calib_images:  # listed now, so a wrong path fails before any model is built
        open_image_source(args.calib_images, what="--calib-images")
    written = {}
    inputs = dict(("--models " + text, text) for text in args.models)
    inputs["--calib-images"] = args.calib_images
    for flag, path in (("--json", args.json), ("--markdown", args.markdown), ("--csv", args.csv)):
        if path:  # before the measuring, not after
            check_output(path, flag)
            refuse_same_file(path, flag, dict(inputs, **written))
            written[flag] = path


def bench(args):
    started = host_start()  # before any work of ours loads the host
    validate_args(args)
    if args.backend or args.server:
        return _bench_server(args)
    specs = [parse_model_spec(text) for text in collections.OrderedDict.fromkeys(args.models)]
    requested = [name.strip() for name in args.backends.split(",") if name.strip()] if args.backends \
        else list(BENCH_BACKENDS)
    columns = select_columns(requested)
    args.threads = args.threads or usable_cores()
    records = run_bench(args, specs, columns, capture_environment(args.threads), started)
    table = markdown_report(records)
    sys.stdout.write(table)
    _write_outputs(args, records, table, csv_text(records))
    return 0


def _write_outputs(args, records, markdown, csv):
    outputs = ((args.json, json.dumps(records, indent=2) + "\n"), (args.markdown, markdown), (args.csv, csv))
    for path, text in outputs:
        if path:
            write_text_atomic(path, text)
            log.info("wrote %s", path)


def _bench_server(args):
    """--backend triton: the server's throughput per --concurrency level (serving.py)."""
    if args.backend != "triton":
        raise InputError("--server needs --backend triton")
    records = bench_server(args)
    _write_outputs(args, records, level_table(records), level_csv(records))
    return 0


def main(argv=None):
    return run_main(bench, build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
