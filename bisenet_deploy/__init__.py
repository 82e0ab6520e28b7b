"""bisenet-deploy: BiSeNet checkpoints to measured TensorRT cameras on Jetson TX2 and beyond."""

__version__ = "0.1.0"
