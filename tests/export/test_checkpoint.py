"""Checkpoint loading: every seed configuration round-trips through shape inference, formats, safety."""

import collections
import json
import os
import pathlib

import numpy as np
import pytest
import torch

from bisenet_deploy.core.errors import InputError
from bisenet_deploy.export.families.wali_net import build_model
from bisenet_deploy.export.checkpoint import load_checkpoint
from bisenet_deploy.export.demo import randomize_batchnorm, seed_training_dict

DATA = pathlib.Path(__file__).resolve().parents[1] / "data"

# Every seed configuration; resnet101 only in a few widths because it is slow to build.
CONFIGS = [(a, p, v) for a in ("resnet18", "resnet50") for p in (16, 32, 64) for v in ("deconv", "upsample")]
CONFIGS += [("resnet101", 16, "deconv"), ("resnet101", 32, "upsample")]


def random_model(arch, in_planes, variant, num_classes=37, seed=0):
    torch.manual_seed(seed)
    return randomize_batchnorm(build_model(arch, in_planes, num_classes, variant), seed)


@pytest.mark.parametrize("arch, in_planes, variant", CONFIGS)
def test_seed_training_dict_loads_strictly_by_inference(tmp_path, arch, in_planes, variant):
    model = random_model(arch, in_planes, variant, seed=in_planes)
    path = tmp_path / "checkpoint.pth.tar"
    torch.save(seed_training_dict(model, epoch=42), path)
    loaded = load_checkpoint(str(path))
    assert loaded.config == {"family": "wali", "arch": arch, "in_planes": in_planes, "num_classes": 37,
                             "variant": variant}
    assert loaded.metadata["epoch"] == 42 and loaded.metadata["format"] == "seed training dict"
    assert loaded.metadata["best_mIoU"] == pytest.approx(0.2875)
    for key, value in model.state_dict().items():
        assert torch.equal(loaded.model.state_dict()[key], value), key
    assert not loaded.model.training


def test_bare_state_dict_with_dataparallel_prefix(tmp_path):
    model = random_model("resnet18", 16, "upsample", num_classes=14)
    bare = collections.OrderedDict(("module." + k, v) for k, v in model.state_dict().items())
    torch.save(bare, tmp_path / "dp.pth")
    loaded = load_checkpoint(str(tmp_path / "dp.pth"))
    assert loaded.config["num_classes"] == 14 and loaded.config["variant"] == "upsample"
    assert loaded.metadata == {"format": "state_dict", "dataparallel": True}
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(loaded.model(x), model.eval()(x))


def test_legacy_non_zip_format_loads(tmp_path):
    model = random_model("resnet18", 8, "deconv")
    torch.save(seed_training_dict(model), tmp_path / "legacy.pth", _use_new_zipfile_serialization=False)
    assert load_checkpoint(str(tmp_path / "legacy.pth")).config["in_planes"] == 8


def test_numpy1_pickled_metric_names_are_allowed(tmp_path):
    # numpy 1.x writers (the seed's era) pickle the scalar as numpy.core.multiarray.scalar.
    model = random_model("resnet18", 8, "deconv")
    path = tmp_path / "np1.pth"
    torch.save(seed_training_dict(model), path, _use_new_zipfile_serialization=False)
    raw = path.read_bytes().replace(b"numpy._core.multiarray", b"numpy.core.multiarray")
    assert b"numpy.core.multiarray" in raw
    path.write_bytes(raw)
    assert load_checkpoint(str(path)).metadata["best_pixelAcc"] == pytest.approx(0.6726)


def test_sha256_identifies_the_file(tmp_path):
    import hashlib
    model = random_model("resnet18", 8, "deconv")
    torch.save(model.state_dict(), tmp_path / "a.pth")
    expected = hashlib.sha256((tmp_path / "a.pth").read_bytes()).hexdigest()
    assert load_checkpoint(str(tmp_path / "a.pth")).sha256 == expected


class _RunsCode(object):
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def test_pickle_that_runs_code_is_refused_without_trust(tmp_path):
    marker = str(tmp_path / "pwned")
    torch.save({"state_dict": {}, "payload": _RunsCode(marker)}, tmp_path / "evil.pth")
    with pytest.raises(InputError) as info:
        load_checkpoint(str(tmp_path / "evil.pth"))
    assert "--trust-checkpoint" in str(info.value) and "mkdir" in str(info.value)
    assert not os.path.exists(marker)


