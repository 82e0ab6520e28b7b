"""Findings about the machine: TensorRT, pycuda, nvcc, the CUDA GPU and what it computes fast, cameras
(V4L2 devices, the Argus socket for CSI) and the Jetson's release, power mode and clocks."""

import glob
import os
import re
import shutil
import subprocess

from ..engines.device import JETPACK_BY_L4T, has_fast_fp16, has_fast_int8
from ..core.lazy import install_hint, is_installed
from ..core.machine import TEGRA_RELEASE, jetson_facts, read_text
from ..runtime.gpu.pycuda_ops import find_nvcc
from .report import check

ARGUS_SOCKET = "/tmp/argus_socket"
VIDEO_DEVICES = "/dev/video*"
# Jetson modules by their device-tree name -> compute capability, for when pycuda cannot ask the GPU
JETSON_COMPUTE_CAPABILITY = (("TX2", "6.2"), ("TX1", "5.3"), ("Nano", "5.3"), ("Xavier", "7.2"), ("Orin", "8.7"))


def _run(argv):
    try:
        output = subprocess.check_output(argv, stderr=subprocess.STDOUT, timeout=15)
    except (OSError, subprocess.SubprocessError):
        return None
    return output.decode("utf-8", "replace")


def tensorrt_checks():
    found = []
    for name, label in (("tensorrt", "TensorRT"), ("pycuda", "pycuda")):
        if not is_installed(name):
            found.append(check(name, "gpu", label, False, "not installed", install_hint(name)))
            continue
        try:
            version = str(__import__(name).VERSION_TEXT if name == "pycuda" else __import__(name).__version__)
            found.append(check(name, "gpu", label, True, version))
        except Exception as exc:  # e.g. libnvinfer or libcuda missing under the module
            found.append(check(name, "gpu", label, False, "not importable: {}".format(str(exc)[:100]),
                               install_hint(name)))
    nvcc = find_nvcc()
    text = _run([nvcc, "--version"]) if shutil.which(nvcc) or os.access(nvcc, os.X_OK) else None
    release = re.search(r"release ([\d.]+)", text or "")
    found.append(check("nvcc", "gpu", "nvcc", bool(text), "{} ({})".format(
        "CUDA " + release.group(1) if release else "found", nvcc) if text else "not found (GPU preprocessing needs it)",
        "JetPack: sudo apt-get install cuda-toolkit-10-2 (it lands in /usr/local/cuda/bin); elsewhere the CUDA toolkit"))
    return found


def gpu_facts():
    """(name, compute capability, how it was found) or (None, None, why unknown)."""
    if is_installed("pycuda"):
        try:
            from ..engines.device import query_device
            info = query_device()
            return info.name, info.compute_capability, "pycuda"
        except Exception as exc:  # no GPU, no driver: say why
            reason = "pycuda found no GPU ({})".format(str(exc)[:80])
    else:
        reason = "pycuda is not installed"
    smi = shutil.which("nvidia-smi")
    text = _run([smi, "--query-gpu=name,compute_cap", "--format=csv,noheader"]) if smi else None
    if text and "," in text:
        name, capability = [part.strip() for part in text.strip().splitlines()[0].split(",", 1)]
        return name, capability, "nvidia-smi"
    model = read_text("/proc/device-tree/model") if os.path.isfile(TEGRA_RELEASE) else None
    for key, capability in JETSON_COMPUTE_CAPABILITY:
        if model and key.lower() in model.lower():
            return model, capability, "the Jetson module's name"
    return None, None, reason + (" and nvidia-smi is not there" if not smi else " and nvidia-smi shows no GPU")


def gpu_checks(facts=None):
    name, capability, how = facts or gpu_facts()
    if capability is None:
        why = "unknown: " + how
        fix = install_hint("pycuda")
        return [check("gpu", "gpu", "CUDA GPU", False, "none found ({})".format(how), fix),
                check("fast-fp16", "gpu", "fast FP16", None, why, fix),
                check("fast-int8", "gpu", "fast INT8", None, why, fix)]
    fp16, int8 = has_fast_fp16(capability), has_fast_int8(capability)
    return [check("gpu", "gpu", "CUDA GPU", True, "{} (sm_{}, from {})".format(name, capability.replace(".", ""), how)),
            check("fast-fp16", "gpu", "fast FP16", fp16, "yes" if fp16 else "no: build FP32 engines (--fp32)",
                  "this GPU has no fast FP16: use --fp32"),
            check("fast-int8", "gpu", "fast INT8", int8, "yes" if int8 else
                  "no (sm_{} has no DP4A/tensor cores): use --fp16".format(capability.replace(".", "")),
                  "this GPU has no fast INT8 (the TX2 has none): build with --fp16")]


def camera_checks(devices_glob=VIDEO_DEVICES, argus_socket=ARGUS_SOCKET, on_jetson=None):
    on_jetson = os.path.isfile(TEGRA_RELEASE) if on_jetson is None else on_jetson
    devices = sorted(glob.glob(devices_glob), key=lambda path: int(re.sub(r"\D", "", path) or 0))
    named = []
    for device in devices:
        name = read_text("/sys/class/video4linux/{}/name".format(os.path.basename(device)))
        named.append("{} ({})".format(device, name) if name else device)
    found = [check("camera", "cameras", "V4L2 cameras", bool(devices), ", ".join(named) or "none",
                   "plug in a USB camera (v4l2-ctl --list-devices lists them); in docker: --device /dev/video0")]
    has_socket = os.path.exists(argus_socket)
    if on_jetson or has_socket:
        found.append(check("csi", "cameras", "CSI (Argus socket)", has_socket,
                           "{} {}".format(argus_socket, "present: --camera csi" if has_socket else "missing"),
                           "sudo systemctl restart nvargus-daemon; in docker: -v /tmp/argus_socket:/tmp/argus_socket"))
    else:
        found.append(check("csi", "cameras", "CSI (Argus socket)", None, "not a Jetson", None))
    return found


def jetson_checks(on_jetson=None, facts=None):
    on_jetson = os.path.isfile(TEGRA_RELEASE) if on_jetson is None else on_jetson
    if not on_jetson:
        return [check("jetson", "jetson", "Jetson", None, "not a Jetson (no {})".format(TEGRA_RELEASE))]
    facts = facts or jetson_facts()
    jetpack = JETPACK_BY_L4T.get(facts.get("l4t") or "")
    power = facts.get("nvpmodel")
    clocks = facts.get("clocks")
    return [
        check("jetson", "jetson", "Jetson", True, "{}, L4T {}{}".format(
            facts.get("model") or "unknown module", facts.get("l4t") or "unknown",
            " (JetPack {})".format(jetpack) if jetpack else "")),
        check("nvpmodel", "jetson", "power mode (nvpmodel)", bool(power) and "MAXN" in power.upper(),
              power or "unknown (nvpmodel not found)", "sudo nvpmodel -m 0 (MAXN, the mode benchmarks use)"),
        check("jetson_clocks", "jetson", "jetson_clocks", clocks == "on", clocks or "unknown",
              "sudo jetson_clocks (pins the clocks at their maximum until reboot)"),
    ]
