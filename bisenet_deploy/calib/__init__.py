"""INT8: calibration images, TensorRT calibration caches and explicit QDQ models.

images    the calibration stream: folder / glob / video -> batches by the runtime's preprocessing
cache     TensorRT implicit-INT8 calibration cache files: read, write, decode, version check
qdq       FP32 ONNX -> QDQ INT8 ONNX with onnxruntime, shaped for TensorRT's parser
compare   QDQ vs FP32 with ONNX Runtime: agreement, max abs diff, mIoU
main      the bisenet-calibrate command
"""
