"""A reduced precision measured against FP32 on pictures that mean something, then judged by the
precision gate (core/precision_gate.py): the user's own images (with their labels where given), or,
without any, generated indoor scenes with labels when the model predicts the scene generator's SUN RGB-D
classes. Never the drawn sample picture: no model was trained on it.

Used by --verify of bisenet-run/-eval (OpenVINO), bisenet-build-engine --verify (TensorRT) and
bisenet-calibrate (its held-out images), so every check reports the same figures: pooled pixel
agreement, the worst image, the max abs diff of the scores, and the mIoU of both where labels exist.
"""

import collections
import math

import numpy as np

from ..core.errors import InputError
from ..core.labels import Sample, load_label
from ..core.metrics import ConfusionMatrix
from ..core.modelcard import batch_range
from ..core.precision_gate import judge
from ..core.preprocess import preprocess
from ..core.wording import count
from ..scenes.classes import SUN_NAMES
from ..scenes.demo_model import HELD_OUT_SEED
from ..scenes.scene import render_scene
from .image_sets import dataset_folders, find_labels, open_image_source
from .postprocess import labels_from_output

DEFAULT_IMAGES = 16  # of the user's: enough for a pooled agreement, quick at camera sizes
DEFAULT_SCENES = 8  # generated at the network's size, about 0.1 s each to draw at 480x640
VERIFY_FLAGS = ("--verify-images", "--verify-labels")  # the flags that name the pictures, in errors

VerifySpec = collections.namedtuple("VerifySpec", "images labels count")
VerifySpec.__doc__ = """What --verify judges on: `images` a folder/glob/video of the user's (None: the
generated scenes), `labels` a folder of label PNGs named like them (None: agreement only), `count` how
many pictures at most (None: the default)."""

Comparison = collections.namedtuple(
    "Comparison", "images pixels agreement worst_agreement max_abs_diff labelled miou_reference miou_candidate")
Comparison.__doc__ = """agreement: fraction of all compared pixels where both models pick the same class;
worst_agreement: the lowest single image's; max_abs_diff: largest score difference (None for a labels
head); labelled: images that had a label; miou_*: mIoU of each model over them (None without labels)."""


class CheckSet(object):
    """Pictures to compare on: `items()` yields (name, BGR frame, label map or None)."""

    def __init__(self, items, description, labelled):
        self._items = items
        self.description = description
        self.labelled = labelled

    def items(self):
        return self._items()


def user_images(spec, labels_dir=None, limit=None, what=VERIFY_FLAGS[0], labels_flag=VERIFY_FLAGS[1]):
    # type: (str, str, int, str, str) -> CheckSet
    """Up to `limit` pictures of a folder, glob or video, evenly spread over it, with the labels of
    `labels_dir` named like them; `what` and `labels_flag` are the calling command's flags, for errors."""
    source = open_image_source(spec, what=what)
    limit = limit or DEFAULT_IMAGES
    keys = list(source.keys)
    if len(keys) > limit:
        keys = [keys[int(index)] for index in np.linspace(0, len(keys) - 1, limit)]
    labels = find_labels(labels_dir, labels_flag) if labels_dir else None
    if labels is not None and not any(source.name(key) in labels for key in keys):
        raise InputError("{} {}: none of the {} pictures has a label there (e.g. {}.png)".format(
            labels_flag, labels_dir, len(keys), source.name(keys[0])))

    def items():
        for key, frame in source.subset(keys).read_keys():
            if frame is None:
                continue
            name = source.name(key)
            label = None
            if labels is not None and name in labels:
                label = load_label(Sample(name, None, labels[name]), "generic")
            yield name, frame, label

    described = "your {} ({}{})".format(count(len(keys), "frame" if source.sequential else "image"), spec,
                                        ", labelled" if labels else "")
    return CheckSet(items, described, labels is not None)


def draws_scene_classes(card):
    # type: (dict) -> bool
    """True when the model predicts the SUN RGB-D 37 classes the scene generator labels."""
    return card.get("num_classes") == len(SUN_NAMES) and list(card.get("classes") or SUN_NAMES) == list(SUN_NAMES)


def generated_scenes(card, limit=None, flags=VERIFY_FLAGS):
    # type: (dict, int, tuple) -> CheckSet
    """Labelled indoor scenes (bisenet-scenes, the demo model's held-out seed) at the network's size;
    `flags` (images, labels): the calling command's, named when a model cannot use the scenes."""
    if not draws_scene_classes(card):
        raise InputError("the precision check needs your own pictures for a model of {} classes: give {} DIR "
                         "(and {} DIR to judge the mIoU drop); the generated scenes are labelled with "
                         "SUN RGB-D's 37".format(card.get("num_classes"), flags[0], flags[1]))
    limit = limit or DEFAULT_SCENES
    height, width = card["input_size"]

    def items():
        for index in range(limit):
            bgr, labels = render_scene(HELD_OUT_SEED, index, height, width)
            yield "scene{:03d}".format(index), bgr, labels

    return CheckSet(items, "{} generated labelled scenes (bisenet-scenes --seed {} --size {}x{})".format(
        limit, HELD_OUT_SEED, height, width), True)


