"""The build sequence each TensorRT generation gets, against the stand-in TensorRT (names in tests say
"stub"), on a real exported ONNX with its model card; engine and sidecar files are really written."""

import json
import shutil

import pytest
from trt_stubs import TX2, make_trt

from bisenet_deploy.engines.build import MIB, BuildRequest, build, describe_problems
from bisenet_deploy.engines.device import DeviceInfo
from bisenet_deploy.engines.sidecar import file_sha256, read_sidecar
from bisenet_deploy.engines.trt_api import ParseProblem, TrtApi
from bisenet_deploy.core.errors import InputError, WorkFailed

XAVIER = DeviceInfo("Xavier", "7.2", 16 * 10 ** 9, True, "R35.4.1", None, "Jetson AGX Xavier")
RTX = DeviceInfo("NVIDIA GeForce RTX 4090", "8.9", 24 * 10 ** 9, False, None, None, None)
# what each generation's build must call, in order (subsequence of the recorded calls)
EXPECTED_SEQUENCE = {
    "7.1": ["Builder", "create_network", "OnnxParser", "parse", "create_builder_config", "max_workspace_size=",
            "set_flag", "build_engine", "serialize"],
    "8.2": ["Builder", "create_network", "OnnxParser", "parse", "create_builder_config", "max_workspace_size=",
            "set_flag", "build_serialized_network"],
    "10": ["Builder", "create_network", "OnnxParser", "parse", "create_builder_config", "set_memory_pool_limit",
           "set_flag", "build_serialized_network"],
    "11": ["Builder", "create_network", "OnnxParser", "parse", "create_builder_config", "set_memory_pool_limit",
           "build_serialized_network"],
}


def is_subsequence(wanted, calls):
    remaining = iter(calls)
    return all(any(call == name for call in remaining) for name in wanted)


@pytest.fixture
def onnx_copy(tiny_onnx_labels, tmp_path):
    path = tmp_path / "model.onnx"
    shutil.copy(tiny_onnx_labels, str(path))
    return str(path)


def request(onnx_path, precision=None, **overrides):
    fields = dict(onnx_path=onnx_path, output=None, precision=precision, workspace_mib=None, timing_cache=None,
                  calib_images=None, calib_cache=None, calib_count=10, force_int8=False)
    fields.update(overrides)
    return BuildRequest(**fields)


def stub_api(generation, **options):
    stub = make_trt(generation, input_shape=(1, 3, 64, 96), output_shape=(1, 64, 96), **options)
    return stub, TrtApi(trt=stub.module)


@pytest.mark.parametrize("generation", ["7.1", "8.2", "10"])
def test_fp16_build_sequence_per_generation_with_stub(generation, onnx_copy):
    stub, api = stub_api(generation)
    result = build(request(onnx_copy, "fp16"), api, TX2, say=lambda line: None)
    calls = stub.calls.names()
    assert is_subsequence(EXPECTED_SEQUENCE[generation], calls), calls
    config = stub.built_configs[-1]
    assert config.flags == ["FP16"]
    # the workspace is always set (8.2 defaults it to 0): 1 GiB, under a quarter of the TX2's 8 GB
    assert config.workspace[1] == 1024 * MIB
    # the explicit-batch flag where it means something (bit 0); from 10 every network is explicit-batch
    create = [args for name, args in stub.calls if name == "create_network"]
    assert create == [(0,)] if generation == "10" else [(1 << 0,)]
    with open(result.engine_path, "rb") as handle:
        assert handle.read() == b"PLAN ['FP16']"
    assert result.plan.used == "fp16"


def test_default_engine_name_says_precision_version_and_gpu_with_stub(onnx_copy, tmp_path):
    stub, api = stub_api("8.2")
    result = build(request(onnx_copy, "fp16"), api, TX2, say=lambda line: None)
    assert result.engine_path == str(tmp_path / "model.fp16.trt8.2.1.8.nvidia-tegra-x2-sm62.engine")
    _, api10 = stub_api("10")
    other = build(request(onnx_copy, "fp32"), api10, RTX, say=lambda line: None)
    assert other.engine_path.endswith("model.fp32.trt10.16.1.nvidia-geforce-rtx-4090-sm89.engine")
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".engine") == sorted(
        [p.split("/")[-1] for p in (result.engine_path, other.engine_path)])


