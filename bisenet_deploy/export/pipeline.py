"""The export stages in order: load, trace, simplify, check, lint, verify, write. Nothing is written
unless every stage passes (or the user waived it)."""

import time

from .. import __version__
from ..core.atomic import write_bytes_atomic
from ..core.comparison import EXPORT_MIN_AGREEMENT, agrees, format_table, verification_inputs
from ..core.datasets import dataset_named
from ..core.errors import WorkFailed
from ..core.modelcard import make_card, mark_dynamic_batch
from . import to_onnx, trt_lint, verify
from .input_size import export_input_size
from .checkpoint import load_checkpoint
from .data_card import data_card
from .graph import reference_graph, substituted_graph


class StageClock(object):
    """Prints each stage as it starts and remembers how long each took."""

    def __init__(self, log):
        self.log, self.seconds, self._name, self._start = log, {}, None, None

    def start(self, name, message):
        self.stop()
        self._name, self._start = name, time.time()
        self.log("[{}] {}".format(name, message))

    def stop(self):
        if self._name is not None:
            self.seconds[self._name] = round(time.time() - self._start, 3)
            self._name = None


def _verdict(rows, exact, min_agreement, mode):
    worst = min(row.agreement for row in rows)
    if exact:
        if all(verify.within_float_tolerance(row) for row in rows):
            return True, "PASSED | exact path: matches PyTorch to float tolerance (worst agreement {:.4f}%)".format(
                100 * worst)
        return False, ("FAILED | exact path disagrees with PyTorch beyond float tolerance "
                       "(max abs diff {:.3e}); this is a bug, please report it".format(
                           max(row.max_abs_diff for row in rows)))
    hint = "--upsample resize (TensorRT >= 8.0) or --upsample matmul (any TensorRT) are exact"
    if not agrees(worst, min_agreement):
        return False, ("FAILED | --upsample {} approximates align_corners=True bilinear: worst argmax agreement "
                       "{:.4f}% < --min-agreement {:.4f}%; {}".format(mode, 100 * worst, 100 * min_agreement, hint))
    return True, ("PASSED | approximate: --upsample {} stands in for align_corners=True bilinear, worst argmax "
                  "agreement {:.4f}% (>= {:.2f}%); {}".format(mode, 100 * worst, 100 * min_agreement, hint))


def run(checkpoint_path, settings, output, log):
    """The stages for an ExportSettings (see export/api.py); returns the written model's card."""
    clock = StageClock(log)
    started = time.time()
    clock.start("load", "reading {}".format(checkpoint_path))
    checkpoint, data = _load(checkpoint_path, settings, log)
    family = checkpoint.family
    input_hw = export_input_size(settings.input_size, checkpoint.metadata.get("input_size"), family, log,
                                 dataset_named(data.dataset) if data.dataset else None)
    onnx_model, exact = _trace(checkpoint, settings, input_hw, clock)

    clock.start("lint", "TensorRT {} parser support".format(settings.target_trt))
    violations = trt_lint.lint_model(onnx_model, settings.target_trt)
    log(trt_lint.format_violations(violations, settings.target_trt) if violations
        else "  PASSED | no violations for TensorRT {}".format(settings.target_trt))

    clock.start("verify", "ONNX Runtime vs PyTorch ({} reference)".format("exact" if exact else "approximation"))
    inputs = verification_inputs(input_hw, settings.batch if not settings.dynamic_batch else 2, mean=data.mean,
                                 std=data.std)
    output_stride, align_corners = family.head_upsample(checkpoint.config)
    reference = reference_graph(checkpoint.model, settings.head, input_hw, align_corners, output_stride)
    rows = verify.verify(onnx_model, reference, settings.head, inputs)
    log(format_table(rows))
    min_agreement = EXPORT_MIN_AGREEMENT if settings.min_agreement is None else settings.min_agreement
    passed, verdict = _verdict(rows, exact, min_agreement, settings.upsample)
    log("  " + verdict)
    clock.stop()
    if not passed:
        raise WorkFailed("verification failed; nothing written ({})".format(verdict.split("| ", 1)[1]))
    if violations and settings.lint:
        raise WorkFailed("{} TensorRT {} lint violation(s) (listed above); nothing written. Fix them or pass "
                         "--no-lint to write anyway".format(len(violations), settings.target_trt))

    card = _card(checkpoint, data, settings, input_hw)
    card["verification"] = {
        "exact": exact,
        "verdict": verdict,
        "worst_argmax_agreement": min(r.agreement for r in rows),
        "max_abs_diff": _finite_or_none(max(r.max_abs_diff for r in rows)),
        "lint_violations": len(violations),
    }
    return _write(onnx_model, card, output, clock, started, log)


