"""bisenet-calibrate's --help states the minimum number of images the program enforces."""

from bisenet_deploy.calib.images import MIN_IMAGES
from bisenet_deploy.calib.main import MIN_HELD_OUT, build_parser


def test_help_states_the_minimum_and_when_the_check_is_not_held_out():
    text = build_parser().format_help()
    assert "At least {} usable images are needed".format(MIN_IMAGES) in text
    assert "fewer than {} left out".format(MIN_HELD_OUT) in text and "calibration images instead" in text
