"""bisenet-export end to end: real export, onnx-simplifier, ONNX Runtime against PyTorch, bad input."""

import json
import os
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
import torch.nn.functional as F

from agreement import assert_agree
from bisenet_deploy.export.checkpoint import load_checkpoint
from bisenet_deploy.export.demo import write_demo_checkpoint
from bisenet_deploy.core.modelcard import MODEL_CARD_KEY


def ort_run(path, x):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"input": x})[0]


def card_of(path):
    props = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
    return json.loads(props[MODEL_CARD_KEY])


def no_partial_files(directory):
    return not [name for name in os.listdir(str(directory)) if name.endswith(".part")]


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    """Seed-format checkpoints with random weights, keyed by (arch, in_planes, variant)."""
    root = tmp_path_factory.mktemp("ckpt")
    made = {}

    def get(arch="resnet18", in_planes=16, variant="deconv"):
        key = (arch, in_planes, variant)
        if key not in made:
            made[key] = write_demo_checkpoint(str(root / "{}_{}_{}.pth".format(*key)), arch, in_planes,
                                              37, variant, seed=in_planes)
        return made[key]

    return get


@pytest.mark.parametrize("arch, in_planes, variant, size", [
    ("resnet18", 16, "deconv", (64, 96)),
    ("resnet18", 32, "upsample", (64, 96)),
    ("resnet18", 64, "deconv", (48, 64)),
    ("resnet50", 16, "upsample", (64, 64)),
    ("resnet50", 32, "deconv", (48, 64)),
    ("resnet101", 16, "deconv", (64, 64)),
])
@pytest.mark.parametrize("upsample", ["resize", "matmul"])
def test_logits_export_matches_pytorch(tmp_path, checkpoints, run_export, arch, in_planes, variant, size, upsample):
    ckpt = checkpoints(arch, in_planes, variant)
    out = tmp_path / "m.onnx"
    code, stdout, stderr = run_export(ckpt, "-o", out, "--input-size", "{}x{}".format(*size), "--head", "logits",
                                      "--upsample", upsample)
    assert code == 0, stderr
    assert "PASSED | exact path" in stdout
    x = np.random.RandomState(1).standard_normal((1, 3) + size).astype(np.float32)
    model = load_checkpoint(ckpt).model
    with torch.no_grad():
        expected = model(torch.from_numpy(x)).numpy()
    got = ort_run(out, x)
    assert got.shape == (1, 37, size[0] // 8, size[1] // 8)
    if arch != "resnet101":
        assert np.max(np.abs(got - expected)) <= 1e-4
    else:
        # 100 float32 layers: PyTorch's own fp32 result is ~3e-4 off the fp64 truth, so judge the ONNX
        # against fp64 and require it to be no worse than PyTorch's fp32.
        with torch.no_grad():
            truth = model.double()(torch.from_numpy(x).double()).numpy()
        assert np.max(np.abs(got - truth)) <= 2 * np.max(np.abs(expected - truth)) + 1e-5


@pytest.mark.parametrize("variant", ["deconv", "upsample"])
@pytest.mark.parametrize("upsample", ["resize", "matmul"])
def test_labels_head_is_exact_argmax_of_align_corners_upsample(tmp_path, checkpoints, run_export, variant, upsample):
    ckpt = checkpoints("resnet18", 16, variant)
    out = tmp_path / "labels.onnx"
    code, stdout, stderr = run_export(ckpt, "-o", out, "--input-size", "96x128", "--upsample", upsample)
    assert code == 0, stderr
    x = np.random.RandomState(2).standard_normal((1, 3, 96, 128)).astype(np.float32)
    with torch.no_grad():
        logits = load_checkpoint(ckpt).model(torch.from_numpy(x))
        scores = F.interpolate(logits, size=(96, 128), mode="bilinear", align_corners=True)
    labels = ort_run(out, x)
    assert labels.dtype == np.int32 and labels.shape == (1, 96, 128)
    assert_agree(labels, scores.argmax(1).numpy(), 0.999)  # exact but for float ties


def test_io_contract_and_model_card(tmp_path, checkpoints, run_export):
    ckpt = checkpoints("resnet18", 16, "deconv")
    out = tmp_path / "card.onnx"
    code, _, stderr = run_export(ckpt, "-o", out, "--input-size", "64x96", "--batch", "2")
    assert code == 0, stderr
    model = onnx.load(str(out))
    (inp,), (outp,) = model.graph.input, model.graph.output
    dims = lambda v: [d.dim_value for d in v.type.tensor_type.shape.dim]
    assert inp.name == "input" and inp.type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    assert dims(inp) == [2, 3, 64, 96]
    assert outp.name == "labels" and outp.type.tensor_type.elem_type == onnx.TensorProto.INT32
    assert dims(outp) == [2, 64, 96]
    assert model.opset_import[0].version == 11
    card = card_of(out)
    assert card["architecture"] == "resnet18" and card["in_planes"] == 16 and card["variant"] == "deconv"
    assert card["classes"][0] == "wall" and card["classes"][-1] == "bag" and len(card["colors"]) == 37
    assert card["colors"][0] == [148, 65, 137]
    assert card["mean"] == [0.485, 0.456, 0.406] and card["channel_order"] == "RGB"
    assert card["input_size"] == [64, 96] and card["head"] == "labels" and card["upsample"] == "resize"
    assert card["source_checkpoint"]["sha256"] == load_checkpoint(ckpt).sha256
    assert card["verification"]["exact"] is True
    assert not any(n.op_type in ("Conv", "Resize") and n.name.startswith("mid") for n in model.graph.node)


def test_auxiliary_heads_are_not_exported(tmp_path, checkpoints, run_export):
    out = tmp_path / "l.onnx"
    assert run_export(checkpoints(), "-o", out, "--input-size", "64x64", "--head", "logits")[0] == 0
    model = onnx.load(str(out))
    assert len(model.graph.output) == 1
    init_shapes = [list(i.dims) for i in model.graph.initializer]
    # mid1/mid2 are 1x1 convs from the ARM widths (64/128 for in_planes 16) to 37 classes
    assert [37, 64, 1, 1] not in init_shapes and [37, 128, 1, 1] not in init_shapes


def test_deconv_upsample_is_reported_as_an_approximation(tmp_path, checkpoints, run_export):
    ckpt = checkpoints("resnet18", 16, "upsample")
    out = tmp_path / "approx.onnx"
    code, stdout, _ = run_export(ckpt, "-o", out, "--input-size", "64x96", "--upsample", "deconv",
                                 "--min-agreement", "0")
    assert code == 0
    assert "PASSED | approximate" in stdout and "--upsample resize" in stdout
    card = card_of(out)
    assert card["verification"]["exact"] is False and card["upsample"] == "deconv"
    assert 0.0 < card["verification"]["worst_argmax_agreement"] < 1.0
    code, stdout, stderr = run_export(ckpt, "-o", tmp_path / "strict.onnx", "--input-size", "64x96",
                                      "--upsample", "deconv", "--min-agreement", "1")
    assert code == 1 and "FAILED | --upsample deconv approximates" in stdout
    assert not (tmp_path / "strict.onnx").exists() and no_partial_files(tmp_path)


def test_learned_deconv_checkpoint_with_deconv_mode_is_exact_for_logits(tmp_path, checkpoints, run_export):
    code, stdout, _ = run_export(checkpoints(), "-o", tmp_path / "d.onnx", "--input-size", "64x64",
                                 "--head", "logits", "--upsample", "deconv")
    assert code == 0 and "PASSED | exact path" in stdout
    ops = {n.op_type for n in onnx.load(str(tmp_path / "d.onnx")).graph.node}
    assert "ConvTranspose" in ops and "Resize" not in ops


def test_auto_upsample_uses_matmul_for_trt71(tmp_path, checkpoints, run_export):
    out = tmp_path / "t71.onnx"
    code, stdout, stderr = run_export(checkpoints("resnet18", 16, "upsample"), "-o", out, "--input-size", "64x64",
                                      "--target-trt", "7.1")
    assert code == 0, stderr
    ops = {n.op_type for n in onnx.load(str(out)).graph.node}
    assert "MatMul" in ops and "Resize" not in ops
    assert card_of(out)["upsample"] == "matmul"


def test_lint_violation_fails_unless_no_lint(tmp_path, checkpoints, run_export):
    ckpt = checkpoints("resnet18", 16, "upsample")
    out = tmp_path / "lint.onnx"
    code, stdout, stderr = run_export(ckpt, "-o", out, "--input-size", "64x64", "--target-trt", "7.1",
                                      "--upsample", "resize")
    assert code == 1 and "lint violation" in stderr and "Resize" in stdout and "--upsample matmul" in stdout
    assert not out.exists() and no_partial_files(tmp_path)
    code, _, _ = run_export(ckpt, "-o", out, "--input-size", "64x64", "--target-trt", "7.1", "--upsample",
                            "resize", "--no-lint")
    assert code == 0 and out.exists() and card_of(out)["verification"]["lint_violations"] > 0


def test_opset_above_target_ceiling_is_a_lint_failure(tmp_path, checkpoints, run_export):
    code, stdout, stderr = run_export(checkpoints(), "-o", tmp_path / "o.onnx", "--input-size", "64x64",
                                      "--opset", "17")
    assert code == 1 and "opset" in stdout and not (tmp_path / "o.onnx").exists()
    code, _, _ = run_export(checkpoints(), "-o", tmp_path / "o.onnx", "--input-size", "64x64", "--opset", "17",
                            "--target-trt", "8.6")
    assert code == 0


def test_no_simplify_still_exports_a_checked_model(tmp_path, checkpoints, run_export):
    code, stdout, _ = run_export(checkpoints(), "-o", tmp_path / "raw.onnx", "--input-size", "64x64",
                                 "--no-simplify", "--head", "logits")
    assert code == 0 and "[simplify]" not in stdout
    onnx.checker.check_model(onnx.load(str(tmp_path / "raw.onnx")))


def test_default_output_name_and_custom_classes(tmp_path, checkpoints, run_export):
    ckpt = tmp_path / "run1" / "checkpoint.pth.tar"
    ckpt.parent.mkdir()
    write_demo_checkpoint(str(ckpt), "resnet18", 8, 3, "deconv")
    classes = tmp_path / "three.csv"
    classes.write_text("name,r,g,b\nbackground,0,0,0\nroad,128,64,128\ncar,0,0,142\nperson,220,20,60\n")
    code, _, stderr = run_export(ckpt, "--input-size", "64x64", "--classes", classes)
    assert code == 0, stderr
    card = card_of(tmp_path / "run1" / "checkpoint.onnx")
    assert card["classes"] == ["road", "car", "person"] and card["colors"][2] == [220, 20, 60]


@pytest.mark.parametrize("argv, fragment", [
    (["--input-size", "70x64"], "multiples of 16"),
    (["--input-size", "64"], "expected HxW"),
    (["--input-size", "8192x8192"], "larger than"),
    (["--batch", "0"], "--batch"),
    (["--frobnicate"], "unrecognized arguments"),
    (["--upsample", "cubic"], "invalid choice"),
    (["--min-agreement", "2"], "--min-agreement"),
    (["-o", "model.txt"], "must end in .onnx"),
    (["--in-planes", "32"], "does not fit"),
])
def test_bad_flags_exit_2_with_one_line(tmp_path, checkpoints, run_export, argv, fragment):
    argv = [a if a != "model.txt" else str(tmp_path / a) for a in argv]
    code, stdout, stderr = run_export(checkpoints(), *argv)
    assert code == 2
    assert fragment in stderr and len(stderr.strip().splitlines()) == 1 and "Traceback" not in stderr
    assert not [p for p in os.listdir(str(tmp_path)) if p.endswith((".onnx", ".part"))]


def test_bad_files_exit_2(tmp_path, run_export):
    evil = tmp_path / "evil.pth"

    class RunsCode(object):
        def __reduce__(self):
            return (os.mkdir, (str(tmp_path / "pwned"),))

    torch.save({"state_dict": {}, "x": RunsCode()}, evil)
    (tmp_path / "text.pth").write_text("hello")
    torch.save(torch.nn.Conv2d(3, 3, 1).state_dict(), tmp_path / "conv.pth")
    (tmp_path / "bad.csv").write_text("wall,1,2\n")
    for argv, fragment in [([tmp_path / "missing.pth"], "not found"),
                           ([evil], "--trust-checkpoint"),
                           ([tmp_path / "text.pth"], "is not a PyTorch checkpoint"),
                           ([tmp_path / "conv.pth"], "not a checkpoint of any known BiSeNet family"),
                           # a folder, even with an output inside it: the folder is named, not the output
                           ([tmp_path, "-o", tmp_path / "m.onnx"], "checkpoint is not a file: {}".format(tmp_path))]:
        code, _, stderr = run_export(*argv)
        assert code == 2 and fragment in stderr and len(stderr.strip().splitlines()) == 1, stderr
    assert not (tmp_path / "pwned").exists()
    assert not [p for p in os.listdir(str(tmp_path)) if p.endswith(".onnx")]


def test_class_list_that_does_not_match_is_rejected(tmp_path, checkpoints, run_export):
    (tmp_path / "bad.csv").write_text("wall,1,2,3\nfloor,4,5,6\n")
    code, _, stderr = run_export(checkpoints(), "--classes", tmp_path / "bad.csv", "-o", tmp_path / "x.onnx")
    assert code == 2 and "lists 2 classes but the model predicts 37" in stderr


def test_debug_shows_the_traceback(tmp_path, run_export):
    from bisenet_deploy.core.errors import InputError
    with pytest.raises(InputError):
        run_export(tmp_path / "missing.pth", "--debug")


BLOCK_HEAVY = ("import sys\n"
               "for name in ('torch', 'onnx', 'onnxsim', 'onnxruntime', 'tensorrt', 'pycuda'):\n"
               "    sys.modules[name] = None\n"
               "from bisenet_deploy.export.main import main\n"
               "sys.exit(main(sys.argv[1:]))\n")


def test_without_torch_help_works_and_export_says_how_to_install(tmp_path):
    helped = subprocess.run([sys.executable, "-c", BLOCK_HEAVY, "--help"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, universal_newlines=True)
    assert helped.returncode == 0 and "--upsample" in helped.stdout
    ran = subprocess.run([sys.executable, "-c", BLOCK_HEAVY, str(tmp_path / "x.pth")], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, universal_newlines=True)
    assert ran.returncode == 2 and "pip install" in ran.stderr and "Traceback" not in ran.stderr
