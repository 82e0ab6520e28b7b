"""The training script, a few iterations only (the real run takes ~15 minutes): the loss falls, and
what it writes is a seed-format checkpoint that the safe loader reads."""

import os
import sys

import numpy as np
import torch

from bisenet_deploy.export.checkpoint import load_checkpoint, read_checkpoint_file

sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, "scripts"))
import train_demo_model as train  # noqa: E402


def test_a_few_steps_lower_the_loss():
    args = train.parse_args(["-o", "unused.pth", "--steps", "12", "--batch", "4", "--crop", "64x96",
                             "--warmup", "2", "--lr", "0.02", "--log-every", "1"])
    images, labels = train.make_scenes(5, 6, (96, 128))
    torch.manual_seed(0)
    model = train.build_model("resnet18", 16, train.NUM_CLASSES, "deconv")
    history, _ = train.train(args, model, images, labels, log=lambda message: None)
    losses = [loss for _, loss in history]
    assert len(losses) == 12 and all(np.isfinite(losses))
    assert np.mean(losses[-3:]) < 0.8 * np.mean(losses[:3])


def test_the_script_writes_a_checkpoint_the_safe_loader_reads(tmp_path):
    output = tmp_path / "model.pth"
    code = train.main(["-o", str(output), "--train-scenes", "4", "--held-out", "2", "--steps", "2", "--batch", "2",
                       "--size", "64x96", "--crop", "64x64", "--warmup", "1"])
    assert code == 0
    raw = read_checkpoint_file(str(output))  # weights_only=True with the seed's numpy allow-list
    assert set(raw) == {"epoch", "state_dict", "best_mIoU", "best_pixelAcc", "demo_model"}
    assert isinstance(raw["best_mIoU"], np.float64) and raw["epoch"] == 2
    assert all(v.dtype == torch.float16 for v in raw["state_dict"].values() if v.is_floating_point())
    checkpoint = load_checkpoint(str(output))
    assert checkpoint.config == {"arch": "resnet18", "in_planes": 16, "num_classes": 37, "variant": "deconv"}
    assert checkpoint.metadata["stored_dtype"] == "float16"
    assert checkpoint.metadata["best_mIoU"] == raw["demo_model"]["held_out_mIoU"]


def test_same_seed_trains_the_same_weights():
    args = train.parse_args(["-o", "unused.pth", "--steps", "3", "--batch", "2", "--crop", "64x64", "--warmup", "1"])
    images, labels = train.make_scenes(5, 3, (64, 96))
    states = []
    for _ in range(2):
        torch.manual_seed(args.seed)
        model = train.build_model("resnet18", 16, train.NUM_CLASSES, "deconv")
        history, _ = train.train(args, model, images, labels, log=lambda message: None)
        states.append((history, model.state_dict()))
    assert states[0][0] == states[1][0]
    assert all(torch.equal(states[0][1][k], states[1][1][k]) for k in states[0][1])
