"""The graph that gets exported: the network's inference output plus the chosen head, with every
bilinear upsample expressed in the chosen ONNX form."""

import contextlib

import torch
import torch.nn as nn

from .upsample import BilinearUpsample, is_exact, make_upsample

OUTPUT_STRIDE = 8
HEAD_ALIGN_CORNERS = True  # the seed's eval/demo upsample the logits with align_corners=True


class InferenceGraph(nn.Module):
    """x (N,3,H,W) -> logits (N,C,H/8,W/8) or labels (N,H,W) int32."""

    def __init__(self, model, head, head_upsample, input_hw):
        super(InferenceGraph, self).__init__()
        self.model, self.head, self.head_upsample = model, head, head_upsample
        self.input_hw = tuple(input_hw)
        # Inference only: BN uses running stats (train-mode BN fails on the ARM's 1x1 maps at batch 1),
        # and the exporter restores whatever mode the wrapper had, so it must be eval from the start.
        self.eval()

    def forward(self, x):
        logits = self.model(x)
        if self.head == "logits":
            return logits
        scores = self.head_upsample(logits, self.input_hw)
        return torch.argmax(scores, dim=1).to(torch.int32)


def upsample_sites(model, input_hw):
    """[(site name, align_corners, in_hw, out_hw)] for every bilinear upsample inside the network."""
    if model.variant != "upsample":
        return []
    height, width = input_hw
    in_hw, out_hw = (height // 16, width // 16), (height // 8, width // 8)
    return [("fusion", True, in_hw, out_hw)]


def reference_graph(model, head, input_hw):
    """The un-substituted graph exactly as PyTorch computes it (the verification reference)."""
    return InferenceGraph(model, head, BilinearUpsample(HEAD_ALIGN_CORNERS), input_hw)


@contextlib.contextmanager
def substituted_graph(model, head, mode, input_hw):
    """Yield (graph, exact) with every upsample in `mode`; the model is restored afterwards."""
    height, width = input_hw
    exact = True
    original = getattr(model, "fusion_upsample", None)
    try:
        for _, align_corners, in_hw, out_hw in upsample_sites(model, input_hw):
            model.fusion_upsample = make_upsample(mode, align_corners, in_hw, out_hw)
            exact = exact and is_exact(mode, align_corners)
        head_up = BilinearUpsample(HEAD_ALIGN_CORNERS)
        if head == "labels":
            logits_hw = (height // OUTPUT_STRIDE, width // OUTPUT_STRIDE)
            head_up = make_upsample(mode, HEAD_ALIGN_CORNERS, logits_hw, (height, width))
            exact = exact and is_exact(mode, HEAD_ALIGN_CORNERS)
        yield InferenceGraph(model, head, head_up, input_hw), exact
    finally:
        if original is not None:
            model.fusion_upsample = original
