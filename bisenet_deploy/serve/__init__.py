"""Serving artefacts and servers: bisenet-package writes Triton model repositories and DeepStream nvinfer
configs; bisenet-serve starts a real Triton server on a repository. The Triton client is one more
backend (runtime/backends/triton_backend.py)."""
