#!/usr/bin/env python3
"""What the label step costs: a logits head's 1/8 scores -> labels at 480x640, through the reference
(bilinear upsample of every class, then argmax), LabelUpsampler's numpy code and its C routine (its
own thread count, and two threads), on one ONNX model's scores for each picture given. Also counts the boundary cells,
which set LabelUpsampler's cost, and checks that every path gives the reference's labels.

    .venv/bin/python benchmarks/label_upsample.py MODEL.onnx PICTURE [PICTURE ...] [--runs 30]
"""

import argparse
import sys
import time

import cv2
import numpy as np

from bisenet_deploy.core.preprocess import preprocess
from bisenet_deploy.runtime.backends.ort import OrtBackend
from bisenet_deploy.runtime.bilinear import argmax_upsampled
from bisenet_deploy.runtime.label_upsample import LabelUpsampler
from bisenet_deploy.runtime.model_card import load_model_card

FRAME = (480, 640)


def median_ms(call, runs):
    call()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return 1000 * float(np.median(times))


def boundary_cells(scores):
    best = scores.argmax(axis=2)
    same = (best[:-1, :-1] == best[1:, :-1]) & (best[:-1, :-1] == best[:-1, 1:]) & (best[:-1, :-1] == best[1:, 1:])
    return float(np.mean(~same))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model")
    parser.add_argument("pictures", nargs="+")
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args(argv)
    card = load_model_card(args.model)
    if card["head"] != "logits":
        print("{} has a labels head: no label step to time".format(args.model))
        return 2
    with OrtBackend(args.model, card, threads=2, providers=["CPUExecutionProvider"]) as backend:
        outputs = [backend.infer(preprocess(cv2.resize(cv2.imread(p), FRAME[::-1], interpolation=cv2.INTER_AREA),
                                            card["input_size"]))[0] for p in args.pictures]
    align = bool(card.get("head_upsample", {}).get("align_corners", True))
    print("{}: {} classes, scores {}x{} -> labels {}x{}, medians of {} runs".format(
        args.model, card["num_classes"], outputs[0].shape[1], outputs[0].shape[2], FRAME[0], FRAME[1], args.runs))
    for picture, chw in zip(args.pictures, outputs):
        hwc = np.ascontiguousarray(chw.transpose(1, 2, 0))
        reference = argmax_upsampled(chw, FRAME, align)
        numpy_path = LabelUpsampler(hwc.shape[:2], FRAME, card["num_classes"], align, use_native=False)
        native = LabelUpsampler(hwc.shape[:2], FRAME, card["num_classes"], align)  # its own thread count
        split = LabelUpsampler(hwc.shape[:2], FRAME, card["num_classes"], align)
        split.threads = 2
        rows = [("reference (numpy, every class)", lambda: argmax_upsampled(chw, FRAME, align))]
        rows += [("LabelUpsampler numpy", lambda: numpy_path(hwc))]
        if native.native is not None:
            rows += [("LabelUpsampler C, {} thread(s)".format(native.threads), lambda: native(hwc)),
                     ("LabelUpsampler C, 2 threads", lambda: split(hwc))]
        assert all(np.array_equal(up(hwc), reference) for up in (numpy_path, native, split))
        print("{}: {:.0%} of the cells on a class boundary; every path equals the reference".format(
            picture, boundary_cells(hwc)))
        for name, call in rows:
            print("  {:<32} {:8.2f} ms".format(name, median_ms(call, args.runs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
