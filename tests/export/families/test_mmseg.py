"""mmsegmentation BiSeNetV1/V2 checkpoints: their key layout (written here from mmseg's and mmcv's
sources, not from our modules), detection, aux-head dropping, strict loading, export and bisenet-run
label maps against PyTorch, in mmseg 0.x (mmcv) and 1.x (mmengine) checkpoint layouts."""

import collections
import json
import os

import cv2
import numpy as np
import onnx
import pytest
import torch
import torch.nn.functional as F

from agreement import assert_agree
from cli_capture import run_cli
from bisenet_deploy.core.modelcard import IMAGENET_MEAN, IMAGENET_STD, MODEL_CARD_KEY
from bisenet_deploy.export.checkpoint import load_checkpoint
from bisenet_deploy.export.main import main as export_main
from bisenet_deploy.export.families import detect
from bisenet_deploy.runtime import run as run_module

INPUT_HW = (128, 256)
CITYSCAPES = ("road", "sidewalk", "building", "wall", "fence", "pole", "traffic light", "traffic sign",
              "vegetation", "terrain", "sky", "person", "rider", "car", "truck", "bus", "train", "motorcycle",
              "bicycle")
CITYSCAPES_PALETTE = [[128, 64, 128], [244, 35, 232], [70, 70, 70], [102, 102, 156], [190, 153, 153],
                      [153, 153, 153], [250, 170, 30], [220, 220, 0], [107, 142, 35], [152, 251, 152],
                      [70, 130, 180], [220, 20, 60], [255, 0, 0], [0, 0, 142], [0, 0, 70], [0, 60, 100],
                      [0, 80, 100], [0, 0, 230], [119, 11, 32]]


# ---- mmseg's key layout, transcribed from its constructors (name -> shape) ----

def bn(prefix, channels):
    return [(prefix + name, (channels,)) for name in ("weight", "bias", "running_mean", "running_var")] + [
        (prefix + "num_batches_tracked", ())]


