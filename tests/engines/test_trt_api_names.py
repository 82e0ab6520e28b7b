"""Every TensorRT name the adapter uses exists in the bindings of each API generation that uses it.

Facts: names read off NVIDIA's real 8.6.1, 10.16.1 and 11.4.0 bindings (tests/data/tensorrt-api,
copied from shared/reference/tensorrt-api with its README); 7.1 and 8.2 are 8.6.1 minus what arrived
later (docs/tensorrt-tx2.md section 3.1).
"""

import ast
import os

import pytest
from trt_stubs import ARRIVED_8_0, ARRIVED_8_4, ARRIVED_8_5, present, reference_names

from bisenet_deploy.engines import trt_api
from bisenet_deploy.engines.trt_api import API_GROUPS, TrtApi

COMMON = ("core", "logger_severity", "build_serialized_network", "timing_cache", "optimization_profiles")
WEAK_TYPING = ("precision_flags", "platform_queries", "calibrators", "calibration_profile")
# generation -> (names file, groups its code path uses, names that did not exist yet)
GENERATIONS = {
    "7.1": ("8.6.1", ("core", "explicit_batch_flag", "workspace_attribute", "build_engine", "binding_api",
                      "optimization_profiles") + WEAK_TYPING, ARRIVED_8_0 | ARRIVED_8_4 | ARRIVED_8_5),
    "8.0/8.2": ("8.6.1", COMMON + ("explicit_batch_flag", "workspace_attribute", "binding_api") + WEAK_TYPING,
                ARRIVED_8_4 | ARRIVED_8_5),
    "8.5/8.6": ("8.6.1", COMMON + ("explicit_batch_flag", "memory_pools", "tensor_api", "binding_api")
                + WEAK_TYPING, set()),
    # 9.x: 8.6's bindings plus STRONGLY_TYPED (the names are not published; see trt_stubs.GENERATIONS)
    "9": ("8.6.1", COMMON + ("explicit_batch_flag", "memory_pools", "tensor_api", "binding_api") + WEAK_TYPING,
          set()),
    "10": ("10.16.1", COMMON + ("memory_pools", "tensor_api", "parser_node_names", "newer_data_types")
           + WEAK_TYPING, set()),
    "11": ("11.4.0", COMMON + ("memory_pools", "tensor_api", "parser_node_names", "newer_data_types"), set()),
}
# Removed in 11 by the migration guide although their names survive as tails of other strings there
REMOVED_IN_11 = {"FP16", "INT8", "EXPLICIT_BATCH"}
# Attribute names in trt_api.py that are Python's, numpy's or the adapter's own, not TensorRT's
NOT_TENSORRT = {"OrderedDict", "namedtuple", "append", "format", "join", "dtype", "shape", "name", "trt", "logger",
                "getLogger", "CRITICAL", "DEBUG", "get",  # Python logging, for TensorRT's log
                "WeakKeyDictionary", "items",  # the one-logger-per-process cache, NUMPY_BY_MEMBER
                "is_input", "min", "max"}  # fields of the adapter's IoTensor and engines.batch_profile's BatchProfile

def names_used_by_adapter():
    tree = ast.parse(open(trt_api.__file__).read())
    used = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            used.add(node.attr)
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("hasattr", "getattr"):
            name = getattr(node.args[1], "value", getattr(node.args[1], "s", None))  # ast.Str before 3.8
            if isinstance(name, str):
                used.add(name)
    return (used | set(trt_api.NUMPY_BY_MEMBER)) - NOT_TENSORRT  # DataType members are looked up by name


def test_every_tensorrt_name_in_the_adapter_is_declared_in_a_group():
    declared = {name for group in API_GROUPS.values() for name in group}
    assert names_used_by_adapter() - declared - set(dir(TrtApi)) == set()
    # and nothing is declared that the code does not reach (INT8, the BuilderFlag, is looked up by name
    # from the plan, and DataType.INT8 through NUMPY_BY_MEMBER)
    assert declared - names_used_by_adapter() == set()


@pytest.mark.parametrize("generation", sorted(GENERATIONS))
def test_names_exist_in_the_generation_that_uses_them(generation):
    names_file, groups, not_yet = GENERATIONS[generation]
    names = reference_names(names_file)
    needed = {name for group in groups for name in API_GROUPS[group]}
    missing = sorted(n for n in needed if not present(n, names) or n in not_yet)
    assert missing == [], "{} lacks {}".format(generation, missing)
    if generation == "11":
        assert needed & REMOVED_IN_11 == set()


@pytest.mark.parametrize("version,absent", [
    ("8.6.1", ["STRONGLY_TYPED", "node_name"]),  # so 8.x keeps the explicit-batch flag and node indices
    ("10.16.1", ["max_workspace_size", "build_engine", "num_bindings", "execute_async_v2", "get_binding_shape"]),
    ("11.4.0", ["int8_calibrator", "IInt8EntropyCalibrator2", "platform_has_fast_int8", "platform_has_fast_fp16"]),
])
def test_the_reference_confirms_what_later_generations_lost(version, absent):
    """The facts the feature detection relies on: these are really gone, so the fallbacks are needed."""
    names = reference_names(version)
    assert [n for n in absent if n in names] == []


def test_copied_reference_matches_shared_when_present():
    shared = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "reference", "tensorrt-api")
    if not os.path.isdir(shared):
        pytest.skip("shared/reference is not next to this checkout")
    for version in ("8.6.1", "10.16.1", "11.4.0"):
        with open(os.path.join(shared, "trt-{}.names.txt".format(version))) as handle:
            assert reference_names(version) == {line.strip() for line in handle if line.strip()}


def test_tensorrt_messages_go_through_python_logging_with_stub(caplog):
    """A stand-in ILogger with the real bindings' shape: the adapter's logger subclass forwards by severity."""
    import logging
    import types

    class Severity(object):
        INTERNAL_ERROR, ERROR, WARNING, INFO, VERBOSE = range(5)

    class ILogger(object):
        def __init__(self):
            pass

    ILogger.Severity = Severity
    logger = trt_api.python_logger(types.SimpleNamespace(ILogger=ILogger), verbose=True)
    assert isinstance(logger, ILogger)
    with caplog.at_level(logging.DEBUG, logger="bisenet_deploy.tensorrt"):
        logger.log(Severity.ERROR, "parser failed")
        logger.log(Severity.VERBOSE, "tactic chosen")
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.ERROR, "TensorRT: parser failed"), (logging.DEBUG, "TensorRT: tactic chosen")]
