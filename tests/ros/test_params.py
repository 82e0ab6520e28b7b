"""The node's parameters: segnet's names and defaults, and one clear line for each wrong value."""

import pytest

from bisenet_deploy.core.errors import InputError
from bisenet_deploy.ros.params import read_params


def params_from(**given):
    return read_params(lambda name, default: given.get(name, default))


def test_defaults_match_segnet():
    params = params_from(model_path="m.onnx")
    assert (params.backend, params.overlay_alpha, params.mask_filter, params.overlay_filter) == (
        "auto", 150.0, "linear", "linear")
    assert (params.max_rate, params.compressed, params.precision, params.threads) == (0.0, False, "", None)


def test_values_from_the_command_line_are_read():
    params = params_from(model_path="m.engine", backend="TRT", overlay_alpha=255, mask_filter="point",
                         max_rate="2.5", compressed="true", precision="FP16", threads=2)
    assert (params.backend, params.overlay_alpha, params.mask_filter, params.max_rate) == ("trt", 255.0, "point", 2.5)
    assert (params.compressed, params.precision, params.threads) == (True, "fp16", 2)


@pytest.mark.parametrize("given,fragment", [
    ({"model_path": ""}, "~model_path is not set"),
    ({"overlay_alpha": 300}, "~overlay_alpha must be from 0 to 255"),
    ({"overlay_alpha": "half"}, "~overlay_alpha must be a number"),
    ({"mask_filter": "cubic"}, "~mask_filter must be one of linear, point"),
    ({"backend": "tensorflow"}, "~backend must be one of auto"),
    ({"max_rate": -1}, "~max_rate must be at least 0"),
    ({"precision": "fp8"}, "~precision must be one of"),
])
def test_wrong_values_are_named(given, fragment):
    given = dict({"model_path": "m.onnx"}, **given)
    with pytest.raises(InputError, match=fragment.replace("(", r"\(")):
        params_from(**given)


def test_precision_must_match_what_the_model_runs_at():
    import types
    from bisenet_deploy.ros.node import check_precision
    backend = types.SimpleNamespace(precision="fp32", name="ort")
    check_precision(params_from(model_path="m.onnx"), backend)  # unset: anything goes
    check_precision(params_from(model_path="m.onnx", precision="fp32"), backend)
    with pytest.raises(InputError, match="~precision fp16: m.onnx runs at fp32 on the ort backend"):
        check_precision(params_from(model_path="m.onnx", precision="fp16"), backend)
