"""REPO/NAME/{config.pbtxt, 1/<model files>}: one Triton model from one .onnx or .engine, written into a
temporary folder beside it and renamed into place, so a server polling the repository never sees half
a model. Layout and default file names: triton-inference-server/server docs/user_guide/model_repository.md."""

import collections
import os
import shutil

from ..core import leftovers
from ..core.errors import InputError
from ..core.lazy import lazy_import
from ..core.modelcard import batch_range
from . import triton_model
from .pixel_input import pixel_input_model
from .triton_config import build_config, config_text, tensorrt_accelerator

VERSION = "1"
PLATFORM_CHOICES = ("auto", "onnxruntime", "tensorrt", "openvino", "python")
PYTHON_RUNTIMES = ("onnxruntime", "openvino")
GPU_PLATFORMS = ("onnxruntime", "tensorrt")
CALIBRATION_TABLE = "calibration.cache"
TENSORRT_VERSION_PARAMETER = "bisenet_deploy.tensorrt_version"  # the plan runs only on this TensorRT

TritonModel = collections.namedtuple("TritonModel", "folder platform max_batch_size card notes")
# notes: what the user should know about the written model (no server-side batching, where it runs)


def choose_platform(requested, kind, nvidia_server_here):
    """`auto`: tensorrt for an engine; for an ONNX onnxruntime where NVIDIA's tritonserver is on PATH (its
    container), else python (the nvidia-pytriton server has only the python backend)."""
    if requested == "auto":
        return "tensorrt" if kind == "engine" else ("onnxruntime" if nvidia_server_here else "python")
    if kind == "engine" and requested != "tensorrt":
        raise InputError("--platform {} takes an .onnx; an .engine runs only on --platform tensorrt".format(requested))
    if kind == "onnx" and requested == "tensorrt":
        raise InputError("--platform tensorrt takes a TensorRT engine built on the server's GPU: build it there with "
                         "bisenet-build-engine MODEL.onnx, then package the .engine (or use --platform onnxruntime "
                         "--trt-accelerator fp16)")
    return requested


def batching(card, platform, max_batch):
    """(Triton max_batch_size, whether the model takes one frame only, notes)."""
    smallest, largest = batch_range(card)
    if card.get("dynamic_batch"):
        return min(max_batch, largest), False, []
    if platform == "python" and largest == 1:
        return max_batch, True, []  # model.py runs the gathered batch frame by frame
    return 0, False, ["the model takes a fixed batch of {}, so the server cannot batch requests; export it with "
                      "bisenet-export --dynamic-batch {} to let it".format(largest, max_batch)]


def write_triton_model(model_path, kind, card, repo, name, platform, max_batch=8, instances=1, raw_input=False,
                       accelerator=None, calibration_cache=None, python_runtime="onnxruntime", gpu=None,
                       threads=0):
    # type: (...) -> TritonModel
    """Write REPO/NAME for `model_path` (its `card`); replaces an earlier REPO/NAME whole."""
    if raw_input and kind != "onnx":
        raise InputError("--raw-input needs the .onnx: the normalization goes into its graph (build the engine "
                         "from the raw-input ONNX on the server instead)")
    if accelerator and platform != "onnxruntime":
        raise InputError("--trt-accelerator is ONNX Runtime's TensorRT execution provider: use it with "
                         "--platform onnxruntime")
    if calibration_cache and accelerator != "int8":
        raise InputError("--int8-calib-file goes with --trt-accelerator int8")
    gpu = platform in GPU_PLATFORMS if gpu is None else gpu
    if platform == "tensorrt" and not gpu:
        raise InputError("--platform tensorrt runs on the GPU only")
    final = os.path.join(os.path.abspath(repo), name)
    os.makedirs(os.path.dirname(final), exist_ok=True)
    staging = final + ".writing"
    leftovers.discard(staging)  # what a run cut short left
    leftovers.register(staging)
    try:
        version = os.path.join(staging, VERSION)
        os.makedirs(version)
        max_batch_size, fixed_batch, notes = batching(card, platform, max_batch)
        card, extra, filenames = _model_files(model_path, kind, card, platform, version, raw_input, python_runtime,
                                              fixed_batch, threads)
        if calibration_cache:
            shutil.copyfile(calibration_cache, os.path.join(version, CALIBRATION_TABLE))
        config = build_config(name, platform, card, max_batch_size, instances, gpu, extra,
                              accelerator=tensorrt_accelerator(accelerator, calibration_cache and CALIBRATION_TABLE)
                              if accelerator else None, **filenames)
        with open(os.path.join(staging, "config.pbtxt"), "w") as handle:
            handle.write(config_text(config))
        _replace(staging, final)
    finally:
        leftovers.discard(staging)
    return TritonModel(final, platform, max_batch_size, card, notes)


def _model_files(model_path, kind, card, platform, version, raw_input, python_runtime, fixed_batch, threads):
    """Write the version folder's files; (served card, extra config parameters, config file-name fields)."""
    if kind == "engine":
        extra, filenames = _copy_plan(model_path, version)
        return card, extra, filenames
    if raw_input:
        onnx = lazy_import("onnx", "--raw-input")
        model, card = pixel_input_model(onnx.load(model_path), card, "uint8-nhwc")
        onnx.save(model, os.path.join(version, "model.onnx"))
    else:
        shutil.copyfile(model_path, os.path.join(version, "model.onnx"))
    if platform == "openvino":
        _onnx_to_openvino(os.path.join(version, "model.onnx"), os.path.join(version, "model.xml"))
    if platform != "python":
        return card, {}, {}
    shutil.copyfile(triton_model.__file__, os.path.join(version, "model.py"))
    extra = {triton_model.PARAMETER_RUNTIME: python_runtime, triton_model.PARAMETER_FILE: "model.onnx",
             triton_model.PARAMETER_FIXED_BATCH: "1" if fixed_batch else "0",
             triton_model.PARAMETER_THREADS: str(threads or 0)}
    return card, extra, {}


def _copy_plan(engine_path, version):
    """The engine as a plan named for its GPU (cc_model_filenames): Triton loads it only on a GPU of the
    compute capability it was built for, as the sidecar's own check demands."""
    from ..engines.sidecar import read_sidecar

    sidecar = read_sidecar(engine_path)
    capability = (sidecar.get("device") or {}).get("compute_capability")
    if not capability:
        raise InputError("{}: its sidecar does not say which GPU it was built for; rebuild it with "
                         "bisenet-build-engine".format(engine_path))
    filename = "model_sm{}.plan".format(capability.replace(".", ""))
    shutil.copyfile(engine_path, os.path.join(version, filename))
    return {TENSORRT_VERSION_PARAMETER: str(sidecar.get("tensorrt_version"))}, {"cc_filenames": {capability: filename}}


def _onnx_to_openvino(onnx_path, xml_path):
    """model.xml + model.bin for Triton's openvino backend (FP32 weights; the backend chooses precision)."""
    openvino = lazy_import("openvino", "--platform openvino")
    openvino.save_model(openvino.convert_model(onnx_path), xml_path, compress_to_fp16=False)
    os.remove(onnx_path)


def _replace(staging, final):
    """Swap the new model folder in for the old one (two renames; the old folder is then removed)."""
    old = None
    if os.path.lexists(final):
        old = final + ".replaced"
        leftovers.discard(old)
        os.rename(final, leftovers.register(old))
    os.rename(staging, final)
    leftovers.unregister(staging)
    if old is not None:
        leftovers.discard(old)
