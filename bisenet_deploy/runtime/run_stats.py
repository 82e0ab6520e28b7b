"""Per-stage timing statistics of a run, and the summary printed at its end (constant memory)."""

import time

from ..core.wording import count
from .latency import LatencyHistogram, RecentWindow
from .segmenter import STAGES


class RunStats(object):
    """Collects per-frame stage timings; end-to-end FPS is frames over the loop's wall time."""

    def __init__(self, input_hw=None):
        self.histograms = {stage: LatencyHistogram() for stage in STAGES}
        self.recent_network = RecentWindow()
        self.recent_frame_ends = RecentWindow()
        self.frames = 0
        self.input_hw = input_hw
        self.started = time.perf_counter()
        self._last_frame_end = None

    def add(self, timings_ms):
        """One frame's {stage: milliseconds} (a FrameResult's timings)."""
        for stage, milliseconds in timings_ms.items():
            self.histograms.setdefault(stage, LatencyHistogram()).add(milliseconds / 1e3)
        if "network" in timings_ms:
            self.recent_network.add(timings_ms["network"] / 1e3)
        self.frames += 1
        self._last_frame_end = time.perf_counter()
        self.recent_frame_ends.add(self._last_frame_end)

    @property
    def wall_seconds(self):
        end = self._last_frame_end or time.perf_counter()
        return max(end - self.started, 1e-9)

    def end_to_end_fps(self):
        return self.frames / self.wall_seconds if self.frames else 0.0

    def network_fps(self):
        median = self.histograms["network"].quantile(50)
        return 1.0 / median if median else 0.0

    def status_line(self):
        """Short status line for the overlay: network and end-to-end FPS over the last few seconds;
        None until a frame has been measured (no '0.0 FPS' on the first frame)."""
        network = self.recent_network.median()
        if network is None:
            return None
        recent_fps = self.recent_frame_ends.rate()
        text = "net {:.1f} FPS".format(1.0 / network if network > 0 else 0.0)
        return text if recent_fps is None else text + " | e2e {:.1f} FPS".format(recent_fps)

    def percentiles_ms(self, stage):
        histogram = self.histograms.get(stage)
        if histogram is None or not histogram.count:
            return None
        return tuple(1000.0 * histogram.quantile(q) for q in (50, 95))

    def summary(self, dropped=0, interrupted=False, precision=None):
        size = " at {}x{}".format(*self.input_hw) if self.input_hw else ""
        lines = ["{} in {:.2f}s{}{}{}: end-to-end {:.2f} FPS, network-only {:.2f} FPS{}".format(
            count(self.frames, "frame"), self.wall_seconds, size, ", {} dropped".format(dropped) if dropped else "",
            " (interrupted)" if interrupted else "", self.end_to_end_fps(), self.network_fps(),
            ", precision {}".format(precision.upper()) if precision else "")]
        for stage in STAGES:
            pair = self.percentiles_ms(stage)
            if pair is not None:
                lines.append("  {:<12} p50 {:8.2f} ms   p95 {:8.2f} ms".format(stage, pair[0], pair[1]))
        return "\n".join(lines)
