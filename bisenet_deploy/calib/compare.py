"""Measure a QDQ INT8 model against its FP32 original with ONNX Runtime on the CPU: argmax pixel
agreement, max abs diff of the logits, and the mIoU of both when ground-truth labels are given.

Label maps are compared at the network's input size; mIoU is computed at each label's own size, as
bisenet-eval does. Label files are single-channel PNGs named like their image (NAME.png holds the
class index per pixel, 255 = ignore), the generic layout of runtime/datasets.py.
"""

import numpy as np

from ..core.errors import InputError
from ..core.labels import Sample, load_label
from ..runtime.backends.ort import CPU_PROVIDER, session_from_onnx
from ..runtime.precision_check import Comparison, Tally


def compare_models(reference_path, candidate_path, card, stream, labels=None, batch=1, threads=None):
    # type: (str, str, dict, object, dict, int, int) -> Comparison
    """Run both models on every frame of `stream` (a CalibrationStream) and tally how they differ.

    `labels` is {name: label PNG path} (runtime/image_sets.find_labels); `batch` the models' fixed batch size.
    """
    if labels is not None and not card.get("num_classes"):
        raise InputError("--labels needs the number of classes, which a model without a bisenet-deploy card does "
                         "not state")
    sessions = [session_from_onnx(path, threads, [CPU_PROVIDER]) for path in (reference_path, candidate_path)]
    input_name, output_name = card["input"]["name"], card["output"]["name"]
    tally = Tally(card, labels is not None)
    pending = []  # (name, network input) until a full batch is ready

    def run_pending():
        x = np.concatenate([item for _, item in pending])
        outputs = [session.run([output_name], {input_name: x})[0] for session in sessions]
        for index, (name, _) in enumerate(pending):
            label = None
            if labels is not None and name in labels:
                label = load_label(Sample(name, None, labels[name]), "generic")
            tally.add(outputs[0][index:index + 1], outputs[1][index:index + 1], label)
        del pending[:]

    for name, frame in stream.frames():
        pending.append((name, stream.preprocess(frame)))
        if len(pending) == batch:
            run_pending()
    if tally.images == 0:
        raise InputError("no image could be compared{}".format(
            "" if not pending else ": the models take batches of {} and only {} images were left".format(
                batch, len(pending))))
    return tally.result()


def comparison_record(result, images_kind, verdict):
    # type: (Comparison, str, object) -> dict
    """The comparison and the gate's verdict as plain JSON values, for the QDQ model's card."""
    return {"images": images_kind, "count": result.images, "pixel_agreement": result.agreement,
            "worst_image_agreement": result.worst_agreement, "max_abs_diff": result.max_abs_diff,
            "labelled": result.labelled, "miou_fp32": result.miou_reference, "miou_int8": result.miou_candidate,
            "verdict": verdict}
