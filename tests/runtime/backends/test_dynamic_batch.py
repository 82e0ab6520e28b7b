"""A model exported with --dynamic-batch N runs any batch from 1 to N on ONNX Runtime and OpenVINO, each
element's output that of the same image alone; a batch above N is refused in one line; whole frames
still go one at a time."""

import numpy as np
import pytest
from cli_capture import run_cli

from bisenet_deploy.core.errors import InputError
from bisenet_deploy.export.demo import write_demo_checkpoint
from bisenet_deploy.export.main import main as export_main
from bisenet_deploy.runtime.backends import BACKENDS, create_backend
from bisenet_deploy.runtime.model_card import load_model_card

MAX_BATCH = 4
BACKEND_OPTIONS = {"ort": {"providers": ["CPUExecutionProvider"]}, "openvino": {"precision": "fp32"}}


@pytest.fixture(scope="module", params=["labels", "logits"])
def dynamic_onnx(request, tmp_path_factory):
    """(path, card) of a random wali network exported at 64x96 with a dynamic batch axis of 1..4."""
    folder = tmp_path_factory.mktemp("dynamic_batch")
    checkpoint = write_demo_checkpoint(str(folder / "tiny.pth"), in_planes=8, num_classes=5, seed=1)
    output = str(folder / "tiny_{}.onnx".format(request.param))
    code, _, err = run_cli(export_main, checkpoint, "-o", output, "--input-size", "64x96", "--head", request.param,
                           "--dynamic-batch", MAX_BATCH, "--family", "wali")
    assert code == 0, err
    return output, load_model_card(output)


def images(count):
    return np.random.RandomState(7).standard_normal((count, 3, 64, 96)).astype(np.float32)


def backend_for(name, dynamic_onnx):
    if not BACKENDS[name].available():
        pytest.skip("{} is not installed".format(BACKENDS[name].requires[0]))
    path, card = dynamic_onnx
    return create_backend(name, path, card, 1, **BACKEND_OPTIONS[name])


def test_the_card_keeps_batch_one_shapes_and_the_range(dynamic_onnx):
    _, card = dynamic_onnx
    assert card["dynamic_batch"] == {"min": 1, "max": MAX_BATCH}
    assert card["input"]["shape"][0] == 1 and card["output"]["shape"][0] == 1


@pytest.mark.parametrize("name", ["ort", "openvino"])
def test_each_batch_element_is_its_image_alone(name, dynamic_onnx):
    x = images(MAX_BATCH)
    with backend_for(name, dynamic_onnx) as backend:
        alone = [np.array(backend.infer(x[i:i + 1]), copy=True)[0] for i in range(MAX_BATCH)]
        for size in (1, 3, MAX_BATCH):
            out = np.array(backend.infer(x[:size]), copy=True)
            assert out.shape[0] == size
            for index in range(size):
                if out.dtype.kind == "f":
                    np.testing.assert_allclose(out[index], alone[index], rtol=1e-4, atol=1e-4)
                else:
                    np.testing.assert_array_equal(out[index], alone[index])


@pytest.mark.parametrize("name", ["ort", "openvino"])
def test_a_batch_above_the_range_is_refused_in_one_line(name, dynamic_onnx):
    with backend_for(name, dynamic_onnx) as backend:
        with pytest.raises(InputError) as error:
            backend.infer(images(MAX_BATCH + 1))
    message = str(error.value)
    assert "\n" not in message
    assert "Nx3x64x96 float32 input with N from 1 to {}, got 5x3x64x96".format(MAX_BATCH) in message


@pytest.mark.parametrize("name", ["ort", "openvino"])
def test_a_wrong_image_size_is_still_refused(name, dynamic_onnx):
    with backend_for(name, dynamic_onnx) as backend:
        with pytest.raises(InputError, match="got 2x3x32x96"):
            backend.infer(np.zeros((2, 3, 32, 96), np.float32))


@pytest.mark.parametrize("name", ["ort", "openvino"])
def test_whole_frames_go_one_at_a_time(name, dynamic_onnx):
    frame = np.random.RandomState(3).randint(0, 256, (120, 160, 3)).astype(np.uint8)
    with backend_for(name, dynamic_onnx) as backend:
        labels = np.array(backend.segment_frame(frame)[0], copy=True)
    assert labels.shape == (120, 160)
