"""INT8: calibration images, TensorRT calibrators and explicit QDQ models."""
