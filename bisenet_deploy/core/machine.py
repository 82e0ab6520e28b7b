"""Facts about this machine read from the system: usable cores, the CPU's name and, on a Jetson, the
module, L4T release, power mode and clocks (Tegra and sysfs files, nvpmodel).

Everything here is best effort: an unreadable file or a missing tool gives None, never an error.
"""

import glob
import os
import platform
import re
import subprocess


TEGRA_RELEASE = "/etc/nv_tegra_release"
DEVICE_TREE_MODEL = "/proc/device-tree/model"
CPU_FREQ_GLOB = "/sys/devices/system/cpu/cpu[0-9]*/cpufreq"
# "# R32 (release), REVISION: 7.1, GCID: ..." -> R32.7.1
TEGRA_RELEASE_PATTERN = re.compile(r"#\s*R(\d+)\s*\(release\),\s*REVISION:\s*([\d.]+)")


def usable_cores():
    # type: () -> int
    """Cores this process may run on (affinity and cpusets respected where the OS tells)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def read_text(path):
    # type: (str) -> str
    """A small system file's text (device-tree strings end in NUL), or None when unreadable or empty."""
    try:
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8", "replace").replace("\x00", "").strip() or None
    except (IOError, OSError):
        return None


def cpu_model(cpuinfo_path="/proc/cpuinfo"):
    # type: (str) -> str
    """The CPU's marketing name; ARM kernels (the TX2's) print no 'model name', so fall back."""
    text = read_text(cpuinfo_path) or ""
    fields = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        fields.setdefault(key.strip().lower(), value.strip())
    for key in ("model name", "hardware", "processor", "cpu model"):
        if fields.get(key) and not fields[key].isdigit():
            return fields[key]
    return platform.processor() or platform.machine() or None


def parse_tegra_release(text):
    # type: (str) -> str
    """'R32.7.1' from /etc/nv_tegra_release, or None when the line is not in the expected form."""
    match = TEGRA_RELEASE_PATTERN.search(text or "")
    return "R{}.{}".format(match.group(1), match.group(2)) if match else None


def jetson_facts():
    # type: () -> dict
    return {
        "model": read_text(DEVICE_TREE_MODEL),
        "l4t": parse_tegra_release(read_text(TEGRA_RELEASE)),
        "nvpmodel": nvpmodel_mode(),
        "clocks": jetson_clocks_state(),  # flattened in reports as jetson_clocks
    }


def _command_output(argv):
    # Python 3.6: no capture_output; PIPE both streams and decode as text.
    try:
        completed = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   universal_newlines=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return completed.stdout if completed.returncode == 0 else None


def parse_nvpmodel(text):
    # type: (str) -> str
    """'MAXN (0)' from `nvpmodel -q` output ('NV Power Mode: MAXN' then the mode number)."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    names = [line.split(":", 1)[1].strip() for line in lines if line.lower().startswith("nv power mode")]
    numbers = [line for line in lines if line.isdigit()]
    if not names:
        return None
    return "{} ({})".format(names[0], numbers[0]) if numbers else names[0]


def nvpmodel_mode():
    return parse_nvpmodel(_command_output(["nvpmodel", "-q"]))


def jetson_clocks_state(cpufreq_glob=CPU_FREQ_GLOB):
    # type: (str) -> str
    """'on' when every CPU's minimum frequency equals its maximum (what jetson_clocks sets), else 'off'.

    `jetson_clocks --show` needs root, so the cpufreq files are read instead; None if unreadable.
    """
    pinned = []
    for folder in sorted(glob.glob(cpufreq_glob)):
        low = read_text(os.path.join(folder, "scaling_min_freq"))
        high = read_text(os.path.join(folder, "scaling_max_freq"))
        if low is None or high is None:
            continue
        pinned.append(low == high)
    if not pinned:
        return None
    return "on" if all(pinned) else "off"
