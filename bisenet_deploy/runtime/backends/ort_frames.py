"""ONNX Runtime on whole camera frames: frames.FrameInput's normalized NCHW input bound to the session,
and the network's output for frames.FrameLabels.

FrameInput(normalized=True) gives the whole reference preprocessing (the colour swap, to-float,
resize, then / 255, - mean, / std in the reference's order), so the network sees exactly the
reference's input. Its buffer is bound to the session (IOBinding) once per frame size; a float16
model's input is cast into a bound buffer of its own, as the reference casts. The output is bound to
a reused buffer too; for a logits head FrameLabels reads it as NHWC (a transposed view). An earlier
version wrapped these steps into the ONNX graph instead (NHWC frame in): ONNX Runtime then ran the
network itself about 50 % slower (26 against 40 ms, demo model at 512x512), and it needed the onnx
package.
"""

import numpy as np


class FrameIO(object):
    """The session's input and output bound to buffers reused every frame."""

    def __init__(self, session, card):
        self.session = session
        self.input_name = card["input"]["name"]
        height, width = (int(v) for v in card["input_size"])
        dtype = np.dtype(card["input"]["dtype"])
        self._cast = None if dtype == np.float32 else np.empty((1, 3, height, width), dtype)
        self._bound = None  # the input array the session reads
        self.output = np.empty([int(v) for v in card["output"]["shape"]], np.dtype(card["output"]["dtype"]))
        self.binding = session.io_binding()
        self.binding.bind_output(card["output"]["name"], "cpu", 0, self.output.dtype, self.output.shape,
                                 self.output.ctypes.data)

    def prepare(self, normalized):
        """The bound network input for FrameInput's normalized 1 x 3 x H x W float32 buffer: that buffer
        itself (bound on first sight), or its cast for a float16 model."""
        batch = normalized
        if self._cast is not None:
            np.copyto(self._cast, normalized, casting="unsafe")
            batch = self._cast
        if batch is not self._bound:
            self.binding.bind_cpu_input(self.input_name, batch)
            self._bound = batch
        return batch

    def run(self, batch):
        """The network's output (the reused buffer; NHWC view for a logits head) for the bound input."""
        self.session.run_with_iobinding(self.binding)
        return self.output.transpose(0, 2, 3, 1) if self.output.ndim == 4 else self.output
