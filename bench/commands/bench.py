"""``cnnlab bench``: images per second of each architecture, framework, backend and setting."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from cnnlab.errors import UsageError

NAME = "bench"
HELP = "time inference or training throughput, PyTorch vs Keras on each backend, CPU or GPU"


def configure(parser) -> None:
    from cnnlab.bench.throughput.options import DEVICES, FRAMEWORKS, MODES, PRECISIONS

    parser.add_argument("--arch", nargs="+", default=["resnet18"], metavar="A",
                        help="architectures, or 'all' for the whole catalog (default: resnet18)")
    parser.add_argument("--framework", nargs="+", default=["torch"], metavar="F",
                        help=f"{', '.join(FRAMEWORKS)}, or 'all' (default: torch)")
    parser.add_argument("--device", default="auto", metavar="D",
                        help=f"{', '.join(DEVICES)} (default: auto, a GPU where there is one)")
    parser.add_argument("--batch-size", nargs="+", type=int, default=[8], metavar="B",
                        help="batch sizes (default: 8); on out-of-memory a batch steps down")
    parser.add_argument("--precision", nargs="+", default=["fp32"], metavar="P",
                        help=f"{', '.join(PRECISIONS)} (default: fp32)")
    parser.add_argument("--mode", nargs="+", default=["infer"], metavar="M",
                        help=f"{', '.join(MODES)}: forward only, or forward, backward and "
                             "optimizer step (default: infer)")
    parser.add_argument("--channels-last", action="store_true",
                        help="PyTorch in NHWC memory format (Keras is always NHWC)")
    parser.add_argument("--compile", action="store_true",
                        help="torch.compile for PyTorch, XLA for TensorFlow (JAX always compiles)")
    timing = parser.add_argument_group("timing")
    timing.add_argument("--warmup", type=int, default=3, help="warm-up steps (x3 when compiling)")
    timing.add_argument("--steps", type=int, default=10, help="at least this many steps per repeat")
    timing.add_argument("--min-time", type=float, default=1.0,
                        help="and at least this many seconds per repeat (default: 1.0)")
    timing.add_argument("--repeats", type=int, default=5, help="repeats for median and IQR")
    timing.add_argument("--threads", type=int, metavar="N",
                        help="CPU threads for PyTorch and TensorFlow (default: one per core)")
    output = parser.add_argument_group("output")
    output.add_argument("--json", metavar="OUT", help="write the records as JSON to OUT ('-': stdout)")
    output.add_argument("--out", metavar="DIR", default="out",
                        help="folder for bench.csv, bench.md and bench.png (default: out)")
    output.add_argument("--compare", metavar="BASELINE", help="a --json file to compare against")
    output.add_argument("--fail-over", type=float, default=5.0, metavar="PCT",
                        help="with --compare, exit 1 when a run is slower by more than PCT%% (default: 5)")
    output.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="send each run to a worker of this Dask scheduler, one run per worker "
                             "at a time (workers need --resources cnnlab-bench=1, and GPU=1 for "
                             "CUDA runs; pip install 'cnnlab[dask]')")


def expand(values, choices, *, what: str) -> list[str]:
    """``values`` with ``all`` replaced by every choice; a ``ValueError`` listing them otherwise."""
    out = []
    for value in values:
        if value == "all":
            out.extend(choices)
        elif value in choices:
            out.append(value)
        else:
            raise UsageError(f"unknown {what} {value!r}; valid {what}s: {', '.join(choices)}, all")
    return list(dict.fromkeys(out))


def plan(args):
    """The runs ``args`` ask for, every choice validated before any process starts."""
    from cnnlab.bench.throughput.options import (
        FRAMEWORKS,
        MODES,
        PRECISIONS,
        TimingPlan,
        check_device,
        plan_runs,
    )
    from cnnlab.reference.catalog import names

    check_device(args.device)
    timing = TimingPlan(warmup=args.warmup, steps=args.steps, min_time=args.min_time,
                        repeats=args.repeats)
    for batch in args.batch_size:
        if batch < 1:
            raise UsageError(f"--batch-size must be at least 1, got {batch}")
    return plan_runs(
        archs=expand(args.arch, names(), what="architecture"),
        labels=expand(args.framework, list(FRAMEWORKS), what="framework"),
        batch_sizes=list(dict.fromkeys(args.batch_size)),
        precisions=expand(args.precision, PRECISIONS, what="precision"),
        modes=expand(args.mode, MODES, what="mode"),
        device=args.device,
        channels_last=args.channels_last,
        compile=args.compile,
        timing=timing,
    )


def run(args) -> int:
    from tqdm import tqdm

    from cnnlab.bench.jobs import bench as job
    from cnnlab.bench.jobs.common import output_folder
    from cnnlab.bench.throughput.runner import check_threads, resolve_device
    from cnnlab.reports import bench as report

    specs = plan(args)
    # Everything the user typed is checked before the first worker starts.
    output_folder(args.out, create=False)
    if args.json not in (None, "-"):
        if not args.json.strip() or Path(args.json).is_dir():
            raise UsageError(f"--json must name a file or '-', got {args.json!r}")
    if not args.scheduler:  # on Dask, each worker resolves the device for itself
        resolve_device(args.device)
    check_threads(args.threads)
    report.check_fail_over(args.fail_over)
    baseline = report.load_records(args.compare) if args.compare else None

    bar = tqdm(total=len(specs), desc="bench", unit="run", disable=args.quiet, file=sys.stderr)

    def on_event(event):
        if event["event"] == "start":
            bar.set_description(report.describe_run(event["run"]))
        elif event["event"] in ("record", "error", "skip"):
            bar.update(1)

    try:
        result = job.run(specs=specs, threads=args.threads, scheduler=args.scheduler, on_event=on_event)
    finally:
        bar.close()

    if result.records:
        output_folder(args.out)  # checked before the runs; created once there is something to write
    comparison = report.render_run(result, out=args.out, baseline=baseline,
                                   fail_over=args.fail_over,
                                   text=sys.stderr if args.json == "-" else sys.stdout)
    if args.json:
        payload = json.dumps(result.as_dict(), indent=2, default=str)
        if args.json == "-":
            print(payload)
        else:
            Path(args.json).parent.mkdir(parents=True, exist_ok=True)
            Path(args.json).write_text(payload + "\n", encoding="utf-8")
    # a CI gate fails on a failed run, on no measurement at all, and on a regression
    nothing = bool(specs) and not result.records and not result.failed
    return 1 if result.failed or nothing or (comparison and comparison.regressions) else 0
