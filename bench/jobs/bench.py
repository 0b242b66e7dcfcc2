"""The ``cnnlab bench`` job: images per second of each run, with the model's facts, utilisation
and the environment, in one flat record per run.

The runs go to worker processes (:mod:`cnnlab.bench.throughput`, one per framework and Keras
backend) or to a Dask cluster. The record, its schema version and the function that builds it
live beside the worker that calls it, in :mod:`cnnlab.bench.throughput.records` (re-exported
here), so that the runner can name the schema without importing this job.
"""

from __future__ import annotations

from cnnlab.bench.throughput.records import SCHEMA_VERSION, BenchRecord, make_record

__all__ = ["SCHEMA_VERSION", "BenchRecord", "make_record", "run"]


def run(*, specs, threads: int | None = None, scheduler: str | None = None, on_event=None):
    """Run ``specs`` in local worker processes, or on the workers of a Dask ``scheduler``.

    Parameters
    ----------
    specs : list of RunSpec
        From ``cnnlab.bench.throughput.options.plan_runs``.
    threads : int, optional
        CPU threads for PyTorch and TensorFlow (their default: one per core).
    scheduler : str, optional
        A Dask scheduler's address.
    on_event : callable, optional
        Called with each ``start``, ``record``, ``error`` and ``skip`` event.

    Returns
    -------
    cnnlab.bench.throughput.runner.BenchResult
        Its ``records`` hold each run's :class:`BenchRecord` as JSON; ``as_dict()`` is the
        ``cnnlab.bench/1`` document.
    """
    if scheduler:
        from cnnlab.bench.grading import distributed

        return distributed.run_benchmarks(specs, scheduler=scheduler, threads=threads,
                                          on_event=on_event)
    from cnnlab.bench.throughput.runner import run_benchmarks

    return run_benchmarks(specs, threads=threads, on_event=on_event)