def _load(checkpoint_path, settings, log):
    """(Checkpoint, DataCard): the rebuilt network and what its card will say about the data."""
    overrides = {"arch": settings.arch, "in_planes": settings.in_planes, "num_classes": settings.num_classes,
                 "variant": settings.variant}
    checkpoint = load_checkpoint(checkpoint_path, trust=settings.trust_checkpoint, overrides=overrides,
                                 family=settings.family)
    config, family, metadata = checkpoint.config, checkpoint.family, checkpoint.metadata
    data = data_card(family, config, metadata, settings.dataset, settings.classes, settings.mean, settings.std)
    dropped = metadata.get("dropped_heads")
    log("  {} ({}){}".format(family.describe(config), metadata.get("format"),
                            "; dropped its training-only heads: " + ", ".join(dropped) if dropped else ""))
    log("  dataset {}, mean {} std {}".format(data.dataset or "unknown ({} generic classes)".format(
        config["num_classes"]), _triple(data.mean), _triple(data.std)))
    log("  classes: {}".format(data.classes_from))
    return checkpoint, data


def _trace(checkpoint, settings, input_hw, clock):
    """(checked ONNX model, whether its upsampling is exact) for the settings' head and forms."""
    head, mode = settings.head, settings.upsample
    output_stride, align_corners = checkpoint.family.head_upsample(checkpoint.config)
    batch_text = "dynamic batch 1..{}".format(settings.dynamic_batch) if settings.dynamic_batch else \
        "batch {}".format(settings.batch)
    clock.start("export", "tracing {}x{} {} -> {} head, upsample={}, opset {}".format(
        input_hw[0], input_hw[1], batch_text, head, mode, settings.opset))
    with substituted_graph(checkpoint.model, head, mode, input_hw, align_corners, output_stride) as (graph, exact):
        onnx_model = to_onnx.graph_to_onnx(graph, input_hw, settings.batch, settings.opset,
                                           "labels" if head == "labels" else "logits",
                                           dynamic_batch=bool(settings.dynamic_batch))
    if settings.simplify:
        clock.start("simplify", "onnx-simplifier")
        onnx_model = to_onnx.simplify(onnx_model)
    to_onnx.check(onnx_model)
    return onnx_model, exact


def _card(checkpoint, data, settings, input_hw):
    family = checkpoint.family
    output_stride, align_corners = family.head_upsample(checkpoint.config)
    card = make_card(checkpoint.config, input_hw, settings.batch, settings.head, settings.upsample, settings.opset,
                     data.classes, data.colors, checkpoint.sha256, checkpoint.metadata, __version__,
                     settings.target_trt, mean=data.mean, std=data.std, dataset=data.dataset,
                     head_align_corners=align_corners, input_multiple=family.input_multiple,
                     output_stride=output_stride)
    if settings.dynamic_batch:
        mark_dynamic_batch(card, settings.dynamic_batch)
    return card


def _finite_or_none(value):
    # NaN (no scores to compare) is not JSON: the card says null instead
    return value if value == value else None


def _triple(values):
    return "({})".format(", ".join("{:.4g}".format(v) for v in values))


def _write(onnx_model, card, output, clock, started, log):
    """Attach the card, write the ONNX atomically, report the stage times; returns the card."""
    to_onnx.attach_card(onnx_model, card)
    serialized = onnx_model.SerializeToString()
    write_bytes_atomic(output, serialized)
    total = time.time() - started
    stages = ", ".join("{} {:.1f}s".format(k, v) for k, v in clock.seconds.items())
    log("wrote {} ({:.1f} MB, {} nodes) in {:.1f}s: {}".format(
        output, len(serialized) / 1e6, len(onnx_model.graph.node), total, stages))
    card["timings_s"] = dict(clock.seconds, total=round(total, 3))
    return card