def conv_module(prefix, in_ch, out_ch, kernel, groups=1, norm=True):
    """mmcv ConvModule: `conv` (bias='auto': a bias only without a norm), then `bn`."""
    keys = [(prefix + "conv.weight", (out_ch, in_ch // groups, kernel, kernel))]
    return keys + (bn(prefix + "bn.", out_ch) if norm else [(prefix + "conv.bias", (out_ch,))])


def fcn_head(prefix, in_ch, channels, num_classes, num_convs=1, concat_input=False):
    keys = []
    for i in range(num_convs):
        keys += conv_module("{}convs.{}.".format(prefix, i), in_ch if i == 0 else channels, channels, 3)
    if concat_input:
        keys += conv_module(prefix + "conv_cat.", in_ch + channels, channels, 3)
    return keys + [(prefix + "conv_seg.weight", (num_classes, channels, 1, 1)),
                   (prefix + "conv_seg.bias", (num_classes,))]


RESNETS = {18: (False, (2, 2, 2, 2)), 50: (True, (3, 4, 6, 3)), 101: (True, (3, 4, 23, 3))}


def resnet(prefix, depth, deep_stem=False):
    """mmseg ResNet (type 'ResNet', or ResNetV1c with deep_stem) with ResLayer's `downsample.0/1`."""
    bottleneck, stages = RESNETS[depth]
    if deep_stem:
        keys = [(prefix + "stem.0.weight", (32, 3, 3, 3))] + bn(prefix + "stem.1.", 32)
        keys += [(prefix + "stem.3.weight", (32, 32, 3, 3))] + bn(prefix + "stem.4.", 32)
        keys += [(prefix + "stem.6.weight", (64, 32, 3, 3))] + bn(prefix + "stem.7.", 64)
    else:
        keys = [(prefix + "conv1.weight", (64, 3, 7, 7))] + bn(prefix + "bn1.", 64)
    expansion = 4 if bottleneck else 1
    inplanes = 64
    for stage, blocks in enumerate(stages):
        planes = 64 * 2 ** stage
        for b in range(blocks):
            p = "{}layer{}.{}.".format(prefix, stage + 1, b)
            if bottleneck:
                convs = [(inplanes, planes, 1), (planes, planes, 3), (planes, planes * 4, 1)]
            else:
                convs = [(inplanes, planes, 3), (planes, planes, 3)]
            for i, (cin, cout, k) in enumerate(convs, start=1):
                keys += [("{}conv{}.weight".format(p, i), (cout, cin, k, k))] + bn("{}bn{}.".format(p, i), cout)
            if b == 0 and (stage > 0 or inplanes != planes * expansion):
                keys += [(p + "downsample.0.weight", (planes * expansion, inplanes, 1, 1))]
                keys += bn(p + "downsample.1.", planes * expansion)
            inplanes = planes * expansion
    return keys


def mmseg_v1_layout(depth, num_classes=19, deep_stem=False):
    """configs/_base_/models/bisenetv1_r18-d32.py, and the r50/r101 configs' channel overrides."""
    if depth == 18:
        context, spatial, out, aux = (128, 256, 512), (64, 64, 64, 128), 256, 64
    else:
        context, spatial, out, aux = (512, 1024, 2048), (256, 256, 256, 512), 1024, 256
    cp = "backbone.context_path."
    keys = resnet(cp + "backbone.", depth, deep_stem)
    for arm, in_ch in (("arm16", context[1]), ("arm32", context[2])):
        keys += conv_module(cp + arm + ".conv_layer.", in_ch, context[0], 3)
        keys += conv_module(cp + arm + ".atten_conv_layer.1.", context[0], context[0], 1)
    keys += conv_module(cp + "conv_head32.", context[0], context[0], 3)
    keys += conv_module(cp + "conv_head16.", context[0], context[0], 3)
    keys += conv_module(cp + "gap_conv.1.", context[2], context[0], 1)
    widths = (3,) + spatial
    for i, kernel in enumerate((7, 3, 3, 1)):
        keys += conv_module("backbone.spatial_path.layer{}.".format(i + 1), widths[i], widths[i + 1], kernel)
    keys += conv_module("backbone.ffm.conv1.", context[1], out, 1)
    keys += conv_module("backbone.ffm.conv_atten.0.", out, out, 1)
    keys += fcn_head("decode_head.", out, out, num_classes)
    for i in range(2):
        keys += fcn_head("auxiliary_head.{}.".format(i), context[0], aux, num_classes)
    return collections.OrderedDict(keys)


def ge_layer(prefix, in_ch, out_ch, stride):
    mid = in_ch * 6
    keys = conv_module(prefix + "conv1.", in_ch, in_ch, 3)
    keys += conv_module(prefix + "dwconv.0.", in_ch, mid, 3, groups=in_ch)
    if stride == 2:
        keys += conv_module(prefix + "dwconv.1.", mid, mid, 3, groups=mid)
        keys += conv_module(prefix + "shortcut.0.depthwise_conv.", in_ch, in_ch, 3, groups=in_ch)
        keys += conv_module(prefix + "shortcut.0.pointwise_conv.", in_ch, out_ch, 1)
    return keys + conv_module(prefix + "conv2.0.", mid, out_ch, 1)


def mmseg_v2_layout(num_classes=19):
    """configs/_base_/models/bisenetv2.py: detail (64, 64, 128), semantic (16, 32, 64, 128), ratio 6."""
    keys, in_ch = [], 3
    for i, (out_ch, convs) in enumerate(((64, 2), (64, 3), (128, 3))):
        for j in range(convs):
            keys += conv_module("backbone.detail.detail_branch.{}.{}.".format(i, j), in_ch if j == 0 else out_ch,
                                out_ch, 3)
        in_ch = out_ch
    stem = "backbone.semantic.stage1."
    keys += conv_module(stem + "conv_first.", 3, 16, 3) + conv_module(stem + "convs.0.", 16, 8, 1)
    keys += conv_module(stem + "convs.1.", 8, 16, 3) + conv_module(stem + "fuse_last.", 32, 16, 3)
    for stage, (in_ch, out_ch, layers) in enumerate(((16, 32, 2), (32, 64, 2), (64, 128, 4)), start=2):
        for j in range(layers):
            keys += ge_layer("backbone.semantic.stage{}.{}.".format(stage, j), in_ch if j == 0 else out_ch, out_ch,
                             2 if j == 0 else 1)
    ce = "backbone.semantic.stage4_CEBlock."
    keys += bn(ce + "gap.1.", 128) + conv_module(ce + "conv_gap.", 128, 128, 1)
    keys += conv_module(ce + "conv_last.", 128, 128, 3)
    bga = "backbone.bga."
    for branch in ("detail_dwconv", "semantic_dwconv"):  # pw_norm_cfg=None: the pointwise conv has a bias
        keys += conv_module(bga + branch + ".0.depthwise_conv.", 128, 128, 3, groups=128)
        keys += conv_module(bga + branch + ".0.pointwise_conv.", 128, 128, 1, norm=False)
    keys += conv_module(bga + "detail_down.0.", 128, 128, 3) + conv_module(bga + "semantic_conv.0.", 128, 128, 3)
    keys += conv_module(bga + "conv.", 128, 128, 3)
    keys += fcn_head("decode_head.", 128, 1024, num_classes)
    for i, (in_ch, channels) in enumerate(((16, 16), (32, 64), (64, 256), (128, 1024))):
        keys += fcn_head("auxiliary_head.{}.".format(i), in_ch, channels, num_classes, num_convs=2)
    return collections.OrderedDict(keys)


def without_aux(layout):
    return collections.OrderedDict((k, v) for k, v in layout.items() if not k.startswith("auxiliary_head."))


# ---- checkpoints in mmseg's published file layouts ----

def random_state_dict(layout, seed):
    """Random weights in `layout`: He-scaled convs, BN with random affine and running statistics."""
    gen = torch.Generator().manual_seed(seed)
    state = collections.OrderedDict()
    for key, shape in layout.items():
        if key.endswith("num_batches_tracked"):
            state[key] = torch.tensor(160000)
        elif key.endswith("running_var"):
            state[key] = torch.rand(shape, generator=gen) + 0.5
        elif key.endswith("running_mean"):
            state[key] = torch.randn(shape, generator=gen) * 0.2
        elif len(shape) == 4:
            fan_in = shape[1] * shape[2] * shape[3]
            state[key] = torch.randn(shape, generator=gen) * (2.0 / fan_in) ** 0.5
        elif key.endswith("weight"):  # BN scale
            state[key] = torch.rand(shape, generator=gen) + 0.5
        else:
            state[key] = torch.randn(shape, generator=gen) * 0.1
    return state


def mmcv_checkpoint(state_dict, classes=CITYSCAPES, palette=CITYSCAPES_PALETTE):
    """What mmseg 0.x (mmcv's runner) saves."""
    return {"meta": {"mmseg_version": "0.30.0", "mmcv_version": "1.7.1",
                     "config": "model = dict(type='EncoderDecoder')",
                     "CLASSES": tuple(classes), "PALETTE": palette, "epoch": 1, "iter": 160000,
                     "time": "Sat Jan  1 00:00:00 2022"},
            "state_dict": state_dict,
            "optimizer": {"state": {}, "param_groups": [{"lr": 1e-4, "momentum": 0.9, "weight_decay": 5e-4,
                                                         "params": [0, 1, 2]}]}}


def mmengine_checkpoint(state_dict, classes=CITYSCAPES, palette=CITYSCAPES_PALETTE):
    """What mmseg 1.x (mmengine's runner) saves, its message hub as plain containers."""
    return {"meta": {"dataset_meta": {"classes": tuple(classes), "palette": palette}, "seed": 0,
                     "experiment_name": "bisenet_cityscapes", "time": "20230101_000000", "mmengine_version": "0.10.3",
                     "epoch": 0, "iter": 160000},
            "state_dict": state_dict,
            "message_hub": {"log_scalars": {}, "runtime_info": {"iter": 160000, "max_iters": 160000},
                            "resumed_keys": {"iter": True}},
            "optimizer": {"state": {}, "param_groups": [{"lr": 1e-4, "params": [0]}]},
            "param_schedulers": [{"eta_min": 1e-4, "power": 0.9, "last_step": 160000}]}


def save(obj, path):
    torch.save(obj, str(path))
    return str(path)


@pytest.fixture(scope="module")
def v1_r18(tmp_path_factory):
    layout = mmseg_v1_layout(18)
    return save(mmcv_checkpoint(random_state_dict(layout, 1)), tmp_path_factory.mktemp("v1") / "bisenetv1_r18.pth")


@pytest.fixture(scope="module")
def v2(tmp_path_factory):
    layout = mmseg_v2_layout()
    names = ["class {}".format(i) for i in range(19)]  # not Cityscapes' names: the card must take these
    palette = [[i * 10, 255 - i * 10, i] for i in range(19)]
    return save(mmengine_checkpoint(random_state_dict(layout, 2), names, palette),
                tmp_path_factory.mktemp("v2") / "bisenetv2.pth")


# ---- key layout, detection, loading ----

@pytest.mark.parametrize("name, layout, arch", [
    ("mmseg-v1", mmseg_v1_layout(18), "bisenetv1-r18"),
    ("mmseg-v1", mmseg_v1_layout(18, deep_stem=True), "bisenetv1-r18"),
    ("mmseg-v1", mmseg_v1_layout(50, 171), "bisenetv1-r50"),
    ("mmseg-v1", mmseg_v1_layout(101, 171), "bisenetv1-r101"),
    ("mmseg-v2", mmseg_v2_layout(), "bisenetv2"),
])
def test_network_has_exactly_mmsegs_keys_and_shapes(name, layout, arch):
    shapes = collections.OrderedDict((k, torch.empty(v, device="meta")) for k, v in layout.items())
    family = detect(shapes, "ckpt.pth")
    assert family.name == name
    kept, dropped = family.network_keys(shapes)
    assert dropped == ["auxiliary_head"]
    config = family.config(kept, "ckpt.pth")
    assert config["arch"] == arch and config["num_classes"] == layout["decode_head.conv_seg.bias"][0]
    with torch.device("meta"):
        model = family.build(config)
    got = collections.OrderedDict((k, tuple(v.shape)) for k, v in model.state_dict().items())
    assert dict(got) == dict(without_aux(layout))  # order is no part of a state_dict's contract


def test_layout_key_points_match_mmseg_source():
    """A few keys written out by hand from the sources, so the generators above are checked too."""
    v1, v2 = mmseg_v1_layout(18), mmseg_v2_layout()
    assert v1["backbone.context_path.backbone.conv1.weight"] == (64, 3, 7, 7)
    assert v1["backbone.context_path.backbone.layer2.0.downsample.0.weight"] == (128, 64, 1, 1)
    assert v1["backbone.context_path.arm32.atten_conv_layer.1.bn.running_var"] == (128,)
    assert v1["backbone.context_path.gap_conv.1.conv.weight"] == (128, 512, 1, 1)
    assert v1["backbone.spatial_path.layer1.conv.weight"] == (64, 3, 7, 7)
    assert v1["backbone.ffm.conv_atten.0.bn.weight"] == (256,)
    assert v1["decode_head.convs.0.conv.weight"] == (256, 256, 3, 3)
    assert v1["auxiliary_head.1.conv_seg.weight"] == (19, 64, 1, 1)
    assert "backbone.ffm.conv_atten.0.conv.bias" not in v1
    assert mmseg_v1_layout(50)["backbone.context_path.backbone.layer4.2.conv3.weight"] == (2048, 512, 1, 1)
    assert len([k for k in mmseg_v1_layout(101) if k.endswith("conv2.weight")]) == 33
    assert v2["backbone.semantic.stage4.0.shortcut.0.pointwise_conv.conv.weight"] == (128, 64, 1, 1)
    assert v2["backbone.semantic.stage3.0.dwconv.1.conv.weight"] == (192, 1, 3, 3)
    assert v2["backbone.semantic.stage4_CEBlock.gap.1.running_mean"] == (128,)
    assert v2["backbone.bga.detail_dwconv.0.pointwise_conv.conv.bias"] == (128,)
    assert v2["decode_head.convs.0.conv.weight"] == (1024, 128, 3, 3)
    assert v2["auxiliary_head.3.convs.1.conv.weight"] == (1024, 1024, 3, 3)


def test_fcn_head_variants_are_read_off_the_keys(tmp_path):
    """num_convs and concat_input differ between configs (FCNHead defaults: 2 convs, concat_input)."""
    layout = without_aux(mmseg_v2_layout(7))
    layout = collections.OrderedDict((k, v) for k, v in layout.items() if not k.startswith("decode_head."))
    layout.update(fcn_head("decode_head.", 128, 64, 7, num_convs=2, concat_input=True))
    checkpoint = load_checkpoint(save(mmcv_checkpoint(random_state_dict(layout, 3), ["c"] * 7, None),
                                      tmp_path / "head.pth"))
    head = checkpoint.config["head"]
    assert (head["num_convs"], head["concat_input"], head["channels"]) == (2, True, 64)
    with torch.no_grad():
        assert checkpoint.model(torch.zeros(1, 3, 64, 64)).shape == (1, 7, 8, 8)


def test_mmcv_checkpoint_loads_strict_with_aux_heads_dropped(v1_r18):
    checkpoint = load_checkpoint(v1_r18)
    assert checkpoint.family.name == "mmseg-v1" and checkpoint.config["arch"] == "bisenetv1-r18"
    assert checkpoint.metadata["dropped_heads"] == ["auxiliary_head"]
    assert checkpoint.metadata["classes"] == list(CITYSCAPES)
    saved = torch.load(v1_r18, weights_only=True)["state_dict"]
    for key, value in checkpoint.model.state_dict().items():
        assert torch.equal(value, saved[key]), key


def test_r50_checkpoint_loads(tmp_path):
    layout = mmseg_v1_layout(50, 171)
    checkpoint = load_checkpoint(save(mmengine_checkpoint(random_state_dict(layout, 4), ["c"] * 171, None),
                                      tmp_path / "r50.pth"))
    assert checkpoint.config["arch"] == "bisenetv1-r50" and checkpoint.config["num_classes"] == 171


def test_numpy_in_meta_loads_safely(tmp_path):
    """mmseg 0.x records a generated palette as a numpy array."""
    palette = np.random.RandomState(0).randint(0, 255, (19, 3))
    path = save(mmcv_checkpoint(random_state_dict(mmseg_v2_layout(), 5), CITYSCAPES, palette), tmp_path / "np.pth")
    checkpoint = load_checkpoint(path)
    assert checkpoint.family.name == "mmseg-v2" and checkpoint.metadata["classes"] == list(CITYSCAPES)
    assert checkpoint.metadata["palette"] == palette.tolist()


# ---- export and bisenet-run against PyTorch ----

def card_of(path):
    props = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
    return json.loads(props[MODEL_CARD_KEY])


def reference_labels(model, frame_bgr):
    """mmseg's inference: ImageNet-normalized RGB, 1/8 logits resized bilinearly (align_corners=False)."""
    rgb = frame_bgr[:, :, ::-1].astype(np.float32) / 255.0
    x = (rgb - np.float32(IMAGENET_MEAN)) / np.float32(IMAGENET_STD)
    with torch.no_grad():
        logits = model(torch.from_numpy(x.transpose(2, 0, 1).copy())[None])
        scores = F.interpolate(logits, size=frame_bgr.shape[:2], mode="bilinear", align_corners=False)
    return scores.argmax(1)[0].numpy()


def export_and_run(checkpoint, tmp_path, *flags):
    """(card, export's stdout, [(frame, labels bisenet-run wrote)]) for an export at INPUT_HW with `flags`."""
    model_path = tmp_path / "m.onnx"
    code, export_stdout, stderr = run_cli(export_main, checkpoint, "-o", model_path, "--input-size",
                                          "{}x{}".format(*INPUT_HW), *flags)
    assert code == 0, export_stdout + stderr
    images, out_dir = tmp_path / "frames", str(tmp_path / "out") + os.sep
    images.mkdir()
    rng = np.random.RandomState(7)
    frames = [cv2.GaussianBlur(rng.randint(0, 255, INPUT_HW + (3,)).astype(np.uint8), (9, 9), 3) for _ in range(2)]
    for i, frame in enumerate(frames):
        cv2.imwrite(str(images / "f{}.png".format(i)), frame)
    code, stdout, stderr = run_cli(run_module.main, "--model", model_path, "--backend", "ort", "--images", images,
                                   "--headless", "--output", out_dir)
    assert code == 0, stdout + stderr
    written = [cv2.imread(os.path.join(out_dir, "f{}_labels.png".format(i)), cv2.IMREAD_UNCHANGED)
               for i in range(len(frames))]
    return card_of(model_path), export_stdout, list(zip(frames, written))


def test_v1_exports_and_runs_like_pytorch(v1_r18, tmp_path):
    card, stdout, results = export_and_run(v1_r18, tmp_path)
    assert "mmsegmentation BiSeNetV1" in stdout and "auxiliary_head" in stdout
    assert (card["family"], card["architecture"], card["dataset"]) == ("mmseg-v1", "bisenetv1-r18", "cityscapes")
    assert card["classes"] == list(CITYSCAPES) and card["colors"] == CITYSCAPES_PALETTE
    assert card["mean"] == pytest.approx(IMAGENET_MEAN) and card["std"] == pytest.approx(IMAGENET_STD)
    assert card["head_upsample"] == {"mode": "bilinear", "align_corners": False}
    assert card["source_checkpoint"]["metadata"]["dropped_heads"] == ["auxiliary_head"]
    model = load_checkpoint(v1_r18).model
    for frame, labels in results:
        assert_agree(labels, reference_labels(model, frame), 0.99)


@pytest.mark.parametrize("flags", [(), ("--upsample", "matmul", "--target-trt", "7.1")])
def test_v2_exports_and_runs_like_pytorch(v2, tmp_path, flags):
    card, _, results = export_and_run(v2, tmp_path, *flags)
    assert (card["family"], card["architecture"], card["dataset"]) == ("mmseg-v2", "bisenetv2", "cityscapes")
    assert card["classes"] == ["class {}".format(i) for i in range(19)]  # the checkpoint's meta wins
    assert card["colors"][1] == [10, 245, 1]
    model = load_checkpoint(v2).model
    for frame, labels in results:
        assert_agree(labels, reference_labels(model, frame), 0.99)
