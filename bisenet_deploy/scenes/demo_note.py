"""What scripts/demo.sh's mIoU measured, said beside the demo model's own record, so a figure from a few
scenes does not read as a contradiction of the record over a hundred.

    python -m bisenet_deploy.scenes.demo_note MODEL.onnx SCENES_DIR
"""

import sys

from ..core.errors import InputError
from ..core.images import dataset_images, images_in_folder, read_image
from ..core.model_info import load_model_card


def demo_record(card):
    # type: (dict) -> dict
    """The trained demo model's record (held-out mIoU and how the scenes were made), kept in the card
    from its checkpoint; empty for any other model."""
    return ((card.get("source_checkpoint") or {}).get("metadata") or {}).get("demo_model") or {}


def demo_note(card, scene_count, scene_size_hw):
    # type: (dict, int, tuple) -> str
    """Two lines: what the scenes were, and the record they are not."""
    height, width = card["input_size"]
    lines = ["mIoU above: {} generated scene{} at {}x{}, segmented at the model's {}x{} input size".format(
        scene_count, "" if scene_count == 1 else "s", scene_size_hw[0], scene_size_hw[1], height, width)]
    record = demo_record(card)
    if record.get("held_out_mIoU") is not None:
        lines.append("the README's {:.1f}% is the model's record over `{}`; over only {} scenes a class seen in a few "
                     "pixels weighs as much as the walls, so the figure is rougher and usually lower".format(
                         100.0 * record["held_out_mIoU"], record.get("held_out", "its held-out scenes"), scene_count))
    return "\n".join(lines)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        sys.stderr.write("usage: python -m bisenet_deploy.scenes.demo_note MODEL.onnx SCENES_DIR\n")
        return 2
    try:
        pictures = images_in_folder(dataset_images(argv[1]) or argv[1])
        note = demo_note(load_model_card(argv[0]), len(pictures), read_image(pictures[0]).shape[:2])
    except InputError as exc:
        sys.stderr.write("demo_note: {}\n".format(exc))
        return 2
    sys.stdout.write(note + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
