"""bisenet-scenes: write N generated indoor scenes with exact labels (the project's own data set).

    bisenet-scenes OUT_DIR --count N --size HxW --seed S [--layout generic|sunrgbd] [--split test]

Scene i of seed S is the same picture at every run and on every machine with the same OpenCV, and
does not depend on N (so --count 10 is the first 10 of --count 100). Class ids are the SUN RGB-D 37
(bisenet_deploy/data/sun37.csv); the classes drawn are listed by --list-classes.
"""

import os
import sys

from ..core.cli import ArgumentParser, add_debug_flag, parse_size, run_main
from ..core.errors import InputError
from ..core.outpaths import check_output
from .writer import LAYOUTS
from .classes import ID
from .scene import render_scene
from .writer import scene_name, write_scene

MIN_SIDE = 32  # below this the furniture shrinks to a few pixels
MAX_SIDE = 4096  # bisenet-export's largest input; a 4096x4096 scene takes about 2 GB while it is drawn


def build_parser():
    parser = ArgumentParser(prog="bisenet-scenes", description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", nargs="?", help="folder to write the data set into")
    parser.add_argument("--count", type=int, default=10, help="how many scenes (default 10)")
    parser.add_argument("--size", type=parse_size, default=(480, 640),
                        help="scene size HxW, {0}..{1} a side (default 480x640)".format(MIN_SIDE, MAX_SIDE))
    parser.add_argument("--seed", type=int, default=0, help="which set of scenes (default 0)")
    parser.add_argument("--start", type=int, default=0, help="index of the first scene (default 0)")
    parser.add_argument("--layout", choices=LAYOUTS, default="generic",
                        help="generic: images/ + labels/ (default); sunrgbd: the seed's SPLIT/image + SPLIT/mask")
    parser.add_argument("--split", default="test",
                        help="split folder of the sunrgbd layout, a relative path inside OUT_DIR (default test)")
    parser.add_argument("--list-classes", action="store_true", help="print the classes drawn and exit")
    add_debug_flag(parser)
    return parser


def check_split(split):
    """--split names a folder inside OUT_DIR: an absolute path or one climbing out with '..' is refused,
    so every file goes where the user said."""
    if os.path.isabs(split) or os.path.normpath(split).split(os.sep)[0] == os.pardir:
        raise InputError("--split {!r} must be a folder name inside OUT_DIR (such as test or train), not an "
                         "absolute path or one leading out of it".format(split))


def body(args):
    if args.list_classes:
        for name, class_id in sorted(ID.items(), key=lambda item: item[1]):
            print("{:2d} {}".format(class_id, name))
        return 0
    if not args.out_dir:
        raise InputError("give the output folder (bisenet-scenes OUT_DIR --count N)")
    if args.count < 1 or args.start < 0:
        raise InputError("--count must be at least 1 and --start at least 0")
    if min(args.size) < MIN_SIDE or max(args.size) > MAX_SIDE:
        raise InputError("--size must be from {0}x{0} to {1}x{1}, got {2}x{3}".format(MIN_SIDE, MAX_SIDE, *args.size))
    check_split(args.split)
    check_output(args.out_dir, "OUT_DIR", folder=True)
    height, width = args.size
    for index in range(args.start, args.start + args.count):
        bgr, labels = render_scene(args.seed, index, height, width)
        write_scene(args.out_dir, scene_name(index), bgr, labels, args.layout, args.split)  # OutputError names the file
    print("wrote {} scenes ({}x{}, seed {}, {} layout) to {}".format(
        args.count, height, width, args.seed, args.layout, args.out_dir))
    return 0


def main(argv=None):
    return run_main(body, build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
