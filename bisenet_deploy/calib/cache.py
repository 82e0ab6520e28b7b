"""TensorRT implicit-INT8 calibration cache files: read, write atomically, decode, and refuse a
cache that another TensorRT version or another calibrator made.

TensorRT writes the bytes itself (IInt8Calibrator.write_calibration_cache). The text format
(TensorRT sampleINT8 README, 8.2.1):

    TRT-8201-EntropyCalibration2          TRT-<version code>-<algorithm>
    input: 3c010a14                       <tensor>: <float32 scale as hex bits>, one line per tensor

The version code is major*1000 + minor*100 + patch up to TensorRT 9 (7103 = 7.1.3) and
major*10000 + minor*100 + patch from TensorRT 10 (100300 = 10.3.0). The builder reuses a cache only
when version and calibrator match and otherwise recalibrates silently (or fails, with no images), so
we check first and say what to do.
"""

import collections
import os
import re
import struct

from ..core.atomic import write_bytes_atomic
from ..core.errors import InputError

QUANTIZED_MAX = 127.0  # scale = dynamic range / 127 (sampleINT8 README)
# TensorRT calibrator class -> the algorithm name its caches carry. LegacyCalibration is inferred
# from the naming pattern, not observed in a real file.
CALIBRATOR_ALGORITHMS = collections.OrderedDict([
    ("IInt8EntropyCalibrator2", "EntropyCalibration2"),
    ("IInt8MinMaxCalibrator", "MinMaxCalibration"),
    ("IInt8EntropyCalibrator", "EntropyCalibration"),
    ("IInt8LegacyCalibrator", "LegacyCalibration"),
])
_HEADER = re.compile(r"^TRT-(\d+)-([A-Za-z][A-Za-z0-9]*)$")
_TRT_VERSION = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?")
_HEX_SCALE = re.compile(r"^[0-9a-fA-F]{1,8}$")

CacheHeader = collections.namedtuple("CacheHeader", "version algorithm")
CacheHeader.__doc__ = "version: (major, minor, patch) of the TensorRT that wrote the cache; algorithm: e.g. EntropyCalibration2"


def _text(data):
    """The cache as text, from the str, bytes or buffer (memoryview) TensorRT hands over."""
    if isinstance(data, str):
        return data
    try:
        return bytes(data).decode("ascii")
    except UnicodeDecodeError:
        return None


def decode_version_code(code):
    # type: (str) -> tuple
    """'7103' -> (7, 1, 3); '100300' -> (10, 3, 0). ValueError for any other length."""
    if not code.isdigit():
        raise ValueError("version code {!r} is not a number".format(code))
    value = int(code)
    if len(code) == 4:  # up to TensorRT 9: major*1000 + minor*100 + patch
        return value // 1000, value // 100 % 10, value % 100
    if len(code) == 6:  # TensorRT 10+: major*10000 + minor*100 + patch
        return value // 10000, value // 100 % 100, value % 100
    raise ValueError("version code {!r} has {} digits, expected 4 (TensorRT <= 9) or 6 (TensorRT >= 10)".format(
        code, len(code)))


def parse_trt_version(version):
    # type: (str) -> tuple
    """(major, minor, patch) from a TensorRT version string such as trt.__version__ '8.2.1.8'."""
    match = _TRT_VERSION.match(str(version).strip())
    if not match:
        raise ValueError("not a TensorRT version: {!r}".format(version))
    return int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)


def _version_text(version):
    return ".".join(str(part) for part in version)


def _not_a_cache(source, why):
    return InputError("{} is not a TensorRT calibration cache ({}; expected a first line such as "
                      "TRT-8201-EntropyCalibration2)".format(source, why))


def parse_header(data, source="calibration cache"):
    # type: (object, str) -> CacheHeader
    """The TensorRT version and calibrator algorithm a cache was made with; InputError if it is not a cache."""
    text = _text(data)
    if text is None:
        raise _not_a_cache(source, "binary data")
    first = text.split("\n", 1)[0].strip()
    match = _HEADER.match(first)
    if not match:
        raise _not_a_cache(source, "first line {!r}".format(first[:60]))
    try:
        version = decode_version_code(match.group(1))
    except ValueError as exc:
        raise _not_a_cache(source, str(exc))
    return CacheHeader(version, match.group(2))


def tensor_scales(data, source="calibration cache"):
    # type: (object, str) -> collections.OrderedDict
    """{tensor name: float32 scale} in file order."""
    parse_header(data, source)
    scales = collections.OrderedDict()
    for number, line in enumerate(_text(data).split("\n")[1:], start=2):
        line = line.strip()
        if not line:
            continue
        # Tensor names may themselves contain ': ' (TensorFlow-style 'x:0'), the scale never does.
        name, separator, value = line.rpartition(":")
        value = value.strip()
        if not separator or not name or not _HEX_SCALE.match(value):
            raise InputError("{}: line {} is not '<tensor>: <hex scale>': {!r}".format(source, number, line[:80]))
        scales[name] = struct.unpack(">f", struct.pack(">I", int(value, 16)))[0]
    return scales


def dynamic_ranges(data, source="calibration cache"):
    # type: (object, str) -> collections.OrderedDict
    """{tensor name: dynamic range}: the largest magnitude INT8 represents, scale * 127."""
    return collections.OrderedDict((name, scale * QUANTIZED_MAX) for name, scale in tensor_scales(data, source).items())


def describe_cache(data, source="calibration cache"):
    # type: (object, str) -> str
    header = parse_header(data, source)
    return "TensorRT {} {} cache, {} tensors".format(
        _version_text(header.version), header.algorithm, len(tensor_scales(data, source)))


def read_cache(path):
    """The cache's bytes, or None when there is no such file (TensorRT then calibrates)."""
    if not os.path.exists(path):
        return None
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except (IOError, OSError) as exc:
        raise InputError("cannot read calibration cache {}: {}".format(path, exc))


def write_cache(path, data):
    """Write the bytes TensorRT produced, atomically (a crash never leaves half a cache)."""
    write_bytes_atomic(path, data.encode("ascii") if isinstance(data, str) else bytes(data))


def check_cache_compatible(data, trt_version, algorithm, source="calibration cache"):
    # type: (object, str, str, str) -> CacheHeader
    """The cache's header, or InputError when another TensorRT major.minor or another calibrator made it.

    `trt_version` is the running TensorRT's version string (trt.__version__); `algorithm` the
    running calibrator's (see CALIBRATOR_ALGORITHMS). A patch-level difference is accepted.
    """
    header = parse_header(data, source)
    running = parse_trt_version(trt_version)
    fix = "recalibrate with --calib-images or delete {}".format(source)
    if header.version[:2] != running[:2]:
        raise InputError("{} was made by TensorRT {} ({}), but this is TensorRT {}; TensorRT does not reuse "
                         "caches across versions: {}".format(source, _version_text(header.version), header.algorithm,
                                                             _version_text(running), fix))
    if header.algorithm != algorithm:
        raise InputError("{} was made by the {} calibrator, but this build uses {}; {}".format(
            source, header.algorithm, algorithm, fix))
    return header


def load_compatible_cache(path, trt_version, algorithm):
    """The cache at `path` checked against the running TensorRT and calibrator, or None when absent."""
    data = read_cache(path)
    if data is not None:
        check_cache_compatible(data, trt_version, algorithm, path)
    return data
