#!/usr/bin/env python3
"""Train the demo model: the seed's BiSeNet (ResNet-18 context path, in_planes=16, 37 SUN RGB-D
classes, deconv fusion) on generated scenes, on a CPU, deterministic by seed.

The seed's recipe where it applies (seed-notes.md 1.7-1.8): SGD with momentum, poly learning rate
(power 0.9), cross-entropy with ignore index 255 summed over the main output and the auxiliary heads
mid1/mid2, random crops and horizontal flips, main logits upsampled with align_corners=True before
the loss and before the argmax. Not from the seed, for a short training from scratch on a CPU: a
linear warm-up, inverse square-root class-frequency weights, the auxiliary heads' loss taken at
their own 1/8 size against nearest labels (the seed upsamples them too; see seg_loss), the upsample
as two matrix products, and bfloat16 autocast on CPUs that have it (AMX/AVX-512 BF16; measured
speed-up in the README, benchmarks/train_step_bf16.py).

Writes the seed's checkpoint format (epoch, state_dict, best_mIoU/best_pixelAcc as numpy float64,
no optimizer state) with float16 tensors to keep the shipped file small; the held-out metrics are
measured on exactly those float16-rounded weights, in float32, through the project's own
preprocessing and metrics, so bisenet-eval reproduces them.

    .venv/bin/python scripts/train_demo_model.py -o bisenet_deploy/data/scenes_res18_inp16.pth

(its defaults are the shipped model's: 9000 steps, 2 threads; about 21 min on an idle 2-core CPU)
"""

import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bisenet_deploy.core.atomic import atomic_path  # noqa: E402
from bisenet_deploy.export.families.wali_net import build_model  # noqa: E402
from bisenet_deploy.core.modelcard import IMAGENET_MEAN, IMAGENET_STD  # noqa: E402
from bisenet_deploy.core.metrics import IGNORE_INDEX, ConfusionMatrix  # noqa: E402
from bisenet_deploy.scenes.demo_model import HELD_OUT_COUNT, HELD_OUT_SEED  # noqa: E402
from bisenet_deploy.scenes.scene import render_scene  # noqa: E402

NUM_CLASSES = 37


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-o", "--output", required=True, help="checkpoint to write (.pth)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--train-scenes", type=int, default=1200)
    parser.add_argument("--held-out", type=int, default=HELD_OUT_COUNT, help="scenes evaluated after training")
    parser.add_argument("--size", default="192x256", help="scene size HxW (the export size)")
    parser.add_argument("--crop", default="128x176", help="training crop HxW (multiples of 16)")
    parser.add_argument("--steps", type=int, default=9000)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--weight-decay", type=float, default=1e-4)
    parser.add_argument("--threads", type=int, default=2,
                        help="CPU threads (the result depends on it; 1 is faster on cores shared with other jobs)")
    parser.add_argument("--no-bf16", action="store_true", help="train in float32 even where bfloat16 runs")
    parser.add_argument("--log-every", type=int, default=100)
    parser.add_argument("--no-class-weights", dest="class_weights", action="store_false",
                        help="plain cross-entropy (the seed's) instead of inverse sqrt-frequency weights")
    parser.add_argument("--snapshot-every", type=int, default=0,
                        help="also evaluate and save OUTPUT.stepN.pth every N steps (a learning curve)")
    return parser.parse_args(argv)


def hw(text):
    height, width = (int(v) for v in text.lower().split("x"))
    return height, width


def make_scenes(seed, count, size):
    """(images RGB uint8 (n, h, w, 3), labels uint8 (n, h, w)) of scenes 0..count-1 of `seed`."""
    images = np.zeros((count, size[0], size[1], 3), np.uint8)
    labels = np.zeros((count, size[0], size[1]), np.uint8)
    for index in range(count):
        bgr, labels[index] = render_scene(seed, index, size[0], size[1])
        images[index] = bgr[:, :, ::-1]
    return images, labels


def to_input(images):
    """Normalized float32 NCHW tensor from RGB uint8 NHWC, as the reference preprocessing makes it."""
    x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float() / 255.0
    mean = torch.tensor(IMAGENET_MEAN, dtype=torch.float32).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, dtype=torch.float32).view(1, 3, 1, 1)
    return (x - mean) / std


def sample_batch(rng, images, labels, batch, crop):
    """Random crops with random horizontal flips, the seed's training augmentation at fixed scale."""
    picks = rng.randint(0, len(images), batch)
    height, width = images.shape[1:3]
    xs, ys = [], []
    for index in picks:
        top, left = rng.randint(0, height - crop[0] + 1), rng.randint(0, width - crop[1] + 1)
        image = images[index, top:top + crop[0], left:left + crop[1]]
        label = labels[index, top:top + crop[0], left:left + crop[1]]
        if rng.uniform() < 0.5:
            image, label = image[:, ::-1], label[:, ::-1]
        xs.append(image)
        ys.append(label)
    return to_input(np.stack(xs)), torch.from_numpy(np.ascontiguousarray(np.stack(ys))).long()