def test_trust_checkpoint_enables_full_unpickling(tmp_path):
    model = random_model("resnet18", 8, "deconv")
    marker = str(tmp_path / "ran")
    torch.save({"state_dict": model.state_dict(), "extra": _RunsCode(marker)}, tmp_path / "trusted.pth")
    loaded = load_checkpoint(str(tmp_path / "trusted.pth"), trust=True)
    assert os.path.isdir(marker)  # the user asked for full unpickling, and got it
    assert loaded.config["in_planes"] == 8


@pytest.mark.parametrize("content, fragment", [
    (None, "not found"),
    (b"", "empty"),
    (b"this is a text file, not a checkpoint\n" * 20, "is not a PyTorch checkpoint: it is neither the zip archive"),
])
def test_unreadable_files(tmp_path, content, fragment):
    path = tmp_path / "x.pth"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError, match=fragment):
        load_checkpoint(str(path))


@pytest.mark.parametrize("legacy", [False, True])
def test_truncated_checkpoint(tmp_path, legacy):
    torch.save(seed_training_dict(random_model("resnet18", 8, "deconv")), tmp_path / "full.pth",
               _use_new_zipfile_serialization=not legacy)
    data = (tmp_path / "full.pth").read_bytes()
    (tmp_path / "cut.pth").write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="truncated") as info:
        load_checkpoint(str(tmp_path / "cut.pth"))
    assert "weights_only" not in str(info.value) and str(info.value).endswith("PyTorch's message)")  # our words


def test_ooooverflow_checkpoint_is_named_as_such(tmp_path):
    shapes = json.loads((DATA / "bisenet_ooooverflow_res18_c12.keys.json").read_text())
    torch.save({k: torch.zeros(v) for k, v in shapes.items()}, tmp_path / "camvid.pth")
    with pytest.raises(InputError, match="ooooverflow"):
        load_checkpoint(str(tmp_path / "camvid.pth"))


def test_foreign_network_state_dict(tmp_path):
    torch.save(torch.nn.Linear(3, 4).state_dict(), tmp_path / "linear.pth")
    with pytest.raises(InputError) as info:
        load_checkpoint(str(tmp_path / "linear.pth"))
    message = str(info.value)
    # one line naming every family tried and what the closest one lacks
    assert "not a checkpoint of any known BiSeNet family" in message and "\n" not in message
    assert all(name in message for name in ("wali", "coincheung-v1", "coincheung-v2", "mmseg-v1", "mmseg-v2"))
    assert "closest: " in message and "lacks " in message


def test_non_dict_payload(tmp_path):
    torch.save([1, 2, 3], tmp_path / "list.pth")
    with pytest.raises(InputError, match="not a BiSeNet checkpoint"):
        load_checkpoint(str(tmp_path / "list.pth"))


def test_override_mismatch_names_keys_and_shapes(tmp_path):
    torch.save(random_model("resnet18", 16, "deconv").state_dict(), tmp_path / "r18.pth")
    with pytest.raises(InputError) as info:
        load_checkpoint(str(tmp_path / "r18.pth"), overrides={"in_planes": 32, "variant": "upsample"})
    message = str(info.value)
    assert "context_path.conv1.weight: checkpoint [16, 3, 7, 7] vs model [32, 3, 7, 7]" in message
    assert "unexpected" in message and "deconv1.deconv.weight" in message


def test_overrides_that_agree_are_accepted(tmp_path):
    torch.save(random_model("resnet50", 16, "upsample").state_dict(), tmp_path / "r50.pth")
    loaded = load_checkpoint(str(tmp_path / "r50.pth"), overrides={"arch": "resnet50", "in_planes": None})
    assert loaded.config["arch"] == "resnet50"


def test_numpy_float64_metrics_are_plain_floats(tmp_path):
    torch.save(seed_training_dict(random_model("resnet18", 8, "deconv")), tmp_path / "c.pth")
    metadata = load_checkpoint(str(tmp_path / "c.pth")).metadata
    assert type(metadata["best_mIoU"]) is float and json.dumps(metadata)
    assert np.isfinite(metadata["best_pixelAcc"])
