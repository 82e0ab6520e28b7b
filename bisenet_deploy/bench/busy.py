"""Is the host busy? A speed table measured while other work shared the cores says less than it seems, so
bisenet-bench says so: when the load average is above the thread count when it starts or ends (at the
end less the bench's own CPU use), or when a column's rounds spread by more than MAX_ROUND_SPREAD."""

import logging
import os
import time

log = logging.getLogger(__name__)

MAX_ROUND_SPREAD = 0.2


def load_average():
    # type: () -> float
    """The 1-minute load average, or None where the OS has none."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def cpu_seconds():
    # type: () -> float
    """CPU time this process (all its threads) has used so far."""
    times = os.times()
    return times[0] + times[1]


def round_spread(round_medians):
    # type: (list) -> float
    """(max - min) / median of a column's per-round medians; None with fewer than two rounds."""
    if len(round_medians) < 2:
        return None
    ordered = sorted(round_medians)
    middle = len(ordered) // 2
    median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2.0
    return (ordered[-1] - ordered[0]) / median


def busy_reasons(threads, load_start, load_end, own_load, spreads):
    # type: (int, float, float, float, dict) -> list
    """Why the host looks busy, one sentence each ([] when it does not): `load_start`/`load_end` are load
    averages (None: unknown), `own_load` the bench's own average CPU use (cores) to take off the end
    one, `spreads` {column name: round spread or None}."""
    reasons = []
    if load_start is not None and load_start > threads:
        reasons.append("load average {:.2f} above the {} threads when the bench started".format(load_start, threads))
    if load_end is not None and load_end - (own_load or 0.0) > threads:
        reasons.append("load average {:.2f} when it ended, {:.2f} of it other work, above the {} threads".format(
            load_end, load_end - (own_load or 0.0), threads))
    for name, spread in spreads.items():
        if spread is not None and spread > MAX_ROUND_SPREAD:
            reasons.append("{}: its rounds spread by {:.0%} (over {:.0%})".format(name, spread, MAX_ROUND_SPREAD))
    return reasons


def host_start():
    # type: () -> tuple
    """(load average, CPU seconds, wall clock) before the bench's own work loads the host."""
    return load_average(), cpu_seconds(), time.monotonic()


def host_report(threads, started, spreads):
    # type: (int, tuple, dict) -> dict
    """The environment's load fields at the end of a bench begun at `started` (host_start): load averages
    at the start and end, the bench's own average CPU use, and why the host looked busy (None when it
    did not), each reason logged as a warning too."""
    load_start, cpu_start, wall_start = started
    load_end = load_average()
    own_load = (cpu_seconds() - cpu_start) / max(time.monotonic() - wall_start, 1e-9)
    reasons = busy_reasons(threads, load_start, load_end, own_load, spreads)
    for reason in reasons:
        log.warning("busy host: %s", reason)
    return {"load_average_start": None if load_start is None else round(load_start, 2),
            "load_average_end": None if load_end is None else round(load_end, 2),
            "bench_cpu_load": round(own_load, 2), "busy_host": "; ".join(reasons) or None}
