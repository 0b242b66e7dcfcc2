"""The worker process: runs every benchmark of one framework/backend and reports each as it ends.

Started by :mod:`cnnlab.bench.throughput.runner` as ``python -m cnnlab.bench.throughput.worker FD`` with the job
(JSON) on stdin and ``KERAS_BACKEND`` already set, since Keras fixes its backend once per
process. Events go out one JSON line each on file descriptor ``FD``, a pipe of their own, so
whatever the frameworks print on stdout and stderr cannot corrupt them.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from dataclasses import asdict

from . import environment
from .options import FRAMEWORKS, RunSpec
from .peaks import table_peak
from .prepared import Unsupported
from .stepdown import run_with_step_down
from .timing import measure


def framework_module(label: str):
    """``torch_steps`` for PyTorch, ``keras_steps`` for any Keras backend."""
    name = "torch_steps" if FRAMEWORKS[label][0] == "torch" else "keras_steps"
    return importlib.import_module(f"cnnlab.bench.throughput.{name}")


def run_one(fw, spec: RunSpec, device: str, context: dict) -> dict:
    """Time ``spec`` with ``fw`` (a steps module) on ``device``; return its record."""

    def attempt(batch_size):
        fw.reset_peak_memory(device)
        prepared = fw.prepare(spec, device, batch_size)
        timing = measure(
            prepared.step, prepared.sync, batch_size=batch_size, plan=spec.timing,
            compiled=spec.compile,
        )
        return prepared, timing, fw.peak_memory(device)

    (prepared, timing, memory), batch_size, failed = run_with_step_down(
        attempt, spec.batch_size, is_out_of_memory=fw.is_out_of_memory, release=fw.release
    )
    peaks = context.setdefault("matmul_tflops", {})
    if spec.precision not in peaks:
        # As long as a repeat, within [0.1 s, 1 s]: a quick run gets a quick probe.
        seconds = min(1.0, max(0.1, spec.timing.min_time))
        peaks[spec.precision] = fw.matmul_peak(device, spec.precision, seconds=seconds)
    record = make_record(
        spec, prepared, timing.summary(), device=device, device_name=context["device_name"],
        batch_size=batch_size, oom_failed=failed, memory=memory,
        matmul_tflops=peaks[spec.precision], threads=context["threads"],
    )
    del prepared
    fw.release()
    return record


def make_record(spec, prepared, summary, *, device, device_name, batch_size, oom_failed, memory,
                matmul_tflops, threads) -> dict:
    """One flat record: the run, its timing, the model's facts, utilisation and the environment."""
    macs = prepared.gmacs
    # A training step is a forward and a backward pass, the backward costing about two forwards.
    flops_per_image = None if macs is None else 2e9 * macs * (3 if spec.mode == "train" else 1)
    achieved = None if flops_per_image is None else flops_per_image * summary["images_per_s"] / 1e12
    peak, peak_row = table_peak(device_name, spec.precision) if device == "cuda" else (None, None)
    framework, backend = spec.framework, spec.backend
    if backend is None:
        backend = "inductor" if spec.compile else "eager"
    return {
        "arch": spec.arch,
        "framework": framework,
        "backend": backend,
        "label": spec.label + ("+compile" if spec.compile else ""),
        "device": device,
        "device_name": device_name,
        "precision": spec.precision,
        "precision_mode": prepared.precision_mode,
        "mode": spec.mode,
        "layout": prepared.layout,
        "compiled": spec.compile,
        "batch_size": batch_size,
        "batch_size_requested": spec.batch_size,
        "oom_step_down": oom_failed,
        **summary,
        "input_size": list(prepared.input_size),
        "gmacs": macs,
        "gmacs_source": prepared.gmacs_source,
        "achieved_tflops": achieved,
        "peak_tflops": peak,
        "peak_source": f"datasheet {peak_row}" if peak_row else None,
        "utilisation": None if achieved is None or not peak else achieved / peak,
        "matmul_tflops": matmul_tflops,
        "utilisation_matmul": None if achieved is None or not matmul_tflops else achieved / matmul_tflops,
        "peak_memory_bytes": int(memory[0]),
        "memory_kind": memory[1],
        "params": int(prepared.params),
        "versions": environment.library_versions(),
        "threads": threads,
        "thread_env": environment.thread_environment(),
        "flags": prepared.flags,
        "timing_plan": asdict(spec.timing) | {"warmup_used": spec.timing.warmup_steps(spec.compile)},
        "host": environment.host(),
        "date": environment.now_utc(),
    }


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    job = json.load(sys.stdin)
    with os.fdopen(int(argv[0]), "w", buffering=1, encoding="utf-8") as events:

        def emit(event: str, **payload):
            events.write(json.dumps({"event": event, **payload}, default=str) + "\n")

        try:
            fw = framework_module(job["label"])
            device = fw.resolve_device(job["device"])
            context = {"device_name": fw.device_name(device), "threads": fw.threads()}
        except (ValueError, ImportError) as exc:
            emit("unavailable", reason=str(exc))
            return 0
        emit("ready", device=device, device_name=context["device_name"])
        for data in job["runs"]:
            spec = RunSpec.from_dict(data)
            emit("start", run=data)
            try:
                record = run_one(fw, spec, device, context)
            except Unsupported as exc:
                emit("skip", run=data, reason=f"{job['label']}: {exc}")
                fw.release()
            except Exception as exc:  # one failed run must not lose the others
                emit("error", run=data, reason=f"{type(exc).__name__}: {_first_line(exc)}")
                fw.release()
            else:
                emit("record", record=record)
    return 0


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else ""


if __name__ == "__main__":
    sys.exit(main())
