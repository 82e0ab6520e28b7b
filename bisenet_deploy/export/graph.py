"""The graph that gets exported: the network's inference output (logits at the checkpoint's output
stride: 1/8, or full resolution for a PixelShuffle head) plus the chosen head, with every interpolation
site expressed in the chosen ONNX form."""

import contextlib

import torch
import torch.nn as nn

from .upsample import Interpolate, is_exact, make_upsample

OUTPUT_STRIDE = 8


class InferenceGraph(nn.Module):
    """x (N,3,H,W) -> logits (N,C,H/s,W/s) or labels (N,H,W) int32; `head_upsample` is None when the
    logits are already full-resolution (s = 1)."""

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
        scores = logits if self.head_upsample is None else self.head_upsample(logits, self.input_hw)
        return torch.argmax(scores, dim=1).to(torch.int32)


def interpolation_sites(model, input_hw):
    """[(module name, site, in_hw, out_hw)] for every Interpolate inside `model`, sized by one forward
    pass at `input_hw` (a site called at two different sizes cannot be replaced by one fixed form)."""
    sizes = {}

    def record(name):
        def hook(module, inputs, output):
            pair = (tuple(int(d) for d in inputs[0].shape[2:]), tuple(int(d) for d in output.shape[2:]))
            if sizes.setdefault(name, pair) != pair:
                raise ValueError("interpolation {} runs at two sizes: {} and {}".format(name, sizes[name], pair))
        return hook

    sites = [(name, module) for name, module in model.named_modules() if isinstance(module, Interpolate)]
    handles = [module.register_forward_hook(record(name)) for name, module in sites]
    try:
        with torch.no_grad():
            model(torch.zeros(1, 3, int(input_hw[0]), int(input_hw[1])))
    finally:
        for handle in handles:
            handle.remove()
    return [(name, module) + sizes[name] for name, module in sites if name in sizes]


def _parent(model, name):
    parent_name, _, attribute = name.rpartition(".")
    return (model.get_submodule(parent_name) if parent_name else model), attribute


def reference_graph(model, head, input_hw, head_align_corners, output_stride=OUTPUT_STRIDE):
    """The un-substituted graph exactly as PyTorch computes it (the verification reference)."""
    head_up = None if output_stride == 1 else Interpolate("bilinear", head_align_corners)
    return InferenceGraph(model, head, head_up, input_hw)


@contextlib.contextmanager
def substituted_graph(model, head, mode, input_hw, head_align_corners, output_stride=OUTPUT_STRIDE):
    """Yield (graph, exact) with every interpolation in `mode`; the model is restored afterwards."""
    height, width = input_hw
    exact = True
    replaced = []
    try:
        for name, site, in_hw, out_hw in interpolation_sites(model, input_hw):
            parent, attribute = _parent(model, name)
            setattr(parent, attribute, make_upsample(mode, site.align_corners, in_hw, out_hw, site.kind))
            replaced.append((parent, attribute, site))
            exact = exact and is_exact(mode, site.align_corners, site.kind)
        head_up = None if output_stride == 1 else Interpolate("bilinear", head_align_corners)
        if head == "labels" and head_up is not None:
            logits_hw = (height // output_stride, width // output_stride)
            head_up = make_upsample(mode, head_align_corners, logits_hw, (height, width))
            exact = exact and is_exact(mode, head_align_corners)
        yield InferenceGraph(model, head, head_up, input_hw), exact
    finally:
        for parent, attribute, site in replaced:
            setattr(parent, attribute, site)