def test_sidecar_records_card_versions_device_and_precision_with_stub(onnx_copy, tiny_onnx_labels):
    stub, api = stub_api("8.2")
    result = build(request(onnx_copy, "fp16", workspace_mib=256), api, TX2, say=lambda line: None)
    sidecar = read_sidecar(result.engine_path)
    assert sidecar["tensorrt_version"] == "8.2.1.8" and sidecar["precision"] == "fp16"
    assert sidecar["device"]["compute_capability"] == "6.2" and sidecar["device"]["l4t"] == "R32.7.1"
    assert sidecar["device"]["jetpack"] == "4.6.1" and sidecar["workspace_bytes"] == 256 * MIB
    assert sidecar["model_card"]["head"] == "labels" and sidecar["model_card"]["input_size"] == [64, 96]
    assert len(sidecar["onnx"]["sha256"]) == 64 and sidecar["build_seconds"] >= 0
    with open(result.engine_path + ".json") as handle:
        assert json.load(handle) == sidecar


def test_tx2_int8_refusal_with_stub(onnx_copy, tmp_path):
    stub, api = stub_api("8.2", fast_int8=False)
    with pytest.raises(InputError) as info:
        build(request(onnx_copy, "int8", calib_images="frames/"), api, TX2, say=lambda line: None)
    message = str(info.value)
    assert "no fast INT8" in message and "--fp16" in message and "--force-int8" in message
    assert "build_serialized_network" not in stub.calls.names()
    assert not list(tmp_path.glob("*.engine"))


def test_forced_int8_on_tx2_calibrates_and_says_it_will_be_slow_with_stub(onnx_copy):
    stub, api = stub_api("8.2", fast_int8=False)
    lines = []

    class Calibrator(object):
        def __init__(self):
            self.batches = 3

        def read_calibration_cache(self):
            return None

        def get_batch(self, names):
            self.batches -= 1
            return [1234] if self.batches >= 0 else None

        def write_calibration_cache(self, data):
            self.cache = data

    calibrator = Calibrator()
    result = build(request(onnx_copy, "int8", calib_images="frames/", force_int8=True), api, TX2,
                   calibrator_factory=lambda api_, card, req: (calibrator, {"images": 3}), say=lines.append)
    assert result.plan.used == "int8" and stub.calibration_batches == 3
    assert stub.built_configs[-1].flags == ["INT8", "FP16"]
    assert stub.built_configs[-1].int8_calibrator is calibrator
    assert any("slower than FP16" in line for line in lines)
    assert read_sidecar(result.engine_path)["calibration"] == {"images": 3}


def test_int8_on_xavier_needs_calibration_data_with_stub(onnx_copy):
    stub, api = stub_api("8.2", fast_int8=True)
    with pytest.raises(InputError, match="--calib-images"):
        build(request(onnx_copy, "int8"), api, XAVIER, say=lambda line: None)


def test_trt11_builds_fp16_from_a_converted_onnx_without_flags_with_stub(onnx_copy):
    import onnx

    stub, api = stub_api("11")
    result = build(request(onnx_copy), api, RTX, say=lambda line: None)  # default: FP16, the GPU runs it fast
    assert is_subsequence(EXPECTED_SEQUENCE["11"], stub.calls.names())
    assert "set_flag" not in stub.calls.names() and result.plan.used == "fp16" and result.plan.convert_to_fp16
    assert [args for name, args in stub.calls if name == "create_network"] == [(0,)]
    parsed = onnx.load_from_string(stub.parsed)  # what TensorRT was given: FP16 weights, FP32 input and output
    assert {init.data_type for init in parsed.graph.initializer} <= {onnx.TensorProto.FLOAT16, onnx.TensorProto.INT64}
    assert parsed.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    assert read_sidecar(result.engine_path)["onnx"]["sha256"] == file_sha256(onnx_copy)  # the user's file
    with pytest.raises(InputError, match="bisenet-calibrate"):
        build(request(onnx_copy, "int8", calib_images="x/"), api, RTX, say=lambda line: None)


def test_trt11_without_the_converter_says_how_to_get_fp16_with_stub(onnx_copy, monkeypatch):
    from bisenet_deploy.engines import precision

    monkeypatch.setattr(precision, "is_installed", lambda name: name != "onnxconverter_common")
    stub, api = stub_api("11")
    assert build(request(onnx_copy), api, RTX, say=lambda line: None).plan.used == "fp32"
    with pytest.raises(InputError, match="no FP16 builder flag.*onnxconverter-common"):
        build(request(onnx_copy, "fp16"), api, RTX, say=lambda line: None)


