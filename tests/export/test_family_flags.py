"""Flags whose rule is the checkpoint's family's: --input-size's multiple (16 for the seed, 32 for V1/V2) and
the seed-only --arch, --in-planes and --variant. A refusal is one line naming the family, and the size it
suggests is one the next run accepts."""

import os
import re

import pytest
import torch

from bisenet_deploy.core.errors import InputError
from bisenet_deploy.core.model_info import load_model_card
from bisenet_deploy.export.demo import write_demo_checkpoint
from bisenet_deploy.export.families import NAMES, family_named
from bisenet_deploy.export.input_size import check_input_size, check_side_limit

V2_TITLE = "CoinCheung/BiSeNet BiSeNetV2"
OFF_EVERY_MULTIPLE = [(500, 500), (1, 1), (70, 64), (33, 4095)]  # multiples of 16 for no family
OVER_THE_LIMIT = [(1, 99999), (4097, 32), (5000, 5000)]


@pytest.fixture(scope="module")
def v2_checkpoint(tmp_path_factory):
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("v2") / "v2.pth"
    torch.save(family_named("coincheung-v2").build({"num_classes": 19}).state_dict(), str(path))
    return str(path)


@pytest.fixture(scope="module")
def wali_checkpoint(tmp_path_factory):
    return write_demo_checkpoint(str(tmp_path_factory.mktemp("wali") / "wali.pth"), "resnet18", 16, 37, "deconv")


def one_line_refusal(result):
    code, stdout, stderr = result
    assert code == 2 and len(stderr.strip().splitlines()) == 1 and "Traceback" not in stderr, stderr
    return stderr.strip()


def suggested_size(message):
    height, width = re.search(r"e\.g\. (\d+)x(\d+)", message).groups()
    return int(height), int(width)


def refusal_of(check, *args):
    with pytest.raises(InputError) as info:
        check(*args)
    return str(info.value)


def onnx_files(directory):
    return [name for name in os.listdir(str(directory)) if name.endswith((".onnx", ".part"))]


@pytest.mark.parametrize("family", NAMES)
@pytest.mark.parametrize("size", OFF_EVERY_MULTIPLE)
def test_a_family_s_refusal_suggests_a_size_that_family_takes(family, size):
    multiple, title = family_named(family).input_multiple, family_named(family).title
    message = refusal_of(check_input_size, size, multiple, title)
    assert "multiples of {} ({} works".format(multiple, title) in message
    suggestion = suggested_size(message)
    check_input_size(suggestion, multiple, title)
    check_side_limit(suggestion)
    assert min(suggestion) >= 32, message


@pytest.mark.parametrize("size", OVER_THE_LIMIT)
def test_a_side_over_the_limit_suggests_a_size_every_family_takes(size):
    message = refusal_of(check_side_limit, size)
    suggestion = suggested_size(message)
    for family in map(family_named, NAMES):
        check_input_size(suggestion, family.input_multiple, family.title)
    check_side_limit(suggestion)
    assert min(suggestion) >= 32 and "multiples of 16, V1/V2 multiples of 32" in message


def test_a_v2_size_off_its_multiple_is_refused_once_with_its_own_rule(tmp_path, run_export, v2_checkpoint):
    """496x496 (what the 1/16 check used to suggest for 500x500) is refused by name, and the size the
    refusal suggests exports."""
    out = tmp_path / "v2.onnx"
    for requested in ("500x500", "496x496"):
        message = one_line_refusal(run_export(v2_checkpoint, "-o", out, "--input-size", requested))
        assert "multiples of 32 ({} works at 1/32); e.g. 480x480".format(V2_TITLE) in message
    message = one_line_refusal(run_export(v2_checkpoint, "-o", out, "--input-size", "100x70"))
    assert not onnx_files(tmp_path)
    code, _, stderr = run_export(v2_checkpoint, "-o", out, "--input-size", "{}x{}".format(*suggested_size(message)))
    assert code == 0, stderr
    assert load_model_card(str(out))["input_size"] == [96, 64]