def forward_with_heads(model, x):
    """The seed's training forward: main logits and the auxiliary heads mid1/mid2 (all at 1/8)."""
    sp = model.saptial_path(x)
    cx1, cx2 = model.context_path(x)
    cx1, cx2 = model.deconv1(model.arm1(cx1)), model.deconv2(model.arm2(cx2))
    return model.last_conv(model.ffm(sp, cx1, cx2)), model.mid1(cx1), model.mid2(cx2)


def class_weights(labels):
    """Inverse square-root pixel frequency, mean 1 over the pixels: small objects (pictures, pillows,
    lamps) weigh more, so a short training does not settle for walls and floor."""
    counts = np.bincount(labels[labels != IGNORE_INDEX].ravel(), minlength=NUM_CLASSES).astype(np.float64)
    weights = np.zeros(NUM_CLASSES)
    present = counts > 0
    weights[present] = 1.0 / np.sqrt(counts[present] / counts.sum())
    weights *= counts.sum() / (weights * counts).sum()
    return torch.tensor(weights, dtype=torch.float32)


def interpolation_matrix(size_in, size_out):
    """(size_out, size_in) float32 matrix of 1-D linear interpolation with align_corners=True."""
    matrix = torch.zeros(size_out, size_in)
    if size_in == 1 or size_out == 1:
        matrix[:, 0] = 1.0
        return matrix
    position = torch.arange(size_out, dtype=torch.float64) * (size_in - 1) / (size_out - 1)
    low = position.floor().long().clamp(max=size_in - 2)
    frac = (position - low.double()).float()
    rows = torch.arange(size_out)
    matrix[rows, low] = 1.0 - frac
    matrix[rows, low + 1] += frac
    return matrix


def upsample_bilinear(logits, size):
    """F.interpolate(logits, size, "bilinear", align_corners=True) as two matrix products: the same
    separable weights, but GEMMs forward and backward, where upsample_bilinear2d's backward alone
    took a quarter of every training step on this CPU."""
    rows = interpolation_matrix(logits.shape[2], size[0])
    cols = interpolation_matrix(logits.shape[3], size[1])
    return torch.matmul(torch.matmul(rows, logits.float()), cols.t())


def downsample_labels(target, size):
    """Nearest-neighbour labels at `size`: the label at the centre of each output cell."""
    rows = (torch.arange(size[0]) * 2 + 1) * target.shape[1] // (2 * size[0])
    cols = (torch.arange(size[1]) * 2 + 1) * target.shape[2] // (2 * size[1])
    return target[:, rows][:, :, cols]


def seg_loss(outputs, target, weights=None):
    """Cross-entropy of the main logits upsampled to the labels' size (the seed's loss), plus the
    auxiliary heads' against labels taken down to the heads' 1/8 size. The seed upsamples the heads
    too; at the head's size their loss costs 1/64 as much, and the training step ~40 % less on this
    CPU, while they still feed gradient into the context path."""
    main, aux = outputs[0], outputs[1:]
    loss = F.cross_entropy(upsample_bilinear(main, target.shape[1:]), target, weight=weights,
                           ignore_index=IGNORE_INDEX)
    for head in aux:
        small = downsample_labels(target, head.shape[2:])
        loss = loss + F.cross_entropy(head.float(), small, weight=weights, ignore_index=IGNORE_INDEX)
    return loss


def poly_lr(args, step):
    if step < args.warmup:
        return args.lr * (step + 1) / args.warmup
    return args.lr * (1 - float(step) / args.steps) ** 0.9


def bf16_available():
    return hasattr(torch.backends, "mkldnn") and torch.backends.mkldnn.is_available() and \
        getattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: False)()


