"""The JSON model card: everything downstream commands need, stored in the ONNX metadata_props
(key MODEL_CARD_KEY) and copied into every engine's sidecar, so no command needs repeated flags."""

import json

from .errors import InputError

MODEL_CARD_KEY = "bisenet_deploy.model_card"
CARD_FORMAT = "bisenet-deploy/model-card"
CARD_VERSION = 1
IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]
REQUIRED_FIELDS = ("architecture", "in_planes", "num_classes", "classes", "colors", "mean", "std",
                   "channel_order", "input_size", "head", "input", "output")


def make_card(config, input_size, batch, head, upsample, opset, classes, colors, checkpoint_sha256,
              checkpoint_metadata, tool_version, target_trt, mean=None, std=None, dataset=None,
              head_align_corners=True, input_multiple=16, output_stride=8):
    """A model card dict for a freshly exported graph. `config` may name its family (default: the seed's,
    whose defaults the last six arguments are). `output_stride` 1: the network's logits are already
    full-resolution (a PixelShuffle head), so a labels head is a plain argmax."""
    height, width = input_size
    if head == "labels":
        output = {"name": "labels", "dtype": "int32", "shape": [batch, height, width]}
    else:
        output = {"name": "logits", "dtype": "float32",
                  "shape": [batch, config["num_classes"], height // output_stride, width // output_stride]}
    return {
        "format": CARD_FORMAT,
        "card_version": CARD_VERSION,
        "tool_version": tool_version,
        "family": config.get("family", "wali"),
        "architecture": config["arch"],
        "in_planes": config.get("in_planes"),
        "variant": config.get("variant"),
        "num_classes": config["num_classes"],
        "dataset": dataset,
        "classes": list(classes),
        "colors": [list(c) for c in colors],
        "channel_order": "RGB",
        "pixel_scale": 1.0 / 255.0,
        "mean": list(IMAGENET_MEAN if mean is None else mean),
        "std": list(IMAGENET_STD if std is None else std),
        "input_size": [height, width],
        "batch": batch,
        "input": {"name": "input", "dtype": "float32", "shape": [batch, 3, height, width], "layout": "NCHW"},
        "output": output,
        "head": head,
        # How the source's own evaluation upsamples the logits before argmax (the seed: align_corners=True);
        # mode "none" when they are full-resolution (align_corners then applies only to a resize to the frame).
        "head_upsample": {"mode": "none" if output_stride == 1 else "bilinear",
                          "align_corners": bool(head_align_corners)},
        "input_multiple": input_multiple,
        "upsample": upsample,
        "opset": opset,
        "target_trt": target_trt,
        "source_checkpoint": {"sha256": checkpoint_sha256, "metadata": checkpoint_metadata},
    }


def mark_dynamic_batch(card, max_batch):
    """Record a dynamic batch axis: the I/O shapes stay those of batch 1, and any batch up to `max_batch`
    runs (TensorRT builds its optimization profile for 1..max_batch)."""
    card["dynamic_batch"] = {"min": 1, "max": int(max_batch)}
    return card


def batch_range(card):
    # type: (dict) -> tuple
    """(smallest, largest) batch the model takes: a dynamic axis's range, else its fixed batch twice."""
    dynamic = card.get("dynamic_batch")
    if dynamic:
        return int(dynamic["min"]), int(dynamic["max"])
    batch = int(card["input"]["shape"][0])
    return batch, batch


def card_to_json(card):
    # type: (dict) -> str
    return json.dumps(card, sort_keys=True)


def card_from_json(text, source):
    # type: (str, str) -> dict
    """Parse and check a card; `source` names where it came from for the error message."""
    try:
        card = json.loads(text)
    except ValueError as exc:
        raise InputError("{}: model card is not valid JSON ({})".format(source, exc))
    if not isinstance(card, dict) or card.get("format") != CARD_FORMAT:
        raise InputError("{}: metadata is not a bisenet-deploy model card".format(source))
    missing = [f for f in REQUIRED_FIELDS if f not in card]
    if missing:
        raise InputError("{}: model card lacks {}".format(source, ", ".join(missing)))
    return card


def card_from_metadata(metadata, source):
    """The card from an ONNX metadata_props mapping (name -> value), or None when it has none."""
    text = metadata.get(MODEL_CARD_KEY)
    return None if text is None else card_from_json(text, source)
