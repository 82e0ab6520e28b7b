"""CUDA pre- and postprocessing: kernels.cu (compiled at run time), its pure-Python plans
(kernel_source) and the pycuda wrappers the TensorRT backend uses (pycuda_ops, imports pycuda lazily)."""
