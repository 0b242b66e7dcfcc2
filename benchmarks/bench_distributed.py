"""What grading on Dask costs against ``--jobs``, on one machine (issue 17).

Grades classes of copies of ``assignments/examples/metrics/correct`` (9 tests, 100 points) four
ways, each into a fresh gradebook, ``write_reports=False``:

- ``jobs1`` / ``jobs2``: the local path, ``grade(..., jobs=1|2)``;
- ``dask1`` / ``dask2``: ``grade(..., scheduler=ADDRESS)`` on a ``LocalCluster`` of 1 or 2
  worker processes (1 thread each) started before the timing (its start is reported apart).

Two class sizes separate the fixed cost of a run (canary, Dask admission of each worker) from
the cost per submission: ``per_submission = (wall(large) - wall(small)) / (large - small)``. The
Dask overhead per submission is ``dask1 - jobs1`` and ``dask2 - jobs2`` of that slope. Then, on
paper, the wall time of a course: ``students * (submission_s + overhead) / workers``::

    python benchmarks/bench_distributed.py                   # sizes 4 and 20
    python benchmarks/bench_distributed.py --sizes 4 40 --json out/bench_distributed.json

Not part of the test run (it takes minutes); the figures are in the README ("Grading on a
cluster").
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

from cnnlab import paths
from cnnlab.bench.grading import grade


def make_class(folder: Path, copies: int) -> Path:
    source = paths.examples_dir() / "metrics" / "correct"
    for i in range(copies):
        shutil.copytree(source, folder / f"s{i:04d}")
    return folder


def timed(klass: Path, out: Path, **kwargs) -> float:
    started = time.perf_counter()
    summary = grade("metrics", klass, out, write_reports=False, **kwargs)
    wall = time.perf_counter() - started
    assert len(summary.graded) == len(list(klass.iterdir())), summary.errors
    return wall


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs=2, type=int, default=[4, 20], metavar=("SMALL", "LARGE"))
    parser.add_argument("--students", type=int, default=1000, help="the course, on paper")
    parser.add_argument("--workers", type=int, default=50, help="its Dask workers, on paper")
    parser.add_argument("--submission-s", type=float, default=100.0,
                        help="grading one architectures submission on one worker (measured: ~100 s)")
    parser.add_argument("--json", metavar="OUT", help="write the figures as JSON")
    args = parser.parse_args(argv)
    import distributed

    small, large = args.sizes
    root = Path(tempfile.mkdtemp(prefix="cnnlab-bench-dask-"))
    figures: dict = {"sizes": [small, large], "load_before": os.getloadavg()[0], "wall_s": {}}
    try:
        classes = {n: make_class(root / f"class{n}", n) for n in (small, large)}
        runs = 0

        def out():
            nonlocal runs
            runs += 1
            return root / f"out{runs}"

        for jobs in (1, 2):
            for n in (small, large):
                figures["wall_s"][f"jobs{jobs}/{n}"] = timed(classes[n], out(), jobs=jobs)
                print(f"jobs{jobs} {n:4d} submissions: {figures['wall_s'][f'jobs{jobs}/{n}']:.1f} s", flush=True)
        for workers in (1, 2):
            started = time.perf_counter()
            with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                          host="127.0.0.1", dashboard_address="127.0.0.1:0", memory_limit=0,
                                          silence_logs=logging.ERROR) as cluster:
                figures[f"cluster_start_s/{workers}"] = time.perf_counter() - started
                for n in (small, large):
                    wall = timed(classes[n], out(), scheduler=cluster.scheduler_address)
                    figures["wall_s"][f"dask{workers}/{n}"] = wall
                    print(f"dask{workers} {n:4d} submissions: {wall:.1f} s", flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    figures["load_after"] = os.getloadavg()[0]
    wall = figures["wall_s"]
    slope = {k: (wall[f"{k}/{large}"] - wall[f"{k}/{small}"]) / (large - small)
             for k in ("jobs1", "jobs2", "dask1", "dask2")}
    fixed = {k: wall[f"{k}/{small}"] - small * slope[k] for k in slope}
    figures.update(per_submission_s=slope, fixed_s=fixed,
                   overhead_ms={"1 worker vs --jobs 1": 1000 * (slope["dask1"] - slope["jobs1"]),
                                "2 workers vs --jobs 2": 1000 * (slope["dask2"] - slope["jobs2"])},
                   throughput_per_min={k: 60 / v for k, v in slope.items()})
    overhead = max(slope["dask1"] - slope["jobs1"], 0.0)
    course = args.students * (args.submission_s + overhead) / args.workers
    figures["on_paper"] = {"students": args.students, "workers": args.workers,
                           "submission_s": args.submission_s, "overhead_s": overhead,
                           "wall_s": course}
    print()
    for k in slope:
        print(f"{k}: {1000 * slope[k]:.0f} ms per submission ({60 / slope[k]:.1f} a minute), "
              f"fixed {fixed[k]:.1f} s per run")
    for what, ms in figures["overhead_ms"].items():
        print(f"Dask overhead per submission, {what}: {ms:+.0f} ms")
    print(f"cluster start: 1 worker {figures['cluster_start_s/1']:.1f} s, "
          f"2 workers {figures['cluster_start_s/2']:.1f} s; load {figures['load_before']:.1f} -> "
          f"{figures['load_after']:.1f}")
    print(f"on paper: {args.students} submissions x ({args.submission_s:.0f} s + {overhead:.2f} s) / "
          f"{args.workers} workers = {course:.0f} s ({course / 60:.1f} min)")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
