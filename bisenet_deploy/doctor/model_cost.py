"""bisenet-doctor --model: which precisions this CPU runs natively (OpenVINO's view of it), and what each
costs this model, measured against FP32 on the precision check's pictures (runtime/precision_check.py:
the user's --images with their --labels, else generated labelled scenes for SUN RGB-D models) and judged
by the precision gate: the mIoU drop where labels exist, else pixel agreement. Label values the model
has no class for are said in one warning finding, as bisenet-eval says them.

INT8 is measured on the model's QDQ copy (MODEL.qdq.onnx from bisenet-calibrate, or the model itself
when it is one); without one, the line says how to make it.
"""

import os

from ..core.errors import InputError, WorkFailed
from ..core.lazy import is_installed, lazy_import
from ..core.qdq_source import QDQ_SUFFIX, find_fp32_source
from ..runtime.backends.openvino_backend import OpenVinoBackend, cpu_facts
from ..runtime.backends.openvino_precision import PRECISIONS, is_qdq_file, lacking_reason, native
from ..runtime.backends.openvino_speed import bf16_pays, bf16_speed
from ..runtime.model_card import load_model_card
from ..runtime.precision_check import CheckSet, check_set_for, compare_backends_on, judge_comparison
from .report import check

SECTION = "precisions for {}"


def _models(model_path, card):
    """(FP32 ONNX or None, QDQ ONNX or None) for the model the user named."""
    if is_qdq_file(model_path):
        return find_fp32_source(model_path, card)[0], model_path
    qdq = model_path[: -len(".onnx")] + QDQ_SUFFIX if model_path.endswith(".onnx") else None
    return model_path, (qdq if qdq and os.path.isfile(qdq) else None)


def _cost_text(result, verdict, pictures):
    if verdict.criterion == "miou_drop":
        figure = "mIoU drop {:+.2f} points (FP32 {:.1f}%)".format(verdict.measured, 100 * result.miou_reference)
    else:
        figure = "pixel agreement {:.2f}%".format(100 * result.agreement)
    return "{}, worst picture {:.1f}% agreement, on {}: {}".format(
        figure, 100 * result.worst_agreement, pictures, "within the gate" if verdict.passed else "FAILS the gate")


def check_set(card, spec):
    # type: (dict, object) -> CheckSet
    """The precision check's pictures, refused in doctor's own flags."""
    return check_set_for(card, spec, flags=("--images", "--labels"))


def _watched(pictures, unknown):
    """`pictures` whose labels `unknown` checks, each once: every precision measured reads them again."""
    seen = set()

    def items():
        for name, frame, label in pictures.items():
            if unknown is not None and label is not None and name not in seen:
                seen.add(name)
                unknown.check(name, label)
            yield name, frame, label

    return CheckSet(items, pictures.description, pictures.labelled)


def _pictures(card, spec, unknown):
    """(CheckSet, None), or (None, the InputError refusing them): each precision reports it as unmeasured."""
    try:
        return _watched(check_set(card, spec), unknown), None
    except InputError as exc:
        return None, exc


def _measure(precision, path, reference_path, card, pictures, threads):
    with OpenVinoBackend(path, card, threads, precision=precision) as candidate, \
            OpenVinoBackend(reference_path, card, threads, precision="fp32") as reference:
        result = compare_backends_on(candidate, reference, card, pictures)
    return result, judge_comparison(precision, result), pictures.description


def _labels_warning(unknown, section):
    """[the one finding for label values the model has no class for], or []."""
    warning = unknown.warning() if unknown is not None else None
    return [check("labels", section, "labels", None, warning)] if warning else []


def precision_checks(model_path, spec, threads=None, label_check=None):
    # type: (str, object, int, object) -> list
    """One finding per precision for `model_path` (an .onnx) on this CPU, and one for label values the
    model has no class for. `label_check(num_classes)`: what counts them (bisenet-eval's UnknownLabels;
    doctor/main.py hands it over, this layer does not import bisenet-eval's)."""
    if not model_path.endswith(".onnx") or not os.path.isfile(model_path):
        raise InputError("--model needs an .onnx this CPU runs (bisenet-export's, or its .qdq.onnx): {}".format(
            model_path))
    if not is_installed("openvino"):
        raise InputError("--model measures the CPU's precisions with OpenVINO, which is not installed: "
                         "pip install openvino (Python >= 3.9)")
    cpu_name, capabilities = cpu_facts()
    card = load_model_card(model_path)
    fp32_path, qdq_path = _models(model_path, card)
    unknown = label_check(card["num_classes"]) if label_check else None
    pictures, refusal = _pictures(card, spec, unknown)
    section = SECTION.format(os.path.basename(model_path))
    found = []
    for precision in PRECISIONS:
        label = "{} ({})".format(precision.upper(), "OpenVINO")
        key = "precision-" + precision
        if not native(precision, capabilities):
            found.append(check(key, section, label, False, lacking_reason(precision, capabilities, cpu_name),
                               "--precision auto runs the fastest precision this CPU has"))
            continue
        path = qdq_path if precision == "int8" else fp32_path
        if precision == "fp32":
            found.append(check(key, section, label, True, "native: the reference the others are measured against"))
            continue
        if path is None or fp32_path is None:
            missing = ("a QDQ model: bisenet-calibrate {} --calib-images YOUR_PICTURES".format(model_path)
                       if precision == "int8" else "the FP32 ONNX this QDQ model was made from (named in its card, or "
                       "MODEL.onnx beside MODEL.qdq.onnx)")
            found.append(check(key, section, label, None, "native; its cost is unmeasured without {}".format(missing),
                               missing))
            continue
        try:
            if refusal is not None:
                raise refusal
            result, verdict, described = _measure(precision, path, fp32_path, card, pictures, threads)
        except (InputError, WorkFailed) as exc:
            found.append(check(key, section, label, None, "native; not measured: {}".format(exc)))
            continue
        detail = "native; " + _cost_text(result, verdict, described)
        if precision == "bf16":
            detail += "; " + _bf16_speed_text(cpu_name, capabilities, threads)
        found.append(check(key, section, label, verdict.passed, detail,
                           "keep FP32 for this model, or calibrate on more representative pictures"))
    return found + _labels_warning(unknown, section)


def _bf16_speed_text(cpu_name, capabilities, threads):
    """What auto decided for BF16 and the measured MatMul rates it decided from."""
    ov = lazy_import("openvino", "bisenet-doctor --model")
    speed = bf16_speed(ov.Core(), cpu_name, threads)
    return "speed: MatMul {:.0f} GFLOP/s in BF16 against {:.0f} in FP32, so auto runs {}".format(
        speed["bf16"], speed["fp32"], "BF16" if bf16_pays(speed) else "FP32")
