"""The model.py of bisenet-package's `python` platform: Triton's python backend running the model with
ONNX Runtime or OpenVINO, for CPU-only servers (the nvidia-pytriton wheel's server has only this backend).
bisenet-package copies this file verbatim into REPO/NAME/1/model.py; the config's parameters say what
it runs (PARAMETER_* below).

Tensors come and go through DLPack (numpy >= 1.22): the python backend's own numpy conversions
predate numpy 2's array layout, and under numpy 2 as_numpy() repeats the first value and
Tensor(name, array) sends nothing; DLPack does not depend on that layout. The backend takes an output
capsule over but renames it "used_dlpack", where the DLPack protocol says "used_dltensor", so numpy's
capsule destructor printed an error with a traceback into the server log for every request;
_mark_consumed gives such a capsule the protocol's name (the destructor then leaves it alone, as it
did after the error, and the backend still frees it).
bisenet-serve passes its own interpreter's import path in BISENET_SERVE_SYS_PATH, since the backend's
stub starts Python isolated from PYTHONPATH; in NVIDIA's container the variable is unset and the
container's own packages are used."""

import ctypes
import json
import os
import sys

sys.path[:0] = [p for p in os.environ.get("BISENET_SERVE_SYS_PATH", "").split(os.pathsep) if p]

import numpy as np  # noqa: E402 (after the import path is set)

PARAMETER_RUNTIME = "bisenet_deploy.runtime"  # onnxruntime | openvino
PARAMETER_FILE = "bisenet_deploy.model_file"  # the model file beside this one
PARAMETER_FIXED_BATCH = "bisenet_deploy.fixed_batch"  # "1": the model takes one frame; run a batch frame by frame
PARAMETER_THREADS = "bisenet_deploy.threads"  # "0": the runtime's default

TRITON_CONSUMED_NAME = b"used_dlpack"
PROTOCOL_CONSUMED_NAME = b"used_dltensor"  # a module constant: a capsule keeps a pointer to its name
_capsule_name = ctypes.pythonapi.PyCapsule_GetName
_capsule_name.argtypes, _capsule_name.restype = [ctypes.py_object], ctypes.c_char_p
_set_capsule_name = ctypes.pythonapi.PyCapsule_SetName
_set_capsule_name.argtypes, _set_capsule_name.restype = [ctypes.py_object, ctypes.c_char_p], ctypes.c_int


def _mark_consumed(capsule):
    """Rename a DLPack capsule the backend consumed under its own name to the protocol's (see above)."""
    if _capsule_name(capsule) == TRITON_CONSUMED_NAME:
        _set_capsule_name(capsule, PROTOCOL_CONSUMED_NAME)


def _parameter(config, key, default=None):
    entry = config.get("parameters", {}).get(key)
    return entry["string_value"] if entry else default


class _OnnxRuntimeModel(object):
    def __init__(self, path, threads):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        self.session = onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        self.input_name = self.session.get_inputs()[0].name

    def __call__(self, batch):
        return self.session.run(None, {self.input_name: batch})[0]


class _OpenVinoModel(object):
    def __init__(self, path, threads):
        import openvino

        config = {"INFERENCE_NUM_THREADS": threads} if threads else {}
        self.compiled = openvino.Core().compile_model(path, "CPU", config)
        self.request = self.compiled.create_infer_request()

    def __call__(self, batch):
        return np.array(self.request.infer([batch])[self.compiled.output(0)])


RUNTIMES = {"onnxruntime": _OnnxRuntimeModel, "openvino": _OpenVinoModel}


class TritonPythonModel(object):
    """Triton's python backend interface: initialize, execute (a list of requests), finalize."""

    def initialize(self, args):
        import triton_python_backend_utils  # only Triton's python backend has it (bisenet-package reads this file)

        self.utils = triton_python_backend_utils
        config = json.loads(args["model_config"])
        folder = os.path.join(args["model_repository"], args["model_version"])
        runtime = _parameter(config, PARAMETER_RUNTIME, "onnxruntime")
        threads = int(_parameter(config, PARAMETER_THREADS, "0"))
        self.model = RUNTIMES[runtime](os.path.join(folder, _parameter(config, PARAMETER_FILE)), threads)
        self.fixed_batch = _parameter(config, PARAMETER_FIXED_BATCH, "0") == "1"
        self.input_name = config["input"][0]["name"]
        self.output_name = config["output"][0]["name"]

    def execute(self, requests):
        """One response per request, from one run over the frames of every request the batcher gathered."""
        pb_utils = self.utils
        inputs = [np.from_dlpack(pb_utils.get_input_tensor_by_name(request, self.input_name)) for request in requests]
        batch = np.concatenate(inputs)
        if self.fixed_batch:
            output = np.concatenate([self.model(batch[i:i + 1]) for i in range(len(batch))])
        else:
            output = self.model(batch)
        responses, start = [], 0
        for frames in inputs:
            part = np.ascontiguousarray(output[start:start + len(frames)])
            start += len(frames)
            capsule = part.__dlpack__()
            tensor = pb_utils.Tensor.from_dlpack(self.output_name, capsule)
            _mark_consumed(capsule)
            responses.append(pb_utils.InferenceResponse(output_tensors=[tensor]))
        return responses

    def finalize(self):
        self.model = None
