"""Numbers more than one command relies on, defined once."""

NETWORK_STRIDE = 16  # the context path works at 1/16, so input sides must be multiples of 16
# The seed's speed table measures checkpoints at 512x512; a checkpoint itself has no input size.
DEFAULT_CHECKPOINT_INPUT = (512, 512)
# "For ImageNet networks, around 500 calibration images is adequate" (TensorRT sampleINT8 README).
CALIBRATION_IMAGES = 500