def test_a_seed_size_off_its_multiple_is_refused_with_the_seed_s_rule(tmp_path, run_export, wali_checkpoint):
    message = one_line_refusal(run_export(wali_checkpoint, "-o", tmp_path / "w.onnx", "--input-size", "500x500"))
    assert "multiples of 16 (BiSeNet-wali (the seed) works at 1/16); e.g. 496x496" in message
    assert not onnx_files(tmp_path)


def test_a_huge_size_is_refused_before_the_checkpoint_is_read(tmp_path, run_export, v2_checkpoint):
    code, stdout, stderr = run_export(v2_checkpoint, "-o", tmp_path / "v2.onnx", "--input-size", "1x99999")
    message = one_line_refusal((code, stdout, stderr))
    assert "larger than 4096 pixels a side; e.g. 32x4096" in message
    assert "[load]" not in stdout and not onnx_files(tmp_path)


@pytest.mark.parametrize("argv, said", [
    (["--arch", "resnet50", "--in-planes", "32", "--variant", "upsample"],
     "--arch, --in-planes, --variant apply to BiSeNet-wali checkpoints only; {path} is " + V2_TITLE),
    (["--in-planes", "32"], "--in-planes applies to BiSeNet-wali checkpoints only; {path} is " + V2_TITLE),
    (["--family", "coincheung-v2", "--variant", "deconv"],
     "--variant applies to BiSeNet-wali checkpoints only; {path} is " + V2_TITLE + " (--family coincheung-v2)"),
])
def test_seed_only_flags_on_another_family_are_refused(tmp_path, run_export, v2_checkpoint, argv, said):
    code, stdout, stderr = run_export(v2_checkpoint, "-o", tmp_path / "x.onnx", *argv)
    assert one_line_refusal((code, stdout, stderr)) == "bisenet-export: " + said.format(path=v2_checkpoint)
    assert "[export]" not in stdout  # refused before tracing began
    assert not onnx_files(tmp_path)


def test_num_classes_still_applies_to_another_family(tmp_path, run_export, v2_checkpoint):
    message = one_line_refusal(run_export(v2_checkpoint, "-o", tmp_path / "x.onnx", "--num-classes", "7"))
    assert "does not fit CoinCheung BiSeNetV2 (7 classes)" in message


def test_a_given_arch_is_not_asked_for(tmp_path, run_export, v2_checkpoint):
    """--family wali on a V2 file: without --arch the error asks for one; with it, it says what is missing."""
    asked = one_line_refusal(run_export(v2_checkpoint, "-o", tmp_path / "x.onnx", "--family", "wali"))
    assert asked.endswith("pass --arch to say which")
    told = one_line_refusal(run_export(v2_checkpoint, "-o", tmp_path / "x.onnx", "--family", "wali",
                                       "--arch", "resnet18"))
    assert "pass --arch" not in told and "lacks context_path.conv1.weight" in told


def test_a_given_arch_is_built_for_a_seed_layout_of_unknown_depth(tmp_path, run_export, wali_checkpoint):
    """A seed file whose layer3 has one block (no known arch): --arch resnet18 builds, and the misfit is named."""
    state = torch.load(wali_checkpoint, map_location="cpu", weights_only=False)["state_dict"]
    path = tmp_path / "shallow.pth"
    torch.save({k: v for k, v in state.items() if not k.startswith("context_path.layer3.1.")}, str(path))
    asked = one_line_refusal(run_export(path, "-o", tmp_path / "x.onnx"))
    assert "basic blocks and 1 layer3 blocks" in asked and asked.endswith("pass --arch to say which")
    told = one_line_refusal(run_export(path, "-o", tmp_path / "x.onnx", "--arch", "resnet18"))
    assert "pass --arch" not in told
    assert "does not fit BiSeNet(resnet18" in told and "missing: context_path.layer3.1." in told
