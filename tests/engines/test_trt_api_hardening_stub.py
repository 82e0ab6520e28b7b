"""TensorRT adapter fixes, against the stand-in TensorRT (names say "stub"; the stub offers only the
names NVIDIA's bindings of each generation have): the explicit-batch decision for 9.x, DataType to
numpy without trt.nptype, silent parser failures, refused tensor addresses, one logger per process."""

import numpy as np
import pytest
from trt_stubs import FakeMemory, make_trt

from bisenet_deploy.core.errors import WorkFailed
from bisenet_deploy.engines.trt_api import TrtApi


@pytest.mark.parametrize("generation, flags", [("7.1", 1), ("8.2", 1), ("8.6", 1), ("9", 1), ("10", 0), ("11", 0)])
def test_explicit_batch_wherever_the_flag_still_counts_with_stub(generation, flags):
    """9.x has STRONGLY_TYPED and still needs EXPLICIT_BATCH; 10 ignores it, 11 dropped it."""
    stub = make_trt(generation)
    api = TrtApi(trt=stub.module)
    api.create_network(api.create_builder())
    assert [args for name, args in stub.calls if name == "create_network"] == [(flags,)]


@pytest.mark.parametrize("generation", ["7.1", "8.2", "8.6", "9", "10", "11"])
def test_io_dtypes_come_from_member_names_not_nptype_with_stub(generation):
    """trt.nptype of 8.0-8.5 raises AttributeError with numpy 1.24+ (np.bool); the stub reproduces that."""
    stub = make_trt(generation)
    api = TrtApi(trt=stub.module)
    _, engine = api.load_engine(b"PLAN []")
    tensors = api.io_tensors(engine)
    assert [(t.name, t.dtype) for t in tensors] == [("input", np.dtype(np.float32)), ("labels", np.dtype(np.int32))]


def test_a_type_without_a_numpy_equivalent_is_named_with_stub():
    stub = make_trt("10")
    api = TrtApi(trt=stub.module)
    with pytest.raises(Exception, match="DataType.BF16"):
        api.numpy_dtype(stub.module.DataType.BF16)


def test_parse_false_with_zero_errors_fails_with_stub():
    stub = make_trt("8.2", parse_fails_silently=True)
    api = TrtApi(trt=stub.module)
    network = api.create_network(api.create_builder())
    _, problems = api.parse_onnx(network, b"onnx bytes")
    assert len(problems) == 1 and "without an error message" in problems[0].message


def test_a_refused_tensor_address_fails_with_stub():
    memory = FakeMemory()
    stub = make_trt("10", memory, refuse_addresses_of=("labels",))
    api = TrtApi(trt=stub.module)
    _, engine = api.load_engine(b"PLAN []")
    tensors = api.io_tensors(engine)
    context = api.create_context(engine)
    with pytest.raises(WorkFailed, match="'labels'"):
        api.bind(engine, context, tensors, [0x10000, 0x20000])


def test_one_logger_per_process_with_stub():
    stub = make_trt("8.2")  # 8.2's bindings have no ILogger subclassing here: TensorRT's own Logger
    first = TrtApi(trt=stub.module)
    second = TrtApi(trt=stub.module, verbose=True)
    assert first.logger is second.logger
    assert [name for name, _ in stub.calls].count("Logger") == 1
    assert second.logger.min_severity == stub.module.Logger.VERBOSE
