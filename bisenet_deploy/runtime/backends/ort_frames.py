"""ONNX Runtime on whole camera frames: the end of the reference preprocessing in numpy, straight into
the session's bound input, and the network's output for frames.FrameLabels.

frames.FrameInput gives the float32 RGB frame at the network's size (OpenCV's colour swap, to-float
and resize). FrameIO divides it by 255, subtracts the mean and divides by the std, into the NCHW input buffer bound to the session (IOBinding): the reference's arithmetic in
its order, so the network sees exactly the reference's input. The output is bound to a reused buffer
too; for a logits head FrameLabels reads it as NHWC (a transposed view). An earlier version wrapped
these steps into the ONNX graph instead (NHWC frame in): ONNX Runtime then ran the network itself
about 50 % slower (26 against 40 ms, demo model at 512x512), and it needed the onnx package.
"""

import numpy as np

PIXEL_MAX = np.float32(255.0)


class FrameIO(object):
    """The session's input and output bound once to buffers reused every frame."""

    def __init__(self, session, card):
        self.session = session
        height, width = (int(v) for v in card["input_size"])
        dtype = np.dtype(card["input"]["dtype"])
        self.input = np.empty((1, 3, height, width), dtype)
        # float16 models: computed in float32 and cast, as the reference does
        self._normalized = self.input[0] if dtype == np.float32 else np.empty((3, height, width), np.float32)
        self.mean = np.asarray(card["mean"], np.float32)
        self.std = np.asarray(card["std"], np.float32)
        self.output = np.empty([int(v) for v in card["output"]["shape"]], np.dtype(card["output"]["dtype"]))
        self.binding = session.io_binding()
        self.binding.bind_cpu_input(card["input"]["name"], self.input)
        self.binding.bind_output(card["output"]["name"], "cpu", 0, self.output.dtype, self.output.shape,
                                 self.output.ctypes.data)

    def prepare(self, rgb):
        """The network input (the bound buffer) from FrameInput's 1 x H x W x 3 float32 RGB frame: one
        strided copy into NCHW, then the reference's three operations on contiguous memory."""
        planes = self._normalized
        np.copyto(planes, rgb[0].transpose(2, 0, 1))
        np.divide(planes, PIXEL_MAX, out=planes)
        np.subtract(planes, self.mean[:, None, None], out=planes)
        np.divide(planes, self.std[:, None, None], out=planes)
        if planes.base is not self.input:
            np.copyto(self.input[0], planes, casting="unsafe")
        return self.input

    def run(self, batch):
        """The network's output (the reused buffer; NHWC view for a logits head) for the bound input."""
        self.session.run_with_iobinding(self.binding)
        return self.output.transpose(0, 2, 3, 1) if self.output.ndim == 4 else self.output
