"""The OpenVINO half of bisenet-bench: the QDQ INT8 model the OV INT8 column runs, made here with
bisenet-calibrate from --calib-images (the kind of artifact TensorRT builds from too, here with its
ConvTranspose layers quantized as well), and which file each OV column runs. The columns themselves (one
per precision the CPU runs natively, the skipped ones logged) come from OpenVinoBackend.bench_columns.
"""

import contextlib
import io
import logging
import os

from ..core.errors import InputError, WorkFailed
from ..runtime.backends.openvino_precision import is_qdq_file

log = logging.getLogger(__name__)

CALIB_EVAL_COUNT = 10  # bench measures speed; agreement is bisenet-calibrate's and --verify's job
# ConvTranspose quantized too (bisenet-calibrate leaves it float by default, for TensorRT < 8.5): OpenVINO
# runs it in int8, and left float it took a third of the demo model's INT8 time at 512x512 (in BF16)


def add_qdq(files, workdir, calib_images, debug, make_int8):
    # type: (dict, str, str, bool, bool) -> dict
    """`files` with "qdq": the given ONNX when it is a QDQ model (it runs in the OV INT8 column alone),
    or, with `make_int8`, one calibrated here from `calib_images`."""
    onnx_path = files.get("onnx")
    if onnx_path and is_qdq_file(onnx_path):
        return dict(files, qdq=onnx_path)
    if onnx_path and calib_images and make_int8:
        return dict(files, qdq=calibrate(onnx_path, workdir, calib_images, debug))
    return files


def calibrate(onnx_path, workdir, calib_images, debug):
    from ..calib.main import main as calibrate_main

    output = os.path.join(workdir, os.path.splitext(os.path.basename(onnx_path))[0] + ".qdq.onnx")
    argv = [onnx_path, "-o", output, "--images", calib_images, "--no-progress", "--eval-count",
            str(CALIB_EVAL_COUNT), "--min-agreement", "0", "--max-miou-drop", "100", "--quantize-deconv"]
    log.info("calibrating %s for the OV INT8 column on %s", os.path.basename(onnx_path), calib_images)
    errors = io.StringIO()
    if debug:
        code = calibrate_main(argv + ["--debug"])
    else:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(errors):
            code = calibrate_main(argv)
    if code != 0:
        message = (errors.getvalue().strip().splitlines() or ["exit code {}".format(code)])[-1]
        message = message.split("bisenet-calibrate: ", 1)[-1]  # one program prefix on the line: ours
        raise (InputError if code == 2 else WorkFailed)("calibrating {} for OV INT8 failed: {}".format(
            onnx_path, message))
    return output


def model_for_column(column, files):
    """The file an OV column runs (None: skip): the QDQ model for INT8, the FP32 ONNX otherwise."""
    if column.options.get("precision") == "int8":
        if not files.get("qdq"):
            log.warning("skipping OV INT8: needs a QDQ model: give --calib-images (or a .qdq.onnx in --models)")
        return files.get("qdq")
    if files.get("onnx") and files.get("onnx") == files.get("qdq"):
        log.warning("skipping OV %s on %s: it is an INT8 (QDQ) model", column.options.get("precision", "").upper(),
                    files["onnx"])
        return None
    return files.get("onnx")
