"""Each reduced OpenVINO precision against FP32 as --verify judges it (runtime/precision_check.py: generated
labelled scenes for a SUN RGB-D model), for one FP32 ONNX and optionally its QDQ INT8 copy.

Usage: python benchmarks/ov_agreement.py MODEL.onnx [MODEL.qdq.onnx] [threads]
"""

import logging
import sys

from bisenet_deploy.core.errors import WorkFailed
from bisenet_deploy.runtime.backends.openvino_backend import OpenVinoBackend, cpu_facts
from bisenet_deploy.runtime.backends.openvino_precision import native
from bisenet_deploy.runtime.model_card import load_model_card


def main(onnx_path, qdq_path=None, threads=2):
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    capabilities = cpu_facts()[1]
    for precision, path in (("bf16", onnx_path), ("fp16", onnx_path), ("int8", qdq_path)):
        if not path or not native(precision, capabilities):
            print("{}: skipped ({})".format(precision, "no QDQ model" if not path else "not native here"))
            continue
        try:
            with OpenVinoBackend(path, load_model_card(path), threads, precision=precision, verify=True):
                pass
        except WorkFailed as exc:
            print("{}: {}".format(precision, exc))


if __name__ == "__main__":
    arguments = sys.argv[1:]
    if not arguments:
        sys.exit(__doc__)
    main(arguments[0], arguments[1] if len(arguments) > 1 else None,
         int(arguments[2]) if len(arguments) > 2 else 2)
