"""Memory and per-frame cost of bisenet-run's statistics over a long run (a robot runs for hours).

Feeds RunStats what a run feeds it (four stage timings and a live status line per frame) for
--frames frames and prints the process RSS and the status line's cost every --every frames. With
bounded statistics both stay flat; keeping every sample (the old RunStats) grew both with run length.

    python benchmarks/run_stats_memory.py --frames 100000
"""

import argparse
import resource
import sys
import time

from bisenet_deploy.runtime.run_stats import RunStats


def rss_mib():
    """Resident set size now (Linux /proc), else the peak from getrusage."""
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except IOError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=100000)
    parser.add_argument("--every", type=int, default=10000)
    args = parser.parse_args()
    stats = RunStats((480, 640))
    print("{:>8} {:>10} {:>16}".format("frames", "RSS MiB", "status line us"))
    started = time.perf_counter()
    for frame in range(1, args.frames + 1):
        stats.add({"preprocess": 1.2, "network": 20.0 + frame % 13, "postprocess": 0.8, "overlay": 2.5})
        begin = time.perf_counter()
        stats.status_line()
        cost_us = 1e6 * (time.perf_counter() - begin)
        if frame % args.every == 0:
            print("{:>8} {:>10.1f} {:>16.1f}".format(frame, rss_mib(), cost_us))
    print("python {}, {} frames in {:.1f} s".format(sys.version.split()[0], args.frames,
                                                     time.perf_counter() - started))
    print(stats.summary())


if __name__ == "__main__":
    main()
