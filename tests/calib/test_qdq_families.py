"""bisenet-calibrate on CoinCheung's BiSeNetV1 and V2 (random weights, small size, few images): the QDQ
model keeps the source card (family, dataset, classes, mean/std, head upsampling, a dynamic batch axis),
its gate runs, and what it writes passes the TensorRT lint for the targets that take explicit INT8.
Also a dynamic-batch model calibrated in batches, and the implicit-INT8 calibrator at the profile's batch."""

import json

import onnx
import pytest
from trt_stubs import TX2, FakeMemory, StubPycudaDriver, make_trt

from bisenet_deploy.bench.family_models import write_family_checkpoint
from bisenet_deploy.calib import trt_calibrator
from bisenet_deploy.calib.qdq import qdq_summary
from bisenet_deploy.core.modelcard import MODEL_CARD_KEY
from bisenet_deploy.engines.build import BuildRequest, build
from bisenet_deploy.engines.trt_api import TrtApi
from bisenet_deploy.export.main import main as export_main
from bisenet_deploy.export.trt_lint import lint_model
from bisenet_deploy.runtime.model_card import load_model_card

# the card fields bisenet-run, eval and build-engine read: a QDQ copy must keep every one
KEPT = ("family", "architecture", "dataset", "num_classes", "classes", "colors", "mean", "std", "head",
        "head_upsample", "input", "output", "input_size", "dynamic_batch")
FAMILIES = {"bisenetv1": ("coincheung-v1", 171, "coco-stuff"), "bisenetv2": ("coincheung-v2", 19, "cityscapes")}


@pytest.fixture(scope="module", params=sorted(FAMILIES))
def family_onnx(request, tmp_path_factory):
    """(spec arch, ONNX path): a random-weight CoinCheung network exported at 64x128, batch axis 1..4."""
    arch = request.param
    folder = tmp_path_factory.mktemp(arch)
    checkpoint = write_family_checkpoint(str(folder / "{}.pth".format(arch)), arch, FAMILIES[arch][1])
    output = str(folder / "{}.onnx".format(arch))
    assert export_main([checkpoint, "-o", output, "--input-size", "64x128", "--head", "logits",
                        "--dynamic-batch", "4"]) == 0
    return arch, output


def card_of(model):
    return json.loads(next(p.value for p in model.metadata_props if p.key == MODEL_CARD_KEY))


def test_qdq_keeps_the_source_card_and_passes_the_lint(family_onnx, scene_dir, tmp_path, run_calibrate):
    arch, onnx_path = family_onnx
    output = str(tmp_path / "model.qdq.onnx")
    code, out, err = run_calibrate(onnx_path, "--calib-images", scene_dir, "--calib-count", "10", "--eval-count",
                                   "4", "--min-agreement", "0", "--batch-size", "2", "-o", output, "--no-progress")
    assert code == 0, err
    assert "PASSED |" in out and "batch 2" in out
    source, qdq = load_model_card(onnx_path), onnx.load(output)
    card = card_of(qdq)
    family, classes, dataset = FAMILIES[arch]
    assert (card["family"], card["num_classes"], card["dataset"]) == (family, classes, dataset)
    assert card["head_upsample"] == {"mode": "bilinear", "align_corners": False}  # CoinCheung's, not the seed's
    assert {key: card.get(key) for key in KEPT} == {key: source.get(key) for key in KEPT}
    assert card["calibration"]["images"]["batch_size"] == 2
    summary = qdq_summary(qdq)
    assert summary["Conv"]["quantized"] == summary["Conv"]["total"] > 0
    for target in ("8.0", "8.2", "10"):
        assert lint_model(qdq, target) == [], target
    assert {v.op_type for v in lint_model(qdq, "7.1")} >= {"QuantizeLinear"}  # no explicit INT8 before 8.0


def test_a_gate_failure_writes_nothing_and_exits_1(family_onnx, scene_dir, tmp_path, run_calibrate):
    _, onnx_path = family_onnx
    output = tmp_path / "never.qdq.onnx"
    code, out, err = run_calibrate(onnx_path, "--calib-images", scene_dir, "--calib-count", "10", "--eval-count",
                                   "4", "--min-agreement", "1", "-o", str(output), "--no-progress")
    # random weights are near-ties everywhere: INT8 flips a good share of their pixels (58-74 % agree here)
    assert code == 1 and "FAILED | pixel agreement" in out
    assert "nothing written" in err.strip().splitlines()[-1] and not output.exists()


def test_a_batch_outside_the_dynamic_range_is_refused(family_onnx, scene_dir, tmp_path, run_calibrate):
    _, onnx_path = family_onnx
    code, _, err = run_calibrate(onnx_path, "--calib-images", scene_dir, "--batch-size", "5", "-o",
                                 str(tmp_path / "never.qdq.onnx"))
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "takes batches of 1 to 4 (its dynamic batch axis)" in err


def test_implicit_int8_calibrates_in_batches_of_the_profiles_opt_with_stub(family_onnx, scene_dir):
    """TensorRT calibrates a dynamic network at its calibration profile's opt batch, so the calibrator's
    batches hold that many images (stand-ins for TensorRT and pycuda; names say stub)."""
    _, onnx_path = family_onnx
    card = load_model_card(onnx_path)
    assert trt_calibrator.calibration_batch(card) == 4
    memory = FakeMemory()
    stub = make_trt("8.2", memory, fast_int8=True, input_shape=(-1, 3, 64, 128), output_shape=(-1, 64, 128))
    made = {}

    def factory(api, card_, request):
        calibrator, summary = trt_calibrator.make_calibrator(api, card_, request.onnx_path, request.calib_images,
                                                             None, request.calib_count,
                                                             driver=StubPycudaDriver(memory), progress=False)
        made["calibrator"] = calibrator
        return calibrator, summary

    request = BuildRequest(onnx_path, str(onnx_path) + ".engine", "int8", None, None, scene_dir, None, 12, False)
    build(request, TrtApi(trt=stub.module), TX2._replace(name="Xavier", compute_capability="7.2"),
          calibrator_factory=factory, say=lambda line: None)
    assert made["calibrator"].get_batch_size() == 4 and stub.calibration_batches == 3  # 12 images
    config = stub.built_configs[-1]
    assert config.calibration_profile is config.profiles[0]
