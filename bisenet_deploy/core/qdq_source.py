"""The FP32 model a QDQ INT8 model was made from, which every check of the INT8 model compares it with
(bisenet-run --verify, bisenet-doctor --model).

bisenet-calibrate records the source in the QDQ model's card (calibration.source_model: its path and
sha256), so any output name works (`-o walk.qdq.onnx` from model.onnx). A QDQ model without that record
(another tool's, or an older bisenet-calibrate's) falls back to the name rule MODEL.qdq.onnx -> MODEL.onnx.
"""

import os

from .digest import file_sha256
from .errors import InputError

QDQ_SUFFIX = ".qdq.onnx"  # bisenet-calibrate's default name for MODEL.onnx's INT8 copy


def source_record(fp32_path):
    # type: (str) -> dict
    """What the QDQ model's card says about the FP32 model it was made from."""
    return {"path": os.path.abspath(fp32_path), "sha256": file_sha256(fp32_path)}


def name_rule_source(qdq_path):
    # type: (str) -> str
    """MODEL.onnx for MODEL.qdq.onnx; None for any other name."""
    return qdq_path[: -len(QDQ_SUFFIX)] + ".onnx" if qdq_path.endswith(QDQ_SUFFIX) else None


def find_fp32_source(qdq_path, card):
    # type: (str, dict) -> tuple
    """(path or None, [where it looked, in words]). With a recorded source: its path, the same file name
    beside the QDQ model (both copied elsewhere), then the name rule, each taken only when its sha256 is
    the recorded one. Without: the name rule."""
    record = ((card or {}).get("calibration") or {}).get("source_model")
    if not record:
        path = name_rule_source(qdq_path)
        if path and os.path.isfile(path):
            return path, []
        return None, ["{} (MODEL.onnx beside MODEL.qdq.onnx; the card names no source model)".format(path)
                      if path else "the card, which names no source model (and the name does not end in {})".format(
                          QDQ_SUFFIX)]
    beside = os.path.join(os.path.dirname(os.path.abspath(qdq_path)), os.path.basename(record["path"]))
    candidates = []
    for path in (record["path"], beside, name_rule_source(qdq_path)):
        if path and os.path.abspath(path) not in candidates:
            candidates.append(os.path.abspath(path))
    looked = []
    for path in candidates:
        if not os.path.isfile(path):
            looked.append("{} (missing)".format(path))
        elif file_sha256(path) != record["sha256"]:
            looked.append("{} (another model: its sha256 is not the recorded one)".format(path))
        else:
            return path, looked
    return None, looked


def require_fp32_source(qdq_path, card, needed_for):
    # type: (str, dict, str) -> str
    """The FP32 source of `qdq_path`, or InputError saying where it was looked for and what to do."""
    path, looked = find_fp32_source(qdq_path, card)
    if path is None:
        raise InputError("{} compares the INT8 model {} with the FP32 ONNX it was made from, which was not found: "
                         "looked at {}; put that model back, or make the INT8 model again with bisenet-calibrate"
                         .format(needed_for, qdq_path, "; ".join(looked)))
    return path
