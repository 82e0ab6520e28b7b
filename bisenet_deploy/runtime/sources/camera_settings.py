"""--width/--height/--fps/--flip: the settings both cameras (USB and CSI) take."""

import cv2

from ...core.errors import InputError

CAMERA_DEFAULTS = {"width": 1280, "height": 720, "fps": 30, "flip": 0}

# nvvidconv's flip-methods 0..7, done in software for USB cameras.
_FLIPS = {
    0: lambda frame: frame,
    1: lambda frame: cv2.rotate(frame, cv2.ROTATE_90_COUNTERCLOCKWISE),
    2: lambda frame: cv2.rotate(frame, cv2.ROTATE_180),
    3: lambda frame: cv2.rotate(frame, cv2.ROTATE_90_CLOCKWISE),
    4: lambda frame: cv2.flip(frame, 1),
    5: lambda frame: cv2.transpose(cv2.rotate(frame, cv2.ROTATE_180)),  # upper-right diagonal
    6: lambda frame: cv2.flip(frame, 0),
    7: lambda frame: cv2.transpose(frame),  # upper-left diagonal
}


def add_camera_settings(group):
    # Defaults are applied in camera_options, so giving these with a file source can be refused.
    group.add_argument("--width", type=int, help="camera capture width (default {})".format(CAMERA_DEFAULTS["width"]))
    group.add_argument("--height", type=int,
                       help="camera capture height (default {})".format(CAMERA_DEFAULTS["height"]))
    group.add_argument("--fps", type=int, help="camera frame rate (default {})".format(CAMERA_DEFAULTS["fps"]))
    group.add_argument("--flip", type=int, choices=range(8), metavar="0..7",
                       help="nvvidconv flip-method: 0 none, 1 rotate 90 ccw, 2 rotate 180, 3 rotate 90 cw, "
                            "4 mirror, 5 upper-right diagonal, 6 upside down, 7 transpose (default 0)")


def given_settings(ns):
    """{name: value or None} of the camera settings on the command line."""
    return dict((name, getattr(ns, name, None)) for name in CAMERA_DEFAULTS)


def camera_options(ns):
    """The camera settings with defaults filled in, checked."""
    options = dict((name, CAMERA_DEFAULTS[name] if value is None else value)
                   for name, value in given_settings(ns).items())
    for name in ("width", "height", "fps"):
        if options[name] <= 0:
            raise InputError("--{} must be positive, got {}".format(name, options[name]))
    return options


def flip_frame(frame, method):
    """`frame` turned or mirrored as nvvidconv flip-method `method` (0..7) would."""
    return _FLIPS[method](frame)
