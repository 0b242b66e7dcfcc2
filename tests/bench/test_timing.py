"""The timed loop and its statistics, driven by a deterministic clock (no framework involved)."""

import numpy as np
import pytest

from cnnlab.bench.throughput.options import TimingPlan
from cnnlab.bench.throughput.timing import measure, quantile


class StepClock:
    """A clock that advances only when a step runs: step i takes ``durations[i]`` seconds."""

    def __init__(self, durations):
        self.durations = list(durations)
        self.now = 0.0
        self.steps = 0
        self.synced = 0

    def __call__(self):
        return self.now

    def step(self):
        self.now += self.durations[self.steps % len(self.durations)]
        self.steps += 1
        return self.steps

    def sync(self, result):
        assert result == self.steps, "sync must wait on the step just launched"
        self.synced += 1


@pytest.mark.parametrize("q", [0.0, 0.1, 0.25, 0.5, 0.9, 0.99, 1.0])
def test_quantile_matches_numpy(q):
    values = [3.0, 1.0, 4.0, 1.5, 9.0, 2.6, 5.0]
    assert quantile(values, q) == pytest.approx(np.quantile(values, q))


def test_every_step_is_synced_and_counted():
    clock = StepClock([0.01])
    plan = TimingPlan(warmup=2, steps=5, min_time=0.0, repeats=3)
    timing = measure(clock.step, clock.sync, batch_size=8, plan=plan, clock=clock)
    # 1 first step + 2 warm-up + 3 repeats x 5 steps, each followed by its sync
    assert clock.steps == clock.synced == 1 + 2 + 15
    assert timing.repeat_steps == [5, 5, 5]
    assert len(timing.step_s) == 15


def test_images_per_second_is_batch_times_steps_over_time():
    clock = StepClock([0.02, 0.03])  # alternating step times
    plan = TimingPlan(warmup=0, steps=4, min_time=0.0, repeats=2)
    timing = measure(clock.step, clock.sync, batch_size=8, plan=plan, clock=clock)
    # first step 0.02 untimed; repeat 1: 0.03+0.02+0.03+0.02 = 0.10 s for 32 images
    assert timing.images_per_s() == pytest.approx([320.0, 320.0])
    summary = timing.summary()
    assert summary["images_per_s"] == pytest.approx(320.0)
    assert summary["images_per_s_iqr"] == pytest.approx(0.0)
    assert summary["step_ms_p50"] == pytest.approx(25.0)
    assert summary["step_ms_p99"] == pytest.approx(np.quantile([20, 30] * 4, 0.99))


def test_a_repeat_runs_until_both_steps_and_min_time_are_reached():
    clock = StepClock([0.1])
    plan = TimingPlan(warmup=0, steps=2, min_time=0.55, repeats=2)
    timing = measure(clock.step, clock.sync, batch_size=1, plan=plan, clock=clock)
    assert timing.repeat_steps == [6, 6]  # 0.6 s is the first multiple of 0.1 past 0.55


def test_compile_time_is_the_first_step_beyond_an_ordinary_one():
    clock = StepClock([5.0] + [0.1] * 40)
    plan = TimingPlan(warmup=3, steps=4, min_time=0.0, repeats=2)
    summary = measure(clock.step, clock.sync, batch_size=1, plan=plan, compiled=True,
                      clock=clock).summary()
    assert summary["compile_s"] == pytest.approx(4.9)
    assert clock.steps == 1 + 9 + 8  # compiled: 3 x 3 warm-up steps


def test_the_spread_reports_a_slow_repeat():
    durations = [0.1] * 5 + [0.1] * 4 + [0.2] * 4 + [0.1] * 4  # first + warm-up, then 3 repeats
    clock = StepClock(durations)
    plan = TimingPlan(warmup=4, steps=4, min_time=0.0, repeats=3)
    timing = measure(clock.step, clock.sync, batch_size=2, plan=plan, clock=clock)
    ips = timing.images_per_s()
    assert ips == pytest.approx([20.0, 10.0, 20.0])
    assert timing.summary()["images_per_s_iqr"] == pytest.approx(
        np.quantile(ips, 0.75) - np.quantile(ips, 0.25)
    )
