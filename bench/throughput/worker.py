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

from .options import FRAMEWORKS, RunSpec
from .prepared import Unsupported
from .records import make_record
from .stepdown import run_with_step_down
from .timing import measure


def framework_module(label: str):
    """``torch_steps`` for PyTorch, ``keras_steps`` for any Keras backend."""
    name = "torch_steps" if FRAMEWORKS[label][0] == "torch" else "keras_steps"
    return importlib.import_module(f"cnnlab.bench.throughput.{name}")


def run_one(fw, spec: RunSpec, device: str, context: dict) -> dict:
    """Time ``spec`` with ``fw`` (a steps module) on ``device``; return its record's JSON."""

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
    ).to_json()
    del prepared
    fw.release()
    return record


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
