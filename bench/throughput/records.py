"""The record of one ``cnnlab bench`` run, and the one function that builds it.

A worker (:mod:`.worker`) times a run and calls :func:`make_record`; the record crosses the
process boundary as its JSON. The records of one ``cnnlab bench`` travel in one
``{"schema": "cnnlab.bench/1", "records": [...], "skipped": [...], "failed": [...]}`` document
(:class:`.runner.BenchResult`), so each record names no schema of its own. The job is
:mod:`cnnlab.bench.jobs.bench`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from cnnlab.bench.jobs.record import JobRecord

from . import environment
from .peaks import table_peak

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class BenchRecord(JobRecord):
    """One timed run: what was asked, what ran, how fast, against which peak, where.

    Attributes
    ----------
    arch, framework, backend, label : str
        e.g. ``resnet50``, ``keras``, ``jax``, ``keras-jax``; PyTorch's backend is ``eager`` or
        ``inductor``
    device, device_name : str
        ``cpu``/``cuda`` and what the framework calls it (``NVIDIA H100 80GB HBM3``)
    precision, precision_mode, mode, layout, compiled : str, str, str, str, bool
        the setting; ``layout`` is ``NCHW``, ``NHWC (channels_last)`` or ``NHWC``
    batch_size, batch_size_requested, oom_step_down : int, int, list of int
        the batch that ran, the one asked for, the sizes that ran out of memory
    images_per_s, images_per_s_iqr, images_per_s_q1, images_per_s_q3, images_per_s_repeats : float, ..., list of float
        median, IQR and quartiles over repeats, and each repeat
    step_ms_p50, step_ms_p90, step_ms_p99, steps_timed, compile_s : float, ..., int, float
        single-step times in ms; first-step excess in s
    input_size, gmacs, gmacs_source, params : list of int, float or None, str or None, int
        per image; learnable parameters
    achieved_tflops, peak_tflops, peak_source, utilisation : float or None, ..., str or None, float or None
        against the datasheet peak (GPU only)
    matmul_tflops, utilisation_matmul : float or None
        against the matmul measured in the same run
    peak_memory_bytes, memory_kind : int, str
        GPU allocator peak, or the process's peak RSS on a CPU
    versions, threads, thread_env, flags, timing_plan, host, date : dict, int, dict, dict, dict, dict, str
        the environment
    dask_worker : str or None
        the Dask worker's address where ``--scheduler`` sent the run there, else None
    """

    SCHEMA = f"cnnlab.bench/{SCHEMA_VERSION}"
    ENVELOPED = True

    arch: str
    framework: str
    backend: str
    label: str
    device: str
    device_name: str
    precision: str
    precision_mode: str
    mode: str
    layout: str
    compiled: bool
    batch_size: int
    batch_size_requested: int
    oom_step_down: list
    images_per_s: float
    images_per_s_iqr: float
    images_per_s_q1: float
    images_per_s_q3: float
    images_per_s_repeats: list
    step_ms_p50: float
    step_ms_p90: float
    step_ms_p99: float
    steps_timed: int
    compile_s: float
    input_size: list
    gmacs: float | None
    gmacs_source: str | None
    achieved_tflops: float | None
    peak_tflops: float | None
    peak_source: str | None
    utilisation: float | None
    matmul_tflops: float | None
    utilisation_matmul: float | None
    peak_memory_bytes: int
    memory_kind: str
    params: int
    versions: dict
    threads: int | None
    thread_env: dict
    flags: dict
    timing_plan: dict
    host: dict
    date: str
    dask_worker: str | None = None


def make_record(spec, prepared, summary, *, device, device_name, batch_size, oom_failed, memory,
                matmul_tflops, threads) -> BenchRecord:
    """The record of one run: ``spec`` (a ``RunSpec``), the ``prepared`` model, the timing
    ``summary`` (``Timing.summary()``), the utilisation and the environment."""
    macs = prepared.gmacs
    # A training step is a forward and a backward pass, the backward costing about two forwards.
    flops_per_image = None if macs is None else 2e9 * macs * (3 if spec.mode == "train" else 1)
    achieved = None if flops_per_image is None else flops_per_image * summary["images_per_s"] / 1e12
    peak, peak_row = table_peak(device_name, spec.precision) if device == "cuda" else (None, None)
    backend = spec.backend
    if backend is None:
        backend = "inductor" if spec.compile else "eager"
    return BenchRecord(
        arch=spec.arch,
        framework=spec.framework,
        backend=backend,
        label=spec.label + ("+compile" if spec.compile else ""),
        device=device,
        device_name=device_name,
        precision=spec.precision,
        precision_mode=prepared.precision_mode,
        mode=spec.mode,
        layout=prepared.layout,
        compiled=spec.compile,
        batch_size=batch_size,
        batch_size_requested=spec.batch_size,
        oom_step_down=oom_failed,
        **summary,
        input_size=list(prepared.input_size),
        gmacs=macs,
        gmacs_source=prepared.gmacs_source,
        achieved_tflops=achieved,
        peak_tflops=peak,
        peak_source=f"datasheet {peak_row}" if peak_row else None,
        utilisation=None if achieved is None or not peak else achieved / peak,
        matmul_tflops=matmul_tflops,
        utilisation_matmul=None if achieved is None or not matmul_tflops else achieved / matmul_tflops,
        peak_memory_bytes=int(memory[0]),
        memory_kind=memory[1],
        params=int(prepared.params),
        versions=environment.library_versions(),
        threads=threads,
        thread_env=environment.thread_environment(),
        flags=prepared.flags,
        timing_plan=asdict(spec.timing) | {"warmup_used": spec.timing.warmup_steps(spec.compile)},
        host=environment.host(),
        date=environment.now_utc(),
    )
