"""PyTorch backend: runs a .pth checkpoint directly, the reference the exported models are compared with.

Named torch_backend so the module can never be mistaken for the torch package.
"""

from ...core.lazy import lazy_import
from ..postprocess import head_align_corners
from .base import Backend


def model_from_checkpoint(checkpoint_path):
    """The checkpoint's network in eval mode (safe unpickling only)."""
    from ...export.checkpoint import load_checkpoint  # imports torch

    return load_checkpoint(checkpoint_path, trust=False).model


class TorchBackend(Backend):
    name = "torch"
    kinds = ("checkpoint",)
    requires = ("torch",)

    @classmethod
    def bench_columns(cls):
        """The CPU (the seed's speed table column), and CUDA when torch sees a GPU."""
        cuda = lazy_import("torch", "the torch backend").cuda.is_available()
        return [(device, {"device": device}) for device in ("cpu",) + (("cuda",) if cuda else ())]

    def __init__(self, model_path, card, threads=None, device="cpu"):
        """`device` is a torch device string ("cpu", "cuda", "cuda:1")."""
        super(TorchBackend, self).__init__(model_path, card, threads)
        self.device = device
        self._torch = None
        self._model = None
        self._threads_before = None

    def _activate(self):
        torch = lazy_import("torch", "the torch backend")
        model = model_from_checkpoint(self.model_path).to(self.device)
        if self.threads:
            # torch's thread count is process-wide: remember it so deactivate() can give it back
            self._threads_before = torch.get_num_threads()
            torch.set_num_threads(self.threads)
        self._torch, self._model = torch, model

    def _infer(self, batch):
        torch = self._torch
        with torch.inference_mode():
            logits = self._model(torch.from_numpy(batch).to(self.device))
            if self.card["head"] == "labels":
                # the exported labels head: bilinear upsample to the input size, then argmax
                scores = torch.nn.functional.interpolate(
                    logits, size=tuple(self.card["input_size"]), mode="bilinear",
                    align_corners=head_align_corners(self.card))
                return scores.argmax(dim=1).to(torch.int32).cpu().numpy()
            return logits.cpu().numpy()

    def _deactivate(self):
        if self._threads_before is not None:
            self._torch.set_num_threads(self._threads_before)
            self._threads_before = None
        self._model = None

    def _device_text(self):
        return "PyTorch {}".format(self.device)
