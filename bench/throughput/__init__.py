"""The throughput benchmark behind ``cnnlab bench``.

Each framework/backend runs in a worker process of its own (:mod:`.runner` starts them,
:mod:`.worker` runs inside them); the timed loop (:mod:`.timing`) is shared and each framework
supplies its step and its device synchronisation (:mod:`.torch_steps`, :mod:`.keras_steps`).
Importing this package imports no deep-learning framework.

>>> from cnnlab.bench.throughput import plan_runs, run_benchmarks                      # doctest: +SKIP
>>> result = run_benchmarks(plan_runs(archs=["resnet18"], labels=["torch", "keras-jax"]))  # doctest: +SKIP
"""

from __future__ import annotations

from .options import DEVICES, FRAMEWORKS, MODES, PRECISIONS, RunSpec, TimingPlan, plan_runs
from .runner import BenchResult, run_benchmarks

__all__ = [
    "DEVICES", "FRAMEWORKS", "MODES", "PRECISIONS", "RunSpec", "TimingPlan", "plan_runs",
    "BenchResult", "run_benchmarks",
]
