"""The bench's schedule: rounds alternate between every job, and the progress lines say how long is left.
Jobs and clock are stand-ins that record what they were asked, so nothing here is timed."""

import pytest

from bisenet_deploy.bench.limits import LIMIT_RUNS, LIMIT_WARMUP, MatMulProbe
from bisenet_deploy.bench.rounds import duration_text, eta_seconds, round_sizes, round_text, run_rounds
from bisenet_deploy.bench.timing import ColumnTimer


class RecordingJob(object):
    def __init__(self, label, calls):
        self.label = label
        self.calls = calls

    def warm(self, count):
        self.calls.append(("warm", self.label, count))

    def measure(self, count):
        self.calls.append(("measure", self.label, count))


class RecordingProgress(object):
    def __init__(self):
        self.steps, self.rounds, self.notes = [], [], []

    def describe(self, text):
        pass

    def note(self, text):
        self.notes.append(text)

    def step(self, count):
        self.steps.append(count)

    def round_done(self, text):
        self.rounds.append(text)


class TickingClock(object):
    """Ten seconds per reading: the rounds seem to take 10 s each (one reading per round)."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        self.now += 10.0
        return self.now


def test_every_round_runs_every_job_in_turn_after_all_are_warm():
    calls = []
    jobs = [RecordingJob(name, calls) for name in ("ort CPU", "OV FP32", "OV INT8", "limit")]
    progress = RecordingProgress()
    run_rounds(jobs, 2, 12, progress, clock=TickingClock())
    names = [job.label for job in jobs]
    assert calls[:4] == [("warm", name, 2) for name in names]
    assert calls[4:] == [("measure", name, size) for size in (5, 5, 2) for name in names]
    assert progress.steps == [2] * 4 + [5] * 8 + [2] * 4
    assert len(progress.rounds) == 3


def test_each_round_reports_the_time_left_at_the_pace_so_far():
    progress = RecordingProgress()
    run_rounds([RecordingJob("a", [])], 0, 15, progress, clock=TickingClock())
    # the clock reads 10 at the start, then 20, 30, 40 after each round: 5 iterations per 10 s
    assert progress.rounds == ["round 1/3, ETA 20s", "round 2/3, ETA 10s", "round 3/3, done"]


class CostedJob(RecordingJob):
    """Warm-up runs one network pass per iteration, measuring two (as a column with pipelined frames)."""

    @staticmethod
    def runs(count, warm):
        return count if warm else 2 * count


def test_the_time_left_is_estimated_right_after_the_warm_up():
    """Before the first round: a long bench says what it will do and how long it will take."""
    progress = RecordingProgress()
    run_rounds([CostedJob("a", []), CostedJob("b", [])], 2, 10, progress, clock=TickingClock())
    # each warm-up reads the clock twice (10 s): 5 s per run; the rounds make 2 x 10 runs per job
    assert progress.notes == ["measuring 2 jobs: 2 warm-up and 10 timed iterations each, in 2 rounds",
                              "warm-up took 20s; ETA 3m20s"]
    assert len(progress.rounds) == 2  # and the rounds still report theirs


def test_without_a_warm_up_the_estimate_waits_for_the_first_round():
    progress = RecordingProgress()
    run_rounds([RecordingJob("a", [])], 0, 10, progress, clock=TickingClock())
    assert progress.notes[1] == "warm-up took 10s; the time left follows each round"


def test_the_bench_jobs_count_the_runs_they_make():
    assert ColumnTimer.runs(5, True) == 10 and ColumnTimer.runs(5, False) == 16
    assert MatMulProbe.runs(5, True) == LIMIT_WARMUP and MatMulProbe.runs(1, False) == LIMIT_RUNS + 1


@pytest.mark.parametrize("iters, sizes", [(50, [5] * 10), (3, [3]), (11, [5, 5, 1]), (1, [1])])
def test_round_sizes(iters, sizes):
    assert round_sizes(iters) == sizes and sum(sizes) == iters


def test_eta_is_the_elapsed_time_per_iteration_times_what_is_left():
    assert eta_seconds(10, 50, 20.0) == pytest.approx(80.0)
    assert eta_seconds(50, 50, 100.0) == 0.0


@pytest.mark.parametrize("seconds, text", [(0.4, "0s"), (45, "45s"), (59.6, "1m00s"), (80, "1m20s"),
                                           (3599, "59m59s"), (7500, "2h05m")])
def test_durations_read_like_a_clock(seconds, text):
    assert duration_text(seconds) == text


def test_round_text():
    assert round_text(3, 10, 80.0) == "round 3/10, ETA 1m20s"
    assert round_text(10, 10, 0.0) == "round 10/10, done"
