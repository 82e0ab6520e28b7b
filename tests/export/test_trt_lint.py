"""Tests for bisenet_deploy/export/trt_lint.py: small ONNX graphs, each breaking one parser rule."""

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from bisenet_deploy.export import trt_lint
from bisenet_deploy.export.trt_lint import DEFAULT_TARGET, TARGETS, format_violations, lint_model

FLOAT, UINT8, INT32, INT64, DOUBLE = (TensorProto.FLOAT, TensorProto.UINT8, TensorProto.INT32,
                                      TensorProto.INT64, TensorProto.DOUBLE)
CNN_OPS = """Conv ConvTranspose BatchNormalization Relu Sigmoid Add Mul Sub Div Concat Slice MaxPool
AveragePool GlobalAveragePool ReduceMean Resize Upsample ArgMax Cast MatMul Gemm Pad Reshape Flatten
Transpose Shape Gather Unsqueeze Squeeze Constant Identity Clip TopK Softmax Expand Tile ConstantOfShape
Equal Where Floor Ceil Range""".split()


def value(name, dtype=FLOAT, shape=(1, 3, 8, 8)):
    return helper.make_tensor_value_info(name, dtype, shape)


def const(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def model_of(nodes, inputs, outputs, initializers=(), opset=11):
    graph = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(initializers))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def found(model, target, rule, node):
    """The violations of `rule` at `node` that lint_model reports for `target`."""
    return [v for v in lint_model(model, target) if v.rule == rule and v.node == node]


def assert_flagged_only_on(model, rule, node, flagged_targets):
    """`rule` fires at `node` on exactly `flagged_targets` among all targets."""
    hits = [target for target in TARGETS if found(model, target, rule, node)]
    assert hits == list(flagged_targets)