def verify_spec_from_args(args):
    """The VerifySpec --verify/--verify-images/--verify-labels/--verify-count ask for, or None."""
    if not (args.verify or args.verify_images or args.verify_labels):
        return None
    if args.verify_count is not None and args.verify_count < 1:
        raise InputError("--verify-count must be at least 1, got {}".format(args.verify_count))
    return VerifySpec(args.verify_images, args.verify_labels, args.verify_count)


def check_set_for(card, spec, flags=VERIFY_FLAGS):
    # type: (dict, VerifySpec, tuple) -> CheckSet
    """The pictures a VerifySpec asks for; `flags` (images, labels): the calling command's, for errors."""
    images_flag, labels_flag = flags
    if spec.images:
        images, labels = (spec.images, spec.labels) if spec.labels else dataset_folders(spec.images)
        return user_images(images, labels, spec.count, what=images_flag, labels_flag=labels_flag)
    if spec.labels:
        raise InputError("{} needs {}: the pictures the labels belong to".format(labels_flag, images_flag))
    return generated_scenes(card, spec.count, flags)


class Tally(object):
    """Running agreement, max abs diff and confusion matrices over compared pictures."""

    def __init__(self, card, with_labels):
        self.card = card
        self.images = self.pixels = self.agreeing = 0
        self.worst = 1.0
        self.max_abs_diff = None if card["head"] == "labels" else 0.0
        self.matrices = [ConfusionMatrix(card["num_classes"]) for _ in range(2)] if with_labels else None
        self.labelled = 0

    def add(self, reference, candidate, label):
        """One picture: `reference`/`candidate` are the two models' outputs for it (batch of one)."""
        input_hw = tuple(self.card["input_size"])
        if self.max_abs_diff is not None:
            difference = np.abs(reference.astype(np.float64) - candidate.astype(np.float64))
            self.max_abs_diff = max(self.max_abs_diff, float(difference.max()))
        maps = [self._label_map(output, input_hw) for output in (reference, candidate)]
        agreeing = int(np.count_nonzero(maps[0] == maps[1]))
        self.images += 1
        self.pixels += maps[0].size
        self.agreeing += agreeing
        self.worst = min(self.worst, agreeing / float(maps[0].size))
        if label is not None and self.matrices is not None:
            self.labelled += 1
            for matrix, output in zip(self.matrices, (reference, candidate)):
                matrix.update(label, self._label_map(output, label.shape))

    def _label_map(self, output, hw):
        """(H, W) class map at `hw`; a labels head at its own size needs no resize (nor a class count)."""
        if self.card["head"] == "labels" and tuple(output.shape[1:]) == tuple(hw):
            return output[0]
        return labels_from_output(output, self.card, hw)

    def result(self):
        if self.images == 0:
            raise InputError("no picture could be compared")
        mious = [None, None]
        if self.labelled:
            mious = [matrix.mean_iou() for matrix in self.matrices]
            mious = [None if math.isnan(value) else value for value in mious]
        return Comparison(self.images, self.pixels, self.agreeing / float(self.pixels), self.worst, self.max_abs_diff,
                          self.labelled, mious[0], mious[1])


def network_batch(frame, card):
    """`frame` preprocessed as the network takes it, repeated to the smallest batch the model takes (a
    fixed batch larger than one; 1 on a dynamic batch axis)."""
    x = preprocess(frame, tuple(card["input_size"]), card["mean"], card["std"], card["input"]["dtype"])
    batch = batch_range(card)[0]
    return np.repeat(x, batch, axis=0) if batch > 1 else x


def compare_backends_on(candidate, reference, card, check_set):
    # type: (object, object, dict, CheckSet) -> Comparison
    """Run two active backends on every picture of `check_set` and tally how they differ."""
    tally = Tally(card, check_set.labelled)
    for _, frame, label in check_set.items():
        x = network_batch(frame, card)
        tally.add(reference.infer(x)[:1].copy(), candidate.infer(x)[:1].copy(), label)
    return tally.result()


def judge_comparison(precision, result, max_miou_drop=None, min_agreement=None):
    """The precision gate's verdict on a Comparison."""
    return judge(precision, result.agreement, result.miou_reference, result.miou_candidate, max_miou_drop,
                 min_agreement)


def _percent(value):
    return "-" if value is None else "{:.2f}%".format(100.0 * value)


def format_comparison(result, candidate="QDQ INT8", reference="FP32"):
    # type: (Comparison, str, str) -> str
    """A short table: agreement, max abs diff (a logits head's) and the mIoU of both models."""
    rows = [("pixel agreement", "", "{:.3f}% (worst image {:.3f}%)".format(
        100.0 * result.agreement, 100.0 * result.worst_agreement))]
    if result.max_abs_diff is not None:
        rows.append(("max abs diff (scores)", "", "{:.4g}".format(result.max_abs_diff)))
    if result.labelled:
        change = ""
        if result.miou_reference is not None and result.miou_candidate is not None:
            change = " ({:+.2f} points)".format(100.0 * (result.miou_candidate - result.miou_reference))
        rows.append(("mIoU ({} labelled)".format(result.labelled), _percent(result.miou_reference),
                     _percent(result.miou_candidate) + change))
    width = max(len(row[0]) for row in rows)
    lines = ["  {:<{w}}  {:>8}  {}".format("", reference, candidate, w=width)]
    lines += ["  {:<{w}}  {:>8}  {}".format(name, ref, cand, w=width) for name, ref, cand in rows]
    return "\n".join(lines)

