"""The closed sets the export CLI offers, kept free of torch so `--help` works without it."""

ARCHS = ("resnet101", "resnet18", "resnet50")
VARIANTS = ("deconv", "upsample")
HEADS = ("labels", "logits")
UPSAMPLE_MODES = ("deconv", "resize", "matmul")
# The lint's targets (export/trt_support.json holds their facts).
LINT_TARGETS = ("7.1", "8.0", "8.2", "8.6", "10", "11")
DEFAULT_LINT_TARGET = "8.2"
