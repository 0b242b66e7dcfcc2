"""Start one worker process per framework/backend, feed it its runs, and collect the records.

This side imports no framework: a Keras backend is fixed once per process, and a torch run
should not share its process with TensorFlow's thread pools, so every framework/backend gets a
fresh interpreter with its environment set before anything is imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cnnlab.errors import UsageError
from cnnlab.reference.frameworks import missing_message

from .options import FRAMEWORKS, RunSpec, check_device, missing_packages
from .records import BenchRecord


@dataclass
class BenchResult:
    """Records of the runs that finished (:class:`.records.BenchRecord` JSON), and a note for
    every run that did not."""

    records: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    failed: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"schema": BenchRecord.SCHEMA, "records": self.records, "skipped": self.skipped,
                "failed": self.failed}


def cuda_present() -> bool:
    """Whether this machine has an NVIDIA GPU, asked of the kernel rather than of a framework.

    The Linux driver lists its GPUs under ``/proc/driver/nvidia/gpus``; containers and WSL may
    show only the device nodes (``/dev/nvidia0``, ``/dev/dxg``).
    """
    try:
        if any(Path("/proc/driver/nvidia/gpus").iterdir()):
            return True
    except OSError:
        pass
    return Path("/dev/nvidia0").exists() or Path("/dev/dxg").exists()


def resolve_device(device: str) -> str:
    """``cpu``, ``cuda`` or ``auto`` after checking the machine; ``auto`` without a GPU is ``cpu``.

    Raises
    ------
    ValueError
        ``cuda`` on a machine without an NVIDIA GPU.
    """
    check_device(device)
    if device == "cuda" and not cuda_present():
        raise UsageError(
            "--device cuda: this machine has no NVIDIA GPU (no driver under /proc/driver/nvidia); "
            "use --device cpu, or --device auto to take a GPU where there is one"
        )
    if device == "auto" and not cuda_present():
        return "cpu"
    return device


def check_threads(threads):
    """``threads`` if it is None or a positive int, else a ``ValueError``."""
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int) or threads < 1):
        raise UsageError(f"--threads must be a positive int, got {threads!r}")
    return threads


def worker_environment(label: str, device: str, threads: int | None = None) -> dict[str, str]:
    """The environment of ``label``'s worker: its Keras backend, no GPU for a CPU run, threads.

    ``threads`` sets the CPU thread pools of PyTorch (OpenMP) and TensorFlow; XLA's CPU client
    (JAX) has no such setting and uses every core.
    """
    env = dict(os.environ)
    if check_threads(threads) is not None:
        for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "TF_NUM_INTRAOP_THREADS"):
            env[name] = str(threads)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    backend = FRAMEWORKS[label][1]
    if backend:
        env["KERAS_BACKEND"] = backend
    if device == "cpu":
        # Hidden before any import, so no framework initialises a GPU it will not use.
        env["CUDA_VISIBLE_DEVICES"] = ""
        env["JAX_PLATFORMS"] = "cpu"
    return env


def run_benchmarks(
    specs: list[RunSpec],
    *,
    threads: int | None = None,
    on_event: Callable[[dict], None] | None = None,
) -> BenchResult:
    """Run ``specs``, one worker process per framework label, in the order given.

    Parameters
    ----------
    specs : list of RunSpec
        All with the same device (see :func:`~cnnlab.bench.throughput.options.plan_runs`).
    threads : int, optional
        CPU threads for PyTorch and TensorFlow; their own default (one per core) if omitted.
    on_event : callable, optional
        Called with every event a worker sends (``start``, ``record``, ``error``) and with the
        ``skip`` events of labels that cannot run; a progress bar listens here.

    Returns
    -------
    BenchResult
    """
    on_event = on_event or (lambda event: None)
    result = BenchResult()
    devices = {spec.device for spec in specs}
    if len(devices) > 1:
        raise UsageError(f"all runs must share one device, got {sorted(devices)}")
    device = resolve_device(devices.pop()) if specs else "cpu"
    check_threads(threads)
    for label in dict.fromkeys(spec.label for spec in specs):
        runs = [spec for spec in specs if spec.label == label]
        missing = missing_packages(label)
        if missing:
            reason = f"{label}: {missing_message(missing)}"
            _skip(result, runs, reason, on_event)
            continue
        _run_worker(label, device, runs, result, on_event, worker_environment(label, device, threads))
    return result


def _skip(result: BenchResult, runs, reason: str, on_event) -> None:
    for spec in runs:
        note = {"run": spec.as_dict(), "reason": reason}
        result.skipped.append(note)
        on_event({"event": "skip", **note})


def _run_worker(label, device, runs, result, on_event, env) -> None:
    job = {"label": label, "device": device, "runs": [spec.as_dict() for spec in runs]}
    read_fd, write_fd = os.pipe()
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            [sys.executable, "-P", "-m", "cnnlab.bench.throughput.worker", str(write_fd)],
            stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT,
            env=env, pass_fds=(write_fd,),
        )
        os.close(write_fd)
        proc.stdin.write(json.dumps(job).encode())
        proc.stdin.close()
        finished = 0
        unavailable = None
        with os.fdopen(read_fd, encoding="utf-8") as events:
            for line in events:
                event = json.loads(line)
                kind = event["event"]
                if kind == "unavailable":
                    unavailable = f"{label}: {event['reason']}"
                    continue
                if kind == "record":
                    result.records.append(event["record"])
                elif kind == "error":
                    result.failed.append({"run": event["run"], "reason": event["reason"]})
                elif kind == "skip":
                    result.skipped.append({"run": event["run"], "reason": event["reason"]})
                finished += kind in ("record", "error", "skip")
                on_event(event)
        code = proc.wait()
        left = runs[finished:]
        if unavailable:
            _skip(result, left, unavailable, on_event)
        elif left:
            log.seek(0)
            tail = log.read().decode(errors="replace").strip().splitlines()[-5:]
            reason = f"{label} worker exited with code {code}: " + " | ".join(tail)
            for spec in left:
                note = {"run": spec.as_dict(), "reason": reason}
                result.failed.append(note)
                on_event({"event": "error", **note})
