"""Tests for bisenet_deploy/calib/cache.py on cache texts written here in TensorRT's format."""

import os
import struct

import pytest

from bisenet_deploy.calib.cache import CALIBRATOR_ALGORITHMS, check_cache_compatible, decode_version_code, describe_cache, dynamic_ranges, load_compatible_cache, parse_header, parse_trt_version, read_cache, tensor_scales, write_cache
from bisenet_deploy.core.errors import InputError


def hex_scale(value):
    """TensorRT's spelling of a float32 scale: its bits in hex, without leading zeros."""
    return "{:x}".format(struct.unpack(">I", struct.pack(">f", value))[0])


def cache_text(header, scales):
    return "\n".join([header] + ["{}: {}".format(name, hex_scale(scale)) for name, scale in scales]) + "\n"


SCALES = [("input", 2.5 / 127), ("(Unnamed Layer* 3) [Convolution]_output", 0.04), ("x:0", 1.0 / 127), ("dead", 0.0)]


@pytest.mark.parametrize("code, version", [
    ("7103", (7, 1, 3)), ("8201", (8, 2, 1)), ("8001", (8, 0, 1)), ("7000", (7, 0, 0)), ("8510", (8, 5, 10)),
    ("100300", (10, 3, 0)), ("101601", (10, 16, 1)),
])
def test_version_codes_of_both_generations_decode(code, version):
    assert decode_version_code(code) == version


@pytest.mark.parametrize("code", ["810", "81000", "1003000", "8.2", ""])
def test_other_version_code_lengths_are_refused(code):
    with pytest.raises(ValueError):
        decode_version_code(code)


def test_header_names_version_and_algorithm():
    header = parse_header(cache_text("TRT-8201-EntropyCalibration2", SCALES).encode())
    assert header.version == (8, 2, 1) and header.algorithm == "EntropyCalibration2"
    assert parse_header("TRT-100300-MinMaxCalibration\r\n").version == (10, 3, 0)


@pytest.mark.parametrize("data", [
    b"", b"hello\n", b"TRT-EntropyCalibration2\n", b"TRT-81-EntropyCalibration2\n", b"TRT-8201-\n",
    b"\x89PNG\r\n\x1a\n\xff\xfe", b"# TRT-8201-EntropyCalibration2\n",
])
def test_malformed_headers_are_not_a_cache(data):
    with pytest.raises(InputError, match="is not a TensorRT calibration cache"):
        parse_header(data, "calib.cache")


def test_scales_and_dynamic_ranges_decode_the_hex_floats():
    data = cache_text("TRT-7103-EntropyCalibration2", SCALES).encode()
    scales = tensor_scales(data)
    assert list(scales) == [name for name, _ in SCALES]  # file order, names with ':' and spaces intact
    for name, scale in SCALES:
        assert scales[name] == pytest.approx(scale, rel=1e-7)
    ranges = dynamic_ranges(data)
    assert ranges["input"] == pytest.approx(2.5, rel=1e-6)
    assert ranges["x:0"] == pytest.approx(1.0, rel=1e-6)
    assert ranges["dead"] == 0.0
    assert describe_cache(data) == "TensorRT 7.1.3 EntropyCalibration2 cache, 4 tensors"
    # the sampleINT8 README's example line: 0x3c008912 is 0.0078452 as a float32
    assert dynamic_ranges("TRT-8201-EntropyCalibration2\ndata: 3c008912\n")["data"] == pytest.approx(0.99634, rel=1e-5)


@pytest.mark.parametrize("line", ["input 3c008912", "input: 3c00891234", "input: zz", ": 3c008912"])
def test_a_malformed_tensor_line_is_named(line):
    with pytest.raises(InputError, match="line 2"):
        tensor_scales("TRT-8201-EntropyCalibration2\n{}\n".format(line), "calib.cache")


def test_write_then_read_round_trips_without_leftovers(tmp_path):
    path = str(tmp_path / "sub" / "model.calib")
    data = cache_text("TRT-8201-EntropyCalibration2", SCALES).encode()
    write_cache(path, memoryview(data))  # TensorRT hands the calibrator a buffer, not bytes
    assert read_cache(path) == data
    assert os.listdir(str(tmp_path / "sub")) == ["model.calib"]
    assert read_cache(str(tmp_path / "absent.calib")) is None


def test_same_major_minor_and_calibrator_is_accepted():
    data = cache_text("TRT-8201-EntropyCalibration2", SCALES)
    assert check_cache_compatible(data, "8.2.1.8", "EntropyCalibration2").version == (8, 2, 1)
    assert check_cache_compatible(data, "8.2.3.0", "EntropyCalibration2").algorithm == "EntropyCalibration2"
    assert check_cache_compatible(cache_text("TRT-100300-EntropyCalibration2", SCALES), "10.3.0.26",
                                  "EntropyCalibration2").version == (10, 3, 0)


def test_another_tensorrt_version_is_rejected_with_what_to_do():
    data = cache_text("TRT-7103-EntropyCalibration2", SCALES)
    with pytest.raises(InputError) as info:
        check_cache_compatible(data, "8.2.1.8", "EntropyCalibration2", "model.calib")
    message = str(info.value)
    assert "TensorRT 7.1.3" in message and "TensorRT 8.2.1" in message
    assert "--calib-images" in message and "delete model.calib" in message
    with pytest.raises(InputError, match="TensorRT 8.6.1"):
        check_cache_compatible(cache_text("TRT-8601-EntropyCalibration2", SCALES), "10.3.0", "EntropyCalibration2")


def test_another_calibrator_is_rejected():
    data = cache_text("TRT-8201-MinMaxCalibration", SCALES)
    with pytest.raises(InputError, match="MinMaxCalibration calibrator, but this build uses EntropyCalibration2"):
        check_cache_compatible(data, "8.2.1", CALIBRATOR_ALGORITHMS["IInt8EntropyCalibrator2"], "model.calib")


def test_load_compatible_cache_checks_the_file(tmp_path):
    path = str(tmp_path / "model.calib")
    assert load_compatible_cache(path, "8.2.1", "EntropyCalibration2") is None
    write_cache(path, cache_text("TRT-8001-EntropyCalibration2", SCALES).encode())
    with pytest.raises(InputError, match="made by TensorRT 8.0.1"):
        load_compatible_cache(path, "8.2.1", "EntropyCalibration2")
    assert load_compatible_cache(path, "8.0.1.6", "EntropyCalibration2").startswith(b"TRT-8001-")


def test_running_version_strings_parse():
    assert parse_trt_version("8.2.1.8") == (8, 2, 1)
    assert parse_trt_version("10.16") == (10, 16, 0)
    with pytest.raises(ValueError):
        parse_trt_version("unknown")
