"""The model zoo reproduces the seed's parameter names, shapes, counts and output geometry."""

import json
import pathlib

import pytest
import torch

from bisenet_deploy.export.families.wali_net import build_model

# Key/shape lists read off the seed (copied from shared/reference/ so the tests stand alone).
REFERENCE = pathlib.Path(__file__).resolve().parents[1] / "data"


@pytest.mark.parametrize("name, arch, in_planes, variant, params", [
    ("bisenet_wali_res18_inp32_deconv", "resnet18", 32, "deconv", 5656270),
    ("bisenet_wali_res18_inp32_upsample", "resnet18", 32, "upsample", None),
    ("bisenet_wali_res101_inp64_deconv", "resnet101", 64, "deconv", 132918510),
])
def test_state_dict_matches_seed_reference(name, arch, in_planes, variant, params):
    reference = json.loads((REFERENCE / (name + ".keys.json")).read_text())
    model = build_model(arch, in_planes, 37, variant)
    state = model.state_dict()
    assert list(state) == list(reference)  # same names in the same order
    assert {k: list(v.shape) for k, v in state.items()} == reference
    if params is not None:
        assert sum(p.numel() for p in model.parameters()) == params  # the seed's train_kd.py counts


def test_upsample_variant_is_deconv_minus_deconv_keys():
    deconv = set(build_model("resnet50", 16, 37, "deconv").state_dict())
    upsample = set(build_model("resnet50", 16, 37, "upsample").state_dict())
    assert deconv - upsample == {k for k in deconv if k.startswith(("deconv1.", "deconv2."))}
    assert len(deconv - upsample) == 12 and upsample < deconv


@pytest.mark.parametrize("arch, arm", [("resnet18", (4, 8)), ("resnet50", (16, 32))])
@pytest.mark.parametrize("in_planes", [16, 32])
def test_widths_follow_in_planes(arch, arm, in_planes):
    state = build_model(arch, in_planes, 37, "deconv").state_dict()
    assert state["arm1.conv1x1.weight"].shape[0] == arm[0] * in_planes
    assert state["arm2.conv1x1.weight"].shape[0] == arm[1] * in_planes
    assert state["ffm.cbr.conv.weight"].shape[1] == 128 + (arm[0] + arm[1]) * in_planes
    assert "context_path.layer4.2.conv2.weight" in state  # three multigrid blocks, also for resnet18


@pytest.mark.parametrize("variant", ["deconv", "upsample"])
def test_outputs_one_eighth_resolution_logits(variant):
    model = build_model("resnet18", 8, 5, variant).eval()
    with torch.no_grad():
        out = model(torch.randn(2, 3, 96, 160))
    assert out.shape == (2, 5, 12, 20)


def test_layer4_is_dilated_multigrid_at_stride_16():
    cp = build_model("resnet18", 8, 37, "deconv").context_path
    assert [b.conv1.dilation[0] for b in cp.layer4] == [2, 4, 8]
    assert all(b.conv1.stride == (1, 1) for b in cp.layer4)
    with torch.no_grad():
        x3, x4 = cp.eval()(torch.randn(1, 3, 64, 64))
    assert x3.shape[-2:] == x4.shape[-2:] == (4, 4)


def test_ffm_bn_is_never_used():
    model = build_model("resnet18", 8, 37, "deconv").eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        before = model(x)
        model.ffm.bn.weight.fill_(7.0)
        model.ffm.bn.running_mean.fill_(3.0)
        after = model(x)
    assert torch.equal(before, after)


def test_deconv_variant_rejects_sizes_not_multiple_of_16():
    model = build_model("resnet18", 8, 37, "deconv").eval()
    with pytest.raises(RuntimeError):
        with torch.no_grad():
            model(torch.randn(1, 3, 72, 64))
