"""Numbers more than one command relies on, defined once."""

NETWORK_STRIDE = 16  # the context path works at 1/16, so input sides must be multiples of 16
EVERY_FAMILY_MULTIPLE = 32  # an input side every family takes: V1/V2 work at 1/32, the seed at 1/16
# One input size for the whole toolchain: what bisenet-export writes by default (a camera's 480x640),
# and what a checkpoint, which has no size of its own, runs at in bisenet-run, -eval and -bench.
DEFAULT_INPUT_SIZE = (480, 640)
# "For ImageNet networks, around 500 calibration images is adequate" (TensorRT sampleINT8 README).
CALIBRATION_IMAGES = 500