def train(args, model, images, labels, log, snapshot=None):
    """Returns [(step, loss)] of every logged step; calls `snapshot(step)` every --snapshot-every steps."""
    rng = np.random.RandomState(args.seed)
    weights = class_weights(labels) if args.class_weights else None
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=args.weight_decay)
    use_bf16 = bf16_available() and not args.no_bf16
    log("training {} steps, batch {}, crop {}, bf16 autocast {}".format(
        args.steps, args.batch, args.crop, "on" if use_bf16 else "off"))
    history, started = [], time.time()
    model.train()
    for step in range(args.steps):
        for group in optimizer.param_groups:
            group["lr"] = poly_lr(args, step)
        x, y = sample_batch(rng, images, labels, args.batch, hw(args.crop))
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=use_bf16):
            outputs = forward_with_heads(model, x)
        loss = seg_loss(outputs, y, weights)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % args.log_every == 0 or step == args.steps - 1:
            history.append((step, loss.item()))
            log("step {:5d}  loss {:.4f}  lr {:.4f}  {:.0f} s".format(
                step, loss.item(), poly_lr(args, step), time.time() - started))
        if snapshot is not None and args.snapshot_every and step and step % args.snapshot_every == 0:
            snapshot(step)
            model.train()
    return history, use_bf16


def round_to_half(model):
    """The model with every floating tensor rounded through float16, as the shipped file stores it."""
    with torch.no_grad():
        for tensor in list(model.parameters()) + list(model.buffers()):
            if tensor.is_floating_point():
                tensor.copy_(tensor.half().float())
    return model


def evaluate(model, images, labels):
    """(mIoU, pixel accuracy, classes present) of the eval-mode float32 model at full scene size."""
    model.eval()
    cm = ConfusionMatrix(NUM_CLASSES)
    with torch.no_grad():
        for start in range(0, len(images), 8):
            x = to_input(images[start:start + 8])
            logits = F.interpolate(model(x), size=x.shape[2:], mode="bilinear", align_corners=True)
            for label, pred in zip(labels[start:start + 8], logits.argmax(1).numpy()):
                cm.update(label, pred)
    present = [int(c) for c in np.nonzero(cm.matrix.sum(axis=1))[0]]
    return cm.mean_iou(), cm.pixel_accuracy(), present


def save(path, model, epoch, metrics, extra):
    state = {k: (v.half() if v.is_floating_point() else v) for k, v in model.state_dict().items()}
    checkpoint = {
        "epoch": epoch,
        "state_dict": state,
        "best_mIoU": np.float64(metrics[0]),  # numpy float64, as the seed's trainer stores its metrics
        "best_pixelAcc": np.float64(metrics[1]),
        "demo_model": extra,  # plain str/int/float values only, so weights_only=True reads it
    }
    with atomic_path(path) as tmp:
        torch.save(checkpoint, tmp)


def main(argv=None):
    args = parse_args(argv)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)

    def log(message):
        print(message, flush=True)

    started = time.time()
    images, labels = make_scenes(args.seed, args.train_scenes, hw(args.size))
    held_images, held_labels = make_scenes(HELD_OUT_SEED, args.held_out, hw(args.size))
    log("made {} training and {} held-out scenes in {:.0f} s".format(
        args.train_scenes, args.held_out, time.time() - started))
    model = build_model("resnet18", 16, NUM_CLASSES, "deconv")
    train_started = time.time()
    def snapshot(step):
        copy = build_model("resnet18", 16, NUM_CLASSES, "deconv")
        copy.load_state_dict(model.state_dict())
        metrics = evaluate(round_to_half(copy), held_images, held_labels)
        log("step {}: held-out mIoU {:.4f} pixel accuracy {:.4f}".format(step, metrics[0], metrics[1]))
        save("{}.step{}.pth".format(os.path.splitext(args.output)[0], step), copy, step, metrics[:2], {})

    history, used_bf16 = train(args, model, images, labels, log, snapshot)
    train_seconds = time.time() - train_started
    miou, pixel_acc, present = evaluate(round_to_half(model), held_images, held_labels)
    extra = {
        "held_out": "bisenet-scenes OUT --count {} --size {} --seed {}".format(args.held_out, args.size,
                                                                              HELD_OUT_SEED),
        "held_out_mIoU": float(miou), "held_out_pixelAcc": float(pixel_acc),
        # the size it is evaluated at: bisenet-export exports at it unless told otherwise
        "input_size": list(hw(args.size)),
        "classes_present": len(present),
        "train": "scripts/train_demo_model.py --seed {} --train-scenes {} --steps {} --batch {} --crop {} "
                 "--lr {}{}".format(args.seed, args.train_scenes, args.steps, args.batch, args.crop, args.lr,
                                      "" if args.class_weights else " --no-class-weights"),
        "bf16_autocast": bool(used_bf16), "train_seconds": round(train_seconds, 1),
        "total_seconds": round(time.time() - started, 1), "threads": args.threads,
        "torch": str(torch.__version__),
    }
    save(args.output, model, args.steps, (miou, pixel_acc), extra)
    log(json.dumps(extra, indent=1, sort_keys=True))
    log("losses: first {:.4f} last {:.4f}".format(history[0][1], history[-1][1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
