"""DeepStream for many cameras on one Jetson: an nvinfer config for semantic segmentation
(network-type=2), the graph it runs, a labels file, and a deepstream-app config that batches N camera
sources into one engine of batch N. The same files serve DeepStream 6.0.1 (JetPack 4.6.1, the last
line with the TX2) and 6.x (Orin).

nvinfer's preprocessing is y = net-scale-factor * (x - offsets[c]) with one scale for all channels,
so a per-channel std cannot be expressed; the graph written here normalizes exactly itself
(pixel_input "float-nchw"), and the config says net-scale-factor=1, offsets 0. nvinfer's own
segmentation parser reads float scores (C x H x W, segmentation-output-order=0) and takes the argmax
itself, so only a logits-head model fits. Key names: gst-nvinfer's gstnvinfer_property_parser.h
and the Gst-nvinfer page of the DeepStream 6.0.1 developer guide; tests/serve/test_deepstream.py
checks every key written against those lists."""

import os
import shutil

from ..core.atomic import atomic_path
from ..core.errors import InputError
from ..core.lazy import lazy_import
from ..core.modelcard import batch_range
from .pixel_input import pixel_input_model

INFER_CONFIG = "config_infer_bisenet.txt"
APP_CONFIG = "deepstream_app_bisenet.txt"
LABELS = "labels.txt"
NETWORK_MODES = {"fp32": 0, "int8": 1, "fp16": 2}  # nvinfer's network-mode numbers
CALIBRATION_FILE = "calibration.cache"
SAMPLE_STREAM = "file:///opt/nvidia/deepstream/deepstream/samples/streams/sample_1080p_h264.mp4"
MUX_SIZE = (720, 1280)  # nvstreammux scales every camera to this before batching (H, W)


def engine_file_name(onnx_name, batch, precision):
    """The name nvinfer gives the engine it builds from `onnx_name` (<file>_b<N>_gpu<id>_<mode>.engine),
    so the engine built on the first run is found on the next and not rebuilt."""
    return "{}_b{}_gpu0_{}.engine".format(onnx_name, batch, precision)


def _check(kind, card, sources, precision, calibration_cache):
    if kind != "onnx":
        raise InputError("--deepstream takes the .onnx: nvinfer builds its engine from it on the Jetson (an engine "
                         "built elsewhere is tied to that GPU and TensorRT)")
    if card["head"] != "logits":
        raise InputError("--deepstream needs a logits-head model: nvinfer's segmentation parser takes float class "
                         "scores and does the argmax itself; export with bisenet-export --head logits")
    smallest, largest = batch_range(card)
    if not smallest <= sources <= largest:
        raise InputError("--sources {} needs a model that takes batches of {}; this one takes {}; export it with "
                         "bisenet-export --head logits --dynamic-batch {}".format(
                             sources, sources, smallest if smallest == largest else "{}..{}".format(smallest, largest),
                             sources))
    if precision == "int8" and not calibration_cache:
        raise InputError("--precision int8 needs --int8-calib-file (the TensorRT calibration cache "
                         "bisenet-build-engine --int8 --calib-cache writes); no TX2 runs INT8 fast, use fp16 there")


def infer_config(card, onnx_name, sources, precision, calibration):
    """[(key, value)] of nvinfer's [property] group, in a readable order."""
    height, width = card["input_size"]
    entries = [
        ("gpu-id", 0),
        ("net-scale-factor", 1.0),  # the graph normalizes exactly (see the module doc)
        ("offsets", "0;0;0"),
        ("model-color-format", 0),  # RGB
        ("onnx-file", onnx_name),
        ("model-engine-file", engine_file_name(onnx_name, sources, precision)),
        ("labelfile-path", LABELS),
        ("batch-size", sources),
        ("network-mode", NETWORK_MODES[precision]),
        ("num-detected-classes", card["num_classes"]),
        ("interval", 0),
        ("gie-unique-id", 1),
        ("network-type", 2),  # segmentation
        ("infer-dims", "3;{};{}".format(height, width)),
        ("maintain-aspect-ratio", 0),
        ("output-blob-names", card["output"]["name"]),
        ("segmentation-threshold", 0.0),
        ("segmentation-output-order", 0),  # C x H x W scores
    ]
    if calibration:
        entries.insert(5, ("int8-calib-file", calibration))
    return [("property", entries)]


def app_config(sources):
    """deepstream-app's groups: N sources through nvstreammux (batch N) into the primary GIE."""
    rows = int(sources ** 0.5)
    columns = -(-sources // rows)
    groups = [("application", [("enable-perf-measurement", 1), ("perf-measurement-interval-sec", 5)]),
              ("tiled-display", [("enable", 1), ("rows", rows), ("columns", columns), ("width", MUX_SIZE[1]),
                                 ("height", MUX_SIZE[0])])]
    for index in range(sources):  # replace each uri with a camera: rtsp://..., or type=5 for a CSI camera
        groups.append(("source{}".format(index), [("enable", 1), ("type", 3), ("uri", SAMPLE_STREAM),
                                                  ("num-sources", 1), ("gpu-id", 0)]))
    groups += [
        ("streammux", [("gpu-id", 0), ("live-source", 0), ("batch-size", sources), ("batched-push-timeout", 40000),
                       ("width", MUX_SIZE[1]), ("height", MUX_SIZE[0])]),
        ("primary-gie", [("enable", 1), ("gpu-id", 0), ("batch-size", sources), ("gie-unique-id", 1),
                         ("config-file", INFER_CONFIG)]),
        ("segvisual", [("enable", 1), ("gpu-id", 0), ("batch-size", sources), ("width", MUX_SIZE[1]),
                       ("height", MUX_SIZE[0])]),
        ("osd", [("enable", 0)]),
        ("sink0", [("enable", 1), ("type", 1), ("sync", 0)]),  # fakesink: measure; type=2 shows it on a screen
    ]
    return groups


def ini_text(groups):
    lines = ["# written by bisenet-package --deepstream"]
    for name, entries in groups:
        lines += ["", "[{}]".format(name)] + ["{}={}".format(key, value) for key, value in entries]
    return "\n".join(lines) + "\n"


def write_deepstream(model_path, kind, card, folder, sources, precision, calibration_cache=None):
    # type: (...) -> list
    """Write the DeepStream files into `folder`; their names."""
    _check(kind, card, sources, precision, calibration_cache)
    onnx = lazy_import("onnx", "--deepstream (the graph that normalizes)")
    model, _ = pixel_input_model(onnx.load(model_path), card, "float-nchw")
    onnx_name = os.path.basename(model_path)[:-len(".onnx")] + ".pixels.onnx"
    os.makedirs(folder, exist_ok=True)
    with atomic_path(os.path.join(folder, onnx_name)) as tmp:
        onnx.save(model, tmp)
    calibration = None
    if calibration_cache:
        calibration = CALIBRATION_FILE
        with atomic_path(os.path.join(folder, calibration)) as tmp:
            shutil.copyfile(calibration_cache, tmp)
    texts = [(LABELS, "\n".join(card["classes"]) + "\n"),
             (INFER_CONFIG, ini_text(infer_config(card, onnx_name, sources, precision, calibration))),
             (APP_CONFIG, ini_text(app_config(sources)))]
    for name, text in texts:
        with atomic_path(os.path.join(folder, name)) as tmp:
            with open(tmp, "w") as handle:
                handle.write(text)
    return [onnx_name] + ([calibration] if calibration else []) + [name for name, _ in texts]
