"""A model repository checked before a server starts on it: every model folder's config.pbtxt parsed
with Triton's schema, and each model's backend one the server has."""

import os

from ..core.errors import InputError
from .triton_config import parse_config


def check_repository(repository, server):
    # type: (str, object) -> list
    """Names of the repository's models; InputError for a missing folder, a bad config, or a model the
    server cannot run (the nvidia-pytriton server has only the python backend)."""
    if os.path.isfile(repository):
        raise InputError("{} is a file; bisenet-serve takes a model repository folder (write one with "
                         "bisenet-package {} --triton REPO)".format(repository, repository))
    if not os.path.isdir(repository):
        raise InputError("model repository not found: {}".format(repository))
    names = []
    for name in sorted(os.listdir(repository)):
        path = os.path.join(repository, name, "config.pbtxt")
        if not os.path.isfile(path):
            continue
        with open(path) as handle:
            config = parse_config(handle.read(), path)
        runs_on = config.backend or {"onnxruntime_onnx": "onnxruntime", "tensorrt_plan": "tensorrt"}.get(
            config.platform, config.platform)
        if server.backends_only is not None and runs_on not in server.backends_only:
            raise InputError("{}: model {!r} needs Triton's {} backend, which {} lacks (it has {}); package it with "
                             "bisenet-package MODEL.onnx --triton REPO --platform python, or serve it in NVIDIA's "
                             "container".format(repository, name, runs_on, server.origin,
                                                ", ".join(server.backends_only)))
        names.append(name)
    if not names:
        raise InputError("{} holds no model (no NAME/config.pbtxt); write one with bisenet-package MODEL --triton "
                         "{}".format(repository, repository))
    return names
