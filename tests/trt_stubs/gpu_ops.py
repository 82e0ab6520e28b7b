"""runtime.gpu.pycuda_ops for the tests: the same calls on FakeMemory, numpy reference arithmetic."""

import numpy as np

from .recording import Calls


def fake_network(inputs):
    """What the stub engine computes: labels = 1 where the first channel is positive, else 0."""
    return (inputs[:, 0] > 0).astype(np.int32)


class StubGpuOps(object):
    """Stands in for runtime.gpu.pycuda_ops on FakeMemory: the same calls, numpy reference arithmetic."""

    def __init__(self, memory):
        self.memory = memory
        self.calls = Calls()
        ops = self

        class CudaKernels(object):
            def __init__(self):
                ops.calls.append(("CudaKernels", ()))

        class GpuPreprocessor(object):
            def __init__(self, card, input_dtype, kernels, mapped):
                self.card, self.dtype, self.mapped = card, np.dtype(input_dtype), mapped
                ops.calls.append(("GpuPreprocessor", (mapped,)))

            def run(self, frame_bgr, input_pointer, stream):
                from bisenet_deploy.core.preprocess import preprocess
                batch = preprocess(frame_bgr, self.card["input_size"], self.card["mean"], self.card["std"], self.dtype)
                ops.memory.view(input_pointer, batch.shape, self.dtype)[...] = batch
                self.frame = frame_bgr
                return self

            def close(self):
                ops.calls.append(("close", ("pre",)))

        class GpuPostprocessor(object):
            def __init__(self, card, output_shape, output_dtype, alpha, kernels, mapped):
                self.card, self.shape, self.dtype, self.alpha = card, output_shape, np.dtype(output_dtype), alpha
                ops.calls.append(("GpuPostprocessor", (alpha,)))

            def run(self, output_pointer, frame, stream, overlay=True):
                from bisenet_deploy.runtime.overlay import blend, colorize
                from bisenet_deploy.runtime.postprocess import labels_from_output
                output = ops.memory.view(output_pointer, self.shape, self.dtype)
                labels = labels_from_output(output, self.card, frame.frame.shape[:2]).astype(np.uint8)
                blended = blend(frame.frame, colorize(labels, self.card["colors"]), self.alpha) if overlay else None
                return labels, blended

            def close(self):
                ops.calls.append(("close", ("post",)))

        self.CudaKernels, self.GpuPreprocessor, self.GpuPostprocessor = CudaKernels, GpuPreprocessor, GpuPostprocessor
