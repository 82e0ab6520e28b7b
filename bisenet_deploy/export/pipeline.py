"""The export stages in order: load, trace, simplify, check, lint, verify, write. Nothing is written
unless every stage passes (or the user waived it)."""

import time

from .. import __version__
from ..core.atomic import write_bytes_atomic
from ..core.comparison import EXPORT_MIN_AGREEMENT, agrees, format_table, verification_inputs
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
    overrides = {"arch": settings.arch, "in_planes": settings.in_planes, "num_classes": settings.num_classes,
                 "variant": settings.variant}
    checkpoint = load_checkpoint(checkpoint_path, trust=settings.trust_checkpoint, overrides=overrides,
                                 family=settings.family)
    config, family = checkpoint.config, checkpoint.family
    data = data_card(family, config, checkpoint.metadata, settings.dataset, settings.classes, settings.mean,
                     settings.std)
    log("  {} ({}){}".format(family.describe(config), checkpoint.metadata.get("format"),
                            "; dropped its training-only heads: " + ", ".join(checkpoint.metadata["dropped_heads"])
                            if checkpoint.metadata.get("dropped_heads") else ""))
    log("  dataset {}, mean {} std {}".format(data.dataset or "unknown ({} generic classes)".format(
        config["num_classes"]), _triple(data.mean), _triple(data.std)))

    model = checkpoint.model
    input_hw, head, mode = export_input_size(settings.input_size, checkpoint.metadata.get("input_size"), family, log), settings.head, settings.upsample
    output_name = "labels" if head == "labels" else "logits"
    batch_text = "dynamic batch 1..{}".format(settings.dynamic_batch) if settings.dynamic_batch else \
        "batch {}".format(settings.batch)
    clock.start("export", "tracing {}x{} {} -> {} head, upsample={}, opset {}".format(
        input_hw[0], input_hw[1], batch_text, head, mode, settings.opset))
    with substituted_graph(model, head, mode, input_hw, family.head_align_corners) as (graph, exact):
        onnx_model = to_onnx.graph_to_onnx(graph, input_hw, settings.batch, settings.opset, output_name,
                                           dynamic_batch=bool(settings.dynamic_batch))
    if settings.simplify:
        clock.start("simplify", "onnx-simplifier")
        onnx_model = to_onnx.simplify(onnx_model)
    to_onnx.check(onnx_model)

    clock.start("lint", "TensorRT {} parser support".format(settings.target_trt))
    violations = trt_lint.lint_model(onnx_model, settings.target_trt)
    if violations:
        log(trt_lint.format_violations(violations, settings.target_trt))
    else:
        log("  PASSED | no violations for TensorRT {}".format(settings.target_trt))

    clock.start("verify", "ONNX Runtime vs PyTorch ({} reference)".format("exact" if exact else "approximation"))
    inputs = verification_inputs(input_hw, settings.batch if not settings.dynamic_batch else 2, mean=data.mean,
                                 std=data.std)
    reference = reference_graph(model, head, input_hw, family.head_align_corners)
    rows = verify.verify(onnx_model, reference, head, inputs)
    log(format_table(rows))
    min_agreement = EXPORT_MIN_AGREEMENT if settings.min_agreement is None else settings.min_agreement
    passed, verdict = _verdict(rows, exact, min_agreement, mode)
    log("  " + verdict)
    clock.stop()
    if not passed:
        raise WorkFailed("verification failed; nothing written ({})".format(verdict.split("| ", 1)[1]))
    if violations and settings.lint:
        raise WorkFailed("{} TensorRT {} lint violation(s) (listed above); nothing written. Fix them or pass "
                         "--no-lint to write anyway".format(len(violations), settings.target_trt))

    card = make_card(config, input_hw, settings.batch, head, mode, settings.opset, data.classes, data.colors,
                     checkpoint.sha256, checkpoint.metadata, __version__, settings.target_trt, mean=data.mean,
                     std=data.std, dataset=data.dataset, head_align_corners=family.head_align_corners,
                     input_multiple=family.input_multiple)
    if settings.dynamic_batch:
        mark_dynamic_batch(card, settings.dynamic_batch)
    card["verification"] = {
        "exact": exact,
        "verdict": verdict,
        "worst_argmax_agreement": min(r.agreement for r in rows),
        "max_abs_diff": max(r.max_abs_diff for r in rows),
        "lint_violations": len(violations),
    }
    return _write(onnx_model, card, output, clock, started, log)


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
