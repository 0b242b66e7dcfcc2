"""The timed loop and its statistics, the same for every framework.

A framework supplies two callables: ``step()`` launches one batch (forward, or forward, backward
and optimizer step) and returns whatever the framework needs to wait for; ``sync(result)`` waits
until the device has finished that work. Every timed step is followed by ``sync``, so a step's
time is the device's time and not the time it took to queue the work.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from cnnlab.errors import UsageError

from .options import TimingPlan


@dataclass
class Timing:
    """Raw times of one run: the first (cold, compiling) step, every timed step, every repeat."""

    batch_size: int
    first_step_s: float
    step_s: list[float]
    repeat_s: list[float]
    repeat_steps: list[int]

    def images_per_s(self) -> list[float]:
        """Images per second of each repeat (steps times batch over the repeat's wall time)."""
        return [self.batch_size * n / t for n, t in zip(self.repeat_steps, self.repeat_s, strict=True)]

    def summary(self) -> dict:
        """Median and IQR of images/s over repeats; step-time percentiles in milliseconds."""
        ips = self.images_per_s()
        q1, q3 = quantile(ips, 0.25), quantile(ips, 0.75)
        median_step = statistics.median(self.step_s)
        return {
            "images_per_s": statistics.median(ips),
            "images_per_s_iqr": q3 - q1,
            "images_per_s_q1": q1,
            "images_per_s_q3": q3,
            "images_per_s_repeats": ips,
            "step_ms_p50": 1e3 * median_step,
            "step_ms_p90": 1e3 * quantile(self.step_s, 0.90),
            "step_ms_p99": 1e3 * quantile(self.step_s, 0.99),
            "steps_timed": len(self.step_s),
            # What the first call costs beyond an ordinary step: tracing, compiling, autotuning.
            "compile_s": max(0.0, self.first_step_s - median_step),
        }


def quantile(values, q: float) -> float:
    """Linear-interpolation quantile (numpy's default method), without numpy."""
    if not values:
        raise UsageError("quantile of an empty list")
    if not 0 <= q <= 1:
        raise UsageError(f"q must be in [0, 1], got {q!r}")
    ordered = sorted(values)
    pos = q * (len(ordered) - 1)
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def measure(
    step: Callable[[], object],
    sync: Callable[[object], None],
    *,
    batch_size: int,
    plan: TimingPlan,
    compiled: bool = False,
    clock: Callable[[], float] = time.perf_counter,
) -> Timing:
    """Time ``step`` as ``plan`` says.

    Parameters
    ----------
    step : callable
        Runs one batch and returns the value ``sync`` waits on.
    sync : callable
        Blocks until the device has finished the work behind its argument.
    batch_size : int
        Images per step, to turn times into images per second.
    plan : TimingPlan
        Warm-up steps, steps and seconds per repeat, repeats.
    compiled : bool, default=False
        Warm up longer (``plan.warmup_steps(True)``), as compiled code may recompile or autotune
        during its first calls.
    clock : callable, default=time.perf_counter

    Returns
    -------
    Timing
    """
    start = clock()
    sync(step())
    first = clock() - start
    for _ in range(plan.warmup_steps(compiled)):
        sync(step())

    step_s: list[float] = []
    repeat_s: list[float] = []
    repeat_steps: list[int] = []
    for _ in range(plan.repeats):
        n = 0
        begin = last = clock()
        while n < plan.steps or last - begin < plan.min_time:
            sync(step())
            now = clock()
            step_s.append(now - last)
            last = now
            n += 1
        repeat_s.append(last - begin)
        repeat_steps.append(n)
    return Timing(batch_size, first, step_s, repeat_s, repeat_steps)