def test_default_precision_is_fp16_where_fast_with_stub(onnx_copy):
    stub, api = stub_api("10", fast_fp16=True)
    assert build(request(onnx_copy), api, TX2, say=lambda line: None).plan.used == "fp16"
    stub, api = stub_api("10", fast_fp16=False)
    result = build(request(onnx_copy, "fp16"), api, RTX._replace(compute_capability="6.1"), say=lambda line: None)
    assert result.plan.used == "fp32" and "no fast FP16" in result.plan.notes[0]


def test_parser_errors_name_the_nodes_with_stub(onnx_copy):
    stub, api = stub_api("8.2", parse_errors=[(3, "Resize: unsupported mode", None)])
    with pytest.raises(WorkFailed) as info:
        build(request(onnx_copy, "fp16"), api, TX2, say=lambda line: None)
    text = str(info.value)
    assert "node 3 (" in text and "Resize: unsupported mode" in text
    import onnx
    node = onnx.load(onnx_copy).graph.node[3]
    assert "({}, {})".format(node.name, node.op_type) in text


def test_describe_problems_uses_the_parser_node_name_when_given():
    lines = describe_problems([ParseProblem(-1, None, "bad model"), ParseProblem(7, "Up_1", "no")], b"not onnx")
    assert lines[0] == "model: bad model" and lines[1].startswith("node 7 (Up_1")


def test_failed_build_leaves_no_engine_with_stub(onnx_copy, tmp_path):
    stub, api = stub_api("10", build_fails=True)
    with pytest.raises(WorkFailed, match="could not build"):
        build(request(onnx_copy, "fp16"), api, TX2, say=lambda line: None)
    assert [p.name for p in tmp_path.iterdir()] == ["model.onnx"]


def test_timing_cache_is_read_and_updated_with_stub(onnx_copy, tmp_path):
    cache = tmp_path / "tactics.cache"
    cache.write_bytes(b"OLD")
    stub, api = stub_api("8.2")
    build(request(onnx_copy, "fp16", timing_cache=str(cache)), api, TX2, say=lambda line: None)
    assert cache.read_bytes() == b"OLD+tactics"
    stub71, api71 = stub_api("7.1")
    lines = []
    build(request(onnx_copy, "fp16", timing_cache=str(tmp_path / "new.cache")), api71, TX2, say=lines.append)
    assert any("no timing cache" in line for line in lines) and not (tmp_path / "new.cache").exists()


def test_heartbeat_reports_during_a_long_build_with_stub(onnx_copy, monkeypatch):
    import time

    stub, api = stub_api("8.2")
    slow_build = api.build_plan

    def build_plan(*args):
        time.sleep(0.35)
        return slow_build(*args)

    monkeypatch.setattr(api, "build_plan", build_plan)
    lines = []
    build(request(onnx_copy, "fp16"), api, TX2, say=lines.append, heartbeat_seconds=0.1)
    assert sum("still working" in line for line in lines) >= 2


@pytest.mark.parametrize("content", [b"FOREIGN tactics", b"GARBAGE"])
def test_rejected_timing_cache_starts_a_new_one_with_stub(onnx_copy, tmp_path, content):
    cache = tmp_path / "tactics.cache"
    cache.write_bytes(content)
    stub, api = stub_api("8.2")
    lines = []
    build(request(onnx_copy, "fp16", timing_cache=str(cache)), api, TX2, say=lines.append)
    assert any("rejected the timing cache" in line for line in lines)
    assert cache.read_bytes() == b"+tactics"  # replaced by the new cache this build made


def test_calibrator_failure_is_raised_after_tensorrt_returns_with_stub(onnx_copy, tmp_path):
    """TensorRT calls the calibrator from C++; a failure there must surface as our error, not a crash."""
    stub, api = stub_api("8.2", fast_int8=True)

    class FailingCalibrator(object):
        error = None

        def read_calibration_cache(self):
            return None

        def get_batch(self, names):
            self.error = InputError("only 3 of the 12 selected images in frames/ could be read")
            return None

        def write_calibration_cache(self, data):
            pass

    with pytest.raises(InputError, match="could be read"):
        build(request(onnx_copy, "int8", calib_images="frames/"), api, TX2._replace(compute_capability="7.2"),
              calibrator_factory=lambda *args: (FailingCalibrator(), {}), say=lambda line: None)
    assert not list(tmp_path.glob("*.engine"))