def conv_relu(opset=11):
    weight = const("w", np.ones((4, 3, 3, 3), np.float32))
    nodes = [helper.make_node("Conv", ["input", "w"], ["c"], name="conv", pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c"], ["out"], name="relu")]
    return model_of(nodes, [value("input")], [value("out", shape=(1, 4, 8, 8))], [weight], opset)


def resize(opset=11, sizes=False, scales_source="initializer", name="resize", **attrs):
    """x (1,3,8,8) -> Resize x2; scales from an initializer, a Constant node, or a run-time Mul."""
    nodes, inits = [], [const("roi", np.zeros(0, np.float32))]
    scales = np.array([1, 1, 2, 2], np.float32)
    if scales_source == "initializer":
        inits.append(const("scales", scales))
    elif scales_source == "constant":
        nodes.append(helper.make_node("Constant", [], ["scales"], value=const("v", scales)))
    else:  # computed at run time from a graph input
        inits.append(const("two", np.float32(2)))
        nodes.append(helper.make_node("Mul", ["half_scales", "two"], ["scales"], name="mul"))
    inputs = [value("input")] + ([value("half_scales", shape=(4,))] if scales_source == "runtime" else [])
    if opset < 11:
        resize_inputs = ["input", "scales"]
    elif sizes:
        inits.append(const("sizes", np.array([1, 3, 16, 16], np.int64)))
        resize_inputs = ["input", "roi", "", "sizes"]
    else:
        resize_inputs = ["input", "roi", "scales"]
    nodes.append(helper.make_node("Resize", resize_inputs, ["out"], name=name, **attrs))
    return model_of(nodes, inputs, [value("out", shape=(1, 3, 16, 16))], inits, opset)


def pad(mode="constant", pad_value=0.0, pads=(0, 0, 1, 1, 0, 0, 1, 1), runtime_pads=False, opset=11):
    inits = [const("value", np.float32(pad_value))]
    inputs = [value("input")]
    if runtime_pads:
        inputs.append(value("pads", INT64, (8,)))
    else:
        inits.append(const("pads", np.array(pads, np.int64)))
    node = helper.make_node("Pad", ["input", "pads", "value"], ["out"], name="pad", mode=mode)
    return model_of([node], inputs, [value("out", shape=None)], inits, opset)


def single(op_type, in_dtype=FLOAT, out_dtype=FLOAT, opset=11, out_shape=None, **attrs):
    node = helper.make_node(op_type, ["input"], ["out"], name="node", **attrs)
    return model_of([node], [value("input", in_dtype)], [value("out", out_dtype, out_shape)], opset=opset)


# ---- the table -------------------------------------------------------------------------------------

def test_table_has_every_target_with_opset_ops_and_constraints():
    table = trt_lint.load_support_table()
    assert sorted(table["targets"]) == sorted(TARGETS)
    for target in TARGETS:
        entry = table["targets"][target]
        assert isinstance(entry["max_opset"], int) and entry["ops"] and entry["io_dtypes"] and entry["source"]
        assert set(trt_lint._NODE_CHECKS) <= set(entry["constraints"])
        assert set(CNN_OPS) <= set(entry["ops"]), target


def test_qdq_ops_listed_from_8_0_only():
    table = trt_lint.load_support_table()["targets"]
    assert [t for t in TARGETS if "QuantizeLinear" in table[t]["ops"]] == list(TARGETS[1:])
    assert [t for t in TARGETS if "DequantizeLinear" in table[t]["ops"]] == list(TARGETS[1:])


def test_max_opset_per_target():
    assert [trt_lint.max_opset(t) for t in TARGETS] == [11, 13, 13, 17, 20, 24]
    assert DEFAULT_TARGET == "8.2"


@pytest.mark.parametrize("call", [lambda: lint_model(conv_relu(), "9.0"), lambda: trt_lint.max_opset("8.5")])
def test_unknown_target_raises_value_error(call):
    with pytest.raises(ValueError, match="unknown TensorRT target"):
        call()


# ---- whole-model rules -----------------------------------------------------------------------------

@pytest.mark.parametrize("target", TARGETS)
def test_clean_conv_relu_has_no_violations(target):
    assert lint_model(conv_relu(), target) == []


def test_default_target_is_8_2():
    model = conv_relu(opset=17)
    assert lint_model(model) == lint_model(model, "8.2") != []


def test_opset_17_flagged_up_to_8_2_not_from_8_6():
    model = conv_relu(opset=17)
    assert_flagged_only_on(model, "opset", "<model>", ["7.1", "8.0", "8.2"])
    assert "--opset 13" in found(model, "8.2", "opset", "<model>")[0].fix


def test_opset_12_flagged_only_on_7_1():
    assert_flagged_only_on(conv_relu(opset=12), "opset", "<model>", ["7.1"])


def test_uint8_input_flagged_before_8_6():
    nodes = [helper.make_node("Cast", ["input"], ["f"], name="to_float", to=FLOAT),
             helper.make_node("Relu", ["f"], ["out"], name="relu")]
    model = model_of(nodes, [value("input", UINT8)], [value("out")])
    assert_flagged_only_on(model, "io_dtype", "input", ["7.1", "8.0", "8.2"])


def test_bare_argmax_int64_output_flagged_before_10_with_cast_fix():
    model = single("ArgMax", out_dtype=INT64, axis=1, keepdims=0)
    assert_flagged_only_on(model, "io_dtype", "out", ["7.1", "8.0", "8.2", "8.6"])
    violation = found(model, "8.2", "io_dtype", "out")[0]
    assert violation.op_type == "<output>" and "INT64" in violation.message
    assert violation.fix == "Cast to int32 (bisenet-export --head labels does this)"


@pytest.mark.parametrize("target", TARGETS)
def test_argmax_cast_to_int32_labels_head_is_clean(target):
    nodes = [helper.make_node("ArgMax", ["input"], ["idx"], name="argmax", axis=1, keepdims=0),
             helper.make_node("Cast", ["idx"], ["labels"], name="to_int32", to=INT32)]
    model = model_of(nodes, [value("input")], [value("labels", INT32, (1, 8, 8))])
    assert lint_model(model, target) == []


def test_double_output_and_cast_to_double_flagged_before_10():
    model = single("Cast", out_dtype=DOUBLE, to=DOUBLE)
    assert_flagged_only_on(model, "io_dtype", "out", ["7.1", "8.0", "8.2", "8.6"])
    assert_flagged_only_on(model, "cast_to", "node", ["7.1", "8.0", "8.2", "8.6"])


def test_initializers_listed_as_inputs_are_not_io():
    # IR < 4 style: weights repeated in graph.input; an int64 weight there is not an int64 input.
    model = conv_relu()
    model.graph.initializer.append(const("shape", np.array([1, 4], np.int64)))
    model.graph.input.append(value("shape", INT64, (2,)))
    assert lint_model(model, "7.1") == []


@pytest.mark.parametrize("target", TARGETS)
def test_custom_domain_op_flagged_everywhere(target):
    node = helper.make_node("Gelu", ["input"], ["out"], name="gelu", domain="com.microsoft")
    model = model_of([node], [value("input")], [value("out")])
    model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    assert found(model, target, "unsupported_op", "gelu")


def test_unsupported_op_named_and_allowed_where_listed():
    model = single("NonZero", out_dtype=INT64, out_shape=(4, None))
    assert_flagged_only_on(model, "unsupported_op", "node", ["7.1", "8.0", "8.2"])
    assert "NonZero" in found(model, "8.2", "unsupported_op", "node")[0].message


def test_quantize_linear_flagged_on_7_1_only():
    nodes = [helper.make_node("QuantizeLinear", ["input", "s", "z"], ["q"], name="quant"),
             helper.make_node("DequantizeLinear", ["q", "s", "z"], ["out"], name="dequant")]
    inits = [const("s", np.float32(0.1)), const("z", np.int8(0))]
    model = model_of(nodes, [value("input")], [value("out")], inits, opset=13)
    assert_flagged_only_on(model, "unsupported_op", "quant", ["7.1"])
    assert_flagged_only_on(model, "unsupported_op", "dequant", ["7.1"])
    assert "8.0" in found(model, "7.1", "unsupported_op", "quant")[0].fix


def test_unnamed_nodes_get_op_and_index_names():
    model = resize(name="", mode="linear")
    assert found(model, "7.1", "resize_mode", "Resize_0")


# ---- Resize / Upsample -----------------------------------------------------------------------------

def test_linear_align_corners_resize_flagged_on_7_1_not_8_x():
    model = resize(mode="linear", coordinate_transformation_mode="align_corners")
    assert_flagged_only_on(model, "resize_mode", "resize", ["7.1"])
    assert "--upsample matmul" in found(model, "7.1", "resize_mode", "resize")[0].fix
    assert found(model, "7.1", "resize_nearest_mode", "resize") == []  # nearest_mode only matters for nearest
    for target in TARGETS[1:]:
        assert lint_model(model, target) == []


def test_linear_resize_with_sizes_still_flagged_on_7_1():
    assert_flagged_only_on(resize(sizes=True, mode="linear"), "resize_mode", "resize", ["7.1"])


def test_nearest_resize_on_7_1_needs_asymmetric_floor():
    default = resize(mode="nearest")  # half_pixel + round_prefer_floor by default
    assert_flagged_only_on(default, "resize_coordinate_transformation_mode", "resize", ["7.1"])
    assert_flagged_only_on(default, "resize_nearest_mode", "resize", ["7.1"])
    good = resize(mode="nearest", coordinate_transformation_mode="asymmetric", nearest_mode="floor")
    assert lint_model(good, "7.1") == []


def test_opset_10_resize_defaults_to_asymmetric_floor():
    assert lint_model(resize(opset=10, mode="nearest"), "7.1") == []
    assert found(resize(opset=10, mode="linear"), "7.1", "resize_mode", "resize")


def test_cubic_and_crop_resize_flagged_on_every_target():
    assert_flagged_only_on(resize(mode="cubic"), "resize_mode", "resize", TARGETS)
    crop = resize(mode="linear", coordinate_transformation_mode="tf_crop_and_resize")
    assert_flagged_only_on(crop, "resize_coordinate_transformation_mode", "resize", TARGETS)


def test_round_prefer_ceil_nearest_allowed_from_8_0():
    model = resize(mode="nearest", coordinate_transformation_mode="asymmetric", nearest_mode="round_prefer_ceil")
    assert_flagged_only_on(model, "resize_nearest_mode", "resize", ["7.1"])


def test_runtime_resize_scales_flagged_until_8_6():
    model = resize(mode="linear", scales_source="runtime")
    assert_flagged_only_on(model, "resize_scales", "resize", ["7.1", "8.0", "8.2", "8.6"])


def test_opset_10_resize_reads_scales_from_input_1():
    model = resize(opset=10, mode="linear", scales_source="runtime")
    assert_flagged_only_on(model, "resize_scales", "resize", ["7.1", "8.0", "8.2", "8.6"])


@pytest.mark.parametrize("kwargs", [{"scales_source": "constant"}, {"sizes": True}])
def test_constant_node_scales_or_sizes_are_fine(kwargs):
    assert found(resize(mode="linear", **kwargs), "8.2", "resize_scales", "resize") == []


def test_runtime_scales_ignored_when_sizes_given():
    model = resize(mode="linear", scales_source="runtime", sizes=True)
    model.graph.node[-1].input[2] = "scales"  # both given: sizes wins, scales unused
    assert found(model, "8.2", "resize_scales", "resize") == []


def test_antialias_resize_flagged_on_10_and_11():
    model = resize(opset=18, mode="linear", antialias=1)
    assert_flagged_only_on(model, "resize_antialias", "resize", TARGETS)
    assert lint_model(resize(opset=18, mode="linear"), "10") == []


def test_upsample_runtime_scales_and_bad_mode():
    nodes = [helper.make_node("Mul", ["half", "two"], ["scales"], name="mul"),
             helper.make_node("Upsample", ["input", "scales"], ["out"], name="up", mode="nearest")]
    model = model_of(nodes, [value("input"), value("half", shape=(4,))], [value("out", shape=None)],
                     [const("two", np.float32(2))], opset=9)
    assert_flagged_only_on(model, "upsample_scales", "up", TARGETS)
    cubic = model_of([helper.make_node("Upsample", ["input", "s"], ["out"], name="up", mode="cubic")],
                     [value("input")], [value("out", shape=None)],
                     [const("s", np.array([1, 1, 2, 2], np.float32))], opset=9)
    assert_flagged_only_on(cubic, "upsample_mode", "up", TARGETS)
    assert found(cubic, "8.2", "upsample_scales", "up") == []


# ---- Pad -------------------------------------------------------------------------------------------

def test_edge_pad_flagged_on_8_0_not_8_2():
    assert_flagged_only_on(pad(mode="edge"), "pad_mode", "pad", ["7.1", "8.0"])


def test_wrap_pad_needs_10():
    assert_flagged_only_on(pad(mode="wrap", opset=19), "pad_mode", "pad", ["7.1", "8.0", "8.2", "8.6"])


def test_nonzero_constant_pad_flagged_on_7_1_and_8_0():
    assert_flagged_only_on(pad(pad_value=1.0), "pad_value", "pad", ["7.1", "8.0"])
    assert found(pad(), "8.0", "pad_value", "pad") == []


def test_runtime_pads_flagged_on_7_1_and_8_0():
    assert_flagged_only_on(pad(runtime_pads=True), "pad_pads", "pad", ["7.1", "8.0"])


def test_channel_padding_flagged_on_7_1_and_8_0():
    assert_flagged_only_on(pad(pads=(0, 1, 0, 0, 0, 1, 0, 0)), "pad_dims", "pad", ["7.1", "8.0"])


def test_opset_2_pad_attributes_are_read():
    node = helper.make_node("Pad", ["input"], ["out"], name="pad", mode="constant",
                            pads=[0, 0, 1, 1, 0, 0, 1, 1], value=2.0)
    model = model_of([node], [value("input")], [value("out", shape=None)], opset=10)
    assert_flagged_only_on(model, "pad_value", "pad", ["7.1", "8.0"])


# ---- ArgMax / Cast / ConvTranspose -----------------------------------------------------------------

def test_argmax_select_last_index_flagged_on_7_1_only():
    nodes = [helper.make_node("ArgMax", ["input"], ["idx"], name="argmax", axis=1, select_last_index=1),
             helper.make_node("Cast", ["idx"], ["out"], name="to_int32", to=INT32)]
    model = model_of(nodes, [value("input")], [value("out", INT32, None)], opset=12)
    assert_flagged_only_on(model, "argmax_select_last_index", "argmax", ["7.1"])


def test_argmax_int_input_found_by_type_inference():
    # The ArgMax input is an intermediate tensor: only shape inference knows it is int32.
    nodes = [helper.make_node("Cast", ["input"], ["i"], name="to_int", to=INT32),
             helper.make_node("ArgMax", ["i"], ["idx"], name="argmax", axis=1),
             helper.make_node("Cast", ["idx"], ["out"], name="to_int32", to=INT32)]
    model = model_of(nodes, [value("input")], [value("out", INT32, None)])
    assert_flagged_only_on(model, "argmax_input_dtype", "argmax", ["7.1", "8.0", "8.2"])


def test_cast_to_uint8_flagged_up_to_8_2():
    model = single("Cast", out_dtype=UINT8, to=UINT8)
    assert_flagged_only_on(model, "cast_to", "node", ["7.1", "8.0", "8.2"])


def deconv(runtime_weights=False, runtime_bias=False):
    inputs, inits = [value("input")], []
    for name, shape in (("w", (3, 3, 2, 2)), ("b", (3,))):
        if (runtime_weights if name == "w" else runtime_bias):
            inputs.append(value(name, shape=shape))
        else:
            inits.append(const(name, np.ones(shape, np.float32)))
    node = helper.make_node("ConvTranspose", ["input", "w", "b"], ["out"], name="deconv", strides=[2, 2])
    return model_of([node], inputs, [value("out", shape=(1, 3, 16, 16))], inits)


def test_deconv_runtime_weights_flagged_everywhere():
    assert_flagged_only_on(deconv(runtime_weights=True), "convtranspose_weights", "deconv", TARGETS)


def test_deconv_runtime_bias_flagged_from_8_0():
    assert_flagged_only_on(deconv(runtime_bias=True), "convtranspose_bias", "deconv", TARGETS[1:])


@pytest.mark.parametrize("target", TARGETS)
def test_deconv_with_initializers_is_clean(target):
    assert lint_model(deconv(), target) == []


# ---- report ----------------------------------------------------------------------------------------

def test_format_violations_lists_node_names_and_fixes_one_per_line():
    model = resize(mode="linear", coordinate_transformation_mode="align_corners", opset=12)
    violations = lint_model(model, "7.1")
    text = format_violations(violations, "7.1")
    lines = text.splitlines()
    assert len(violations) >= 2 and len(lines) == len(violations) + 2  # header, rows, verdict
    assert lines[-1].startswith("FAILED | {} problem".format(len(violations)))
    for violation, line in zip(violations, lines[1:-1]):
        assert line.startswith(violation.node) and violation.fix in line and violation.rule in line
    assert "resize" in text and "--upsample matmul" in text and "<model>" in text


def test_format_violations_passes_clean_model():
    assert format_violations(lint_model(conv_relu(), "8.2"), "8.2").startswith("PASSED | ")
