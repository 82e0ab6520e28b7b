"""Per-stage timing statistics of a run, and the summary printed at its end."""

import time

import numpy as np

from .segmenter import STAGES


class RunStats(object):
    """Collects per-frame stage timings; end-to-end FPS is frames over the loop's wall time."""

    def __init__(self):
        self.samples = {stage: [] for stage in STAGES}
        self.frames = 0
        self.started = time.perf_counter()
        self._last_frame_end = None

    def add(self, timings_ms):
        """One frame's {stage: milliseconds} (a FrameResult's timings)."""
        for stage, milliseconds in timings_ms.items():
            self.samples.setdefault(stage, []).append(milliseconds / 1e3)
        self.frames += 1
        self._last_frame_end = time.perf_counter()

    @property
    def wall_seconds(self):
        end = self._last_frame_end or time.perf_counter()
        return max(end - self.started, 1e-9)

    def end_to_end_fps(self):
        return self.frames / self.wall_seconds if self.frames else 0.0

    def network_fps(self):
        network = self.samples.get("network") or []
        return 1.0 / float(np.median(network)) if network else 0.0

    def status_line(self):
        """Short status line for the overlay: network and end-to-end FPS over the run so far."""
        return "net {:.1f} FPS | e2e {:.1f} FPS".format(self.network_fps(), self.end_to_end_fps())

    def percentiles_ms(self, stage):
        values = self.samples.get(stage) or []
        if not values:
            return None
        return tuple(1000.0 * float(np.percentile(values, q)) for q in (50, 95))

    def summary(self, dropped=0, interrupted=False):
        lines = ["{} frames in {:.2f}s{}{}: end-to-end {:.2f} FPS, network-only {:.2f} FPS".format(
            self.frames, self.wall_seconds, ", {} dropped".format(dropped) if dropped else "",
            " (interrupted)" if interrupted else "", self.end_to_end_fps(), self.network_fps())]
        for stage in STAGES:
            pair = self.percentiles_ms(stage)
            if pair is not None:
                lines.append("  {:<12} p50 {:8.2f} ms   p95 {:8.2f} ms".format(stage, pair[0], pair[1]))
        return "\n".join(lines)
