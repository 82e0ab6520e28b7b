"""Shared by the kernel tests: the size cases, the host harness (built once with nvcc) and small input makers."""

import os
import shutil
import subprocess
import types

import numpy as np
import pytest

from bisenet_deploy.runtime.gpu.kernel_source import KERNELS_FILE

HARNESS_SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "host_harness.cu")

# (id, frame (h, w), network input (h, w))
PREPROCESS_CASES = [
    ("downscale", (480, 640), (64, 96)),
    ("upscale-odd", (37, 53), (64, 96)),
    ("exact-2x", (128, 192), (64, 96)),  # cv2 switches INTER_LINEAR to INTER_AREA here
    ("same-size", (64, 96), (64, 96)),
    ("near-same", (100, 101), (99, 100)),
    ("1080p", (1080, 1920), (512, 1024)),  # source x up to 1920: the float32 rounding of x matters
    ("one-pixel", (1, 1), (16, 24)),
    ("one-column", (7, 1), (5, 3)),
    ("one-row", (1, 9), (4, 4)),
    ("to-one-pixel", (33, 47), (1, 1)),
]
# (id, logits (classes, h, w), frame (h, w))
LOGITS_CASES = [
    ("37-classes", (37, 8, 12), (64, 96)),
    ("to-480x640", (5, 8, 12), (480, 640)),
    ("odd-frame", (4, 9, 13), (123, 77)),
    ("downscale", (3, 16, 16), (7, 9)),
    ("one-pixel-in", (3, 1, 1), (5, 7)),
    ("one-pixel-out", (6, 9, 13), (1, 1)),
    ("one-column", (2, 5, 1), (10, 3)),
]
# (id, labels (h, w), frame (h, w))
LABEL_MAP_CASES = [
    ("upscale", (64, 96), (480, 640)),
    ("same-size", (64, 96), (64, 96)),
    ("2x", (64, 96), (128, 192)),
    ("odd-downscale", (64, 96), (37, 53)),
    ("one-column", (3, 1), (10, 2)),
    ("one-pixel", (1, 1), (5, 5)),
]
CASE_PARAMETERS = {"preprocess_case": PREPROCESS_CASES, "logits_case": LOGITS_CASES,
                   "label_map_case": LABEL_MAP_CASES}


def pytest_generate_tests(metafunc):
    for name, cases in CASE_PARAMETERS.items():
        if name in metafunc.fixturenames:
            metafunc.parametrize(name, [case[1:] for case in cases], ids=[case[0] for case in cases])


def random_frame(height, width, seed=0):
    return np.random.RandomState(seed).randint(0, 256, (height, width, 3)).astype(np.uint8)


def card(head="logits", num_classes=5, align_corners=True):
    """The card fields the GPU processors read; colours are deliberately not greys, so BGR order shows."""
    colours = np.random.RandomState(num_classes).randint(0, 256, (num_classes, 3)).tolist()
    return {"head": head, "num_classes": num_classes, "classes": ["c{}".format(i) for i in range(num_classes)],
            "colors": colours, "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225], "input_size": [64, 96],
            "head_upsample": {"mode": "bilinear", "align_corners": align_corners}}


def addweighted_simd(frame, mask, alpha):
    """cv2.addWeighted(mask, alpha, frame, 1 - alpha, 0) as its SIMD path computes it:
    round-half-even(fma(mask, alpha, float32(frame * beta))). float64 holds mask * alpha + that
    product exactly, so one rounding to float32 is the fused result."""
    a, b = np.float32(alpha), np.float32(1.0 - float(alpha))
    product = frame.astype(np.float32) * b
    fused = (mask.astype(np.float64) * np.float64(a) + product.astype(np.float64)).astype(np.float32)
    return np.clip(np.rint(fused), 0, 255).astype(np.uint8)


@pytest.fixture(scope="session")
def kernel_inputs():
    """random_frame, card and addweighted_simd for the test modules (conftest cannot be imported)."""
    return types.SimpleNamespace(random_frame=random_frame, card=card, addweighted_simd=addweighted_simd)


@pytest.fixture(scope="session")
def nvcc():
    path = shutil.which("nvcc")
    if path is None:
        pytest.skip("nvcc is not on PATH: checking the CUDA kernels needs the CUDA toolkit's compiler")
    return path


class Harness(object):
    """tests/gpu/host_harness.cu built with nvcc: kernels.cu's per-pixel functions run on the CPU."""

    def __init__(self, binary, workdir):
        self.binary, self.workdir = str(binary), workdir

    def run(self, *args):
        result = subprocess.run([self.binary] + [str(a) for a in args], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, universal_newlines=True)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def _path(self, name, array=None):
        path = os.path.join(str(self.workdir), name)
        if array is not None:
            np.ascontiguousarray(array).tofile(path)
        return path

    def info(self):
        return {key: int(value) for key, value in (line.split() for line in self.run("info").splitlines())}

    def taps(self, mode, src_size, dst_size):
        out = self._path("taps.bin")
        self.run("taps", mode, src_size, dst_size, out)
        return np.fromfile(out, np.dtype([("lo", np.int32), ("hi", np.int32), ("frac", np.float32)]))

    def preprocess(self, frame, input_hw, dtype, mean, std, row_padding=0):
        """Runs on `frame` stored with `row_padding` spare bytes after each row (a pitched image)."""
        height, width = frame.shape[:2]
        pitch = width * 3 + row_padding
        pitched = np.zeros((height, pitch), np.uint8)
        pitched[:, :width * 3] = frame.reshape(height, width * 3)
        out = self._path("input.bin")
        exact = [float(np.float32(v)).hex() for v in list(mean) + list(std)]
        self.run("preprocess", self._path("frame.bin", pitched), height, width, pitch, input_hw[0], input_hw[1],
                 dtype, *(exact + [out]))
        return np.fromfile(out, dtype).reshape((1, 3) + tuple(input_hw))

    def logits(self, logits, frame_hw, align_corners):
        out = self._path("labels.bin")
        classes, height, width = logits.shape
        self.run("logits", self._path("logits.bin", logits), logits.dtype.name, classes, height, width,
                 frame_hw[0], frame_hw[1], int(align_corners), out)
        return np.fromfile(out, np.uint8).reshape(frame_hw)

    def label_map(self, labels, frame_hw):
        out = self._path("labels.bin")
        self.run("labelmap", self._path("label_map.bin", labels.astype(np.int32)), labels.shape[0], labels.shape[1],
                 frame_hw[0], frame_hw[1], out)
        return np.fromfile(out, np.uint8).reshape(frame_hw)

    def overlay(self, labels, frame, palette_bgr, alpha, beta):
        height, width = labels.shape
        out = self._path("overlay.bin")
        self.run("overlay", self._path("overlay_labels.bin", labels.astype(np.uint8)), self._path("frame.bin", frame),
                 height, width, width * 3, self._path("palette.bin", palette_bgr), len(palette_bgr),
                 float(alpha).hex(), float(beta).hex(), out)
        return np.fromfile(out, np.uint8).reshape(height, width, 3)


@pytest.fixture(scope="session")
def harness(nvcc, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("host_harness")
    binary = workdir / "host_harness"
    command = [nvcc, "-arch=sm_75", "-Xcompiler", "-ffp-contract=off", "-I", os.path.dirname(KERNELS_FILE),
               "-o", str(binary), HARNESS_SOURCE]
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    assert result.returncode == 0, "host harness did not build:\n" + result.stderr
    return Harness(binary, workdir)
