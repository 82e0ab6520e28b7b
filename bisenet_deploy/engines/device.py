"""The GPU an engine is built for: name, compute capability, memory, and the Jetson release.

An engine only runs on the GPU model and TensorRT version that built it, so these facts go into the
engine's file name and sidecar. The GPU is asked through pycuda (no context needed); the Jetson
release is read from /etc/nv_tegra_release.
"""

import collections
import re

from ..core.errors import InputError
from ..core.lazy import lazy_import
from ..core.machine import DEVICE_TREE_MODEL, TEGRA_RELEASE, parse_tegra_release, read_text

DeviceInfo = collections.namedtuple("DeviceInfo", "name compute_capability total_memory integrated l4t jetpack model")
# compute_capability: "6.2"; total_memory: bytes; integrated: True on Jetson (CPU and GPU share DRAM);
# l4t: "R32.7.1" or None; jetpack: "4.6.1" or None; model: the Jetson module name or None

# L4T release -> JetPack (docs/tensorrt-tx2.md section 1.1, from jetson-containers' l4t_version.py)
JETPACK_BY_L4T = {
    "R32.4.3": "4.4", "R32.4.4": "4.4.1", "R32.5.0": "4.5", "R32.5.1": "4.5.1", "R32.6.1": "4.6",
    "R32.7.1": "4.6.1", "R32.7.2": "4.6.2", "R32.7.3": "4.6.3", "R32.7.4": "4.6.4", "R32.7.5": "4.6.5",
    "R32.7.6": "4.6.6",
}
# Where TensorRT 11 no longer answers platform_has_fast_fp16/int8, the architecture does:
# FP16 runs at full rate on sm_53 (Nano/TX1), sm_60, sm_62 (TX2) and Volta on; sm_61 has slow FP16.
# INT8 (DP4A / tensor cores) is fast on sm_61 and Volta on, but not on sm_53, sm_60 or sm_62 (TX2).
FAST_FP16_BELOW_VOLTA = ("5.3", "6.0", "6.2")
FAST_INT8_BELOW_VOLTA = ("6.1",)
VOLTA = (7, 0)


def _version_tuple(capability):
    return tuple(int(part) for part in capability.split("."))


def has_fast_fp16(compute_capability):
    # type: (str) -> bool
    return compute_capability in FAST_FP16_BELOW_VOLTA or _version_tuple(compute_capability) >= VOLTA


def has_fast_int8(compute_capability):
    # type: (str) -> bool
    return compute_capability in FAST_INT8_BELOW_VOLTA or _version_tuple(compute_capability) >= VOLTA


def jetson_release(tegra_release_path=TEGRA_RELEASE, model_path=DEVICE_TREE_MODEL):
    """(l4t, jetpack, model): all None off a Jetson; jetpack None for an L4T this table does not know."""
    l4t = parse_tegra_release(read_text(tegra_release_path))
    model = read_text(model_path) if l4t else None
    return l4t, JETPACK_BY_L4T.get(l4t) if l4t else None, model


def query_device(ordinal=0):
    # type: (int) -> DeviceInfo
    """The facts for CUDA device `ordinal`, from pycuda; InputError when there is no usable GPU."""
    driver = lazy_import("pycuda.driver", "finding the GPU")
    try:
        driver.init()
        device = driver.Device(ordinal)
        major, minor = device.compute_capability()
        integrated = bool(device.get_attribute(driver.device_attribute.INTEGRATED))
        name, memory = device.name(), int(device.total_memory())
    except driver.Error as exc:
        raise InputError("no usable CUDA GPU #{}: {}".format(ordinal, exc))
    l4t, jetpack, model = jetson_release()
    return DeviceInfo(name, "{}.{}".format(major, minor), memory, integrated, l4t, jetpack, model)


def device_slug(info):
    # type: (DeviceInfo) -> str
    """'nvidia-tegra-x2-sm62': the GPU in a form safe for file names, with its architecture."""
    name = re.sub(r"[^a-z0-9]+", "-", info.name.lower()).strip("-") or "gpu"
    return "{}-sm{}".format(name, info.compute_capability.replace(".", ""))


def describe(info):
    # type: (DeviceInfo) -> str
    text = "{} (sm_{}, {:.1f} GB{})".format(info.name, info.compute_capability.replace(".", ""),
                                            info.total_memory / 1e9, ", shared with the CPU" if info.integrated else "")
    if info.l4t:
        text += ", L4T {}{}".format(info.l4t, " / JetPack {}".format(info.jetpack) if info.jetpack else "")
    return text


def info_to_json(info):
    # type: (DeviceInfo) -> dict
    return dict(info._asdict())


def info_from_json(data):
    # type: (dict) -> DeviceInfo
    return DeviceInfo(*[data.get(field) for field in DeviceInfo._fields])

