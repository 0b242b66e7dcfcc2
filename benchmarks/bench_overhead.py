"""Harness overhead: what ``cnnlab bench`` reports against a bare hand-written timed loop.

Both time the same model (``cnnlab.reference.build(arch, "torch")``, inference, float32, CPU) on the
same batch in fresh processes with the same environment, alternately, so that load from other
work on the machine falls on both alike. The goal (issue 7) is a ratio of at least 0.98::

    python benchmarks/bench_overhead.py                      # resnet18, batch 8, 5 rounds
    python benchmarks/bench_overhead.py --threads 1 --rounds 7

On a machine shared with other work, whole-process rounds (tens of seconds each) see the load
change between them. ``--same-process`` then gives the finer measurement: one process holds
the harness's prepared step (``torch_steps.prepare`` timed by ``timing.measure``, exactly what a
``cnnlab bench`` worker runs) and a bare loop over a second copy of the model, and alternates
short bursts of the two, so both see the same load::

    python benchmarks/bench_overhead.py --same-process --rounds 20 --steps 5

Under heavy load even that is noisy; ``--clock cpu`` (one thread) times both loops with the
calling thread's CPU time (``time.thread_time``, which load from other processes does not
inflate), isolating the work the harness adds to each step::

    python benchmarks/bench_overhead.py --same-process --threads 1 --clock cpu --rounds 20

Prints each round and the median ratio with its spread; exits 1 if the median is below the goal.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOAL = 0.98

# The bare loop: what a user would write by hand, with nothing of cnnlab's harness in it.
BARE_LOOP = """
import sys, time, torch
from cnnlab.reference import build
from cnnlab.reference.catalog import get
arch, batch, warmup, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
spec = get(arch)
model = build(arch, "torch").eval()
x = torch.randn(batch, spec.in_channels, *spec.input_size)
with torch.inference_mode():
    for _ in range(warmup):
        model(x)
    start = time.perf_counter()
    for _ in range(steps):
        model(x)
    elapsed = time.perf_counter() - start
print(batch * steps / elapsed)
"""


def environment(threads: int | None) -> dict[str, str]:
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="", TF_CPP_MIN_LOG_LEVEL="2")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    if threads:
        env["OMP_NUM_THREADS"] = env["MKL_NUM_THREADS"] = str(threads)
    return env


def harness(arch, batch, warmup, steps, repeats, threads, out) -> float:
    argv = [sys.executable, "-m", "cnnlab", "bench", "--arch", arch, "--framework", "torch",
            "--device", "cpu", "--batch-size", str(batch), "--warmup", str(warmup),
            "--steps", str(steps), "--min-time", "0", "--repeats", str(repeats), "--quiet",
            "--out", out, "--json", "-"]
    if threads:
        argv += ["--threads", str(threads)]
    done = subprocess.run(argv, cwd=ROOT, env=environment(threads), capture_output=True,
                          text=True, check=True)
    (record,) = json.loads(done.stdout)["records"]
    return record["images_per_s"]


def bare(arch, batch, warmup, steps, threads) -> float:
    done = subprocess.run(
        [sys.executable, "-c", BARE_LOOP, arch, str(batch), str(warmup + 1), str(steps)],
        cwd=ROOT, env=environment(threads), capture_output=True, text=True, check=True,
    )
    return float(done.stdout.strip().splitlines()[-1])


def same_process(arch, batch, warmup, steps, rounds, threads, clock=time.perf_counter):
    """Alternating bursts of the harness's timed loop and a bare loop in this process."""
    if threads:
        os.environ["OMP_NUM_THREADS"] = str(threads)
    os.environ["CUDA_VISIBLE_DEVICES"] = ""
    sys.path.insert(0, str(ROOT))
    import torch

    from cnnlab.bench.throughput import torch_steps
    from cnnlab.bench.throughput.options import RunSpec, TimingPlan
    from cnnlab.bench.throughput.timing import measure
    from cnnlab.reference import build
    from cnnlab.reference.catalog import get

    if threads:
        torch.set_num_threads(threads)
    plan = TimingPlan(warmup=warmup, steps=steps, min_time=0.0, repeats=1)
    spec = RunSpec(arch=arch, label="torch", device="cpu", batch_size=batch, timing=plan)
    prepared = torch_steps.prepare(spec, "cpu", batch)
    model = build(arch, "torch").eval()
    x = torch.randn(batch, get(arch).in_channels, *get(arch).input_size)

    def bare_burst():
        with torch.inference_mode():
            for _ in range(warmup + 1):
                model(x)
            start = clock()
            for _ in range(steps):
                model(x)
            return batch * steps / (clock() - start)

    def harness_burst():
        # measure() runs the first step and the warm-up untimed, as in a cnnlab bench worker
        timing = measure(prepared.step, prepared.sync, batch_size=batch, plan=plan, clock=clock)
        return timing.summary()["images_per_s"]

    for i in range(rounds):
        first, second = (harness_burst, bare_burst) if i % 2 == 0 else (bare_burst, harness_burst)
        a, b = first(), second()
        yield (a, b) if first is harness_burst else (b, a)


def loop_cost(n: int = 200_000) -> tuple[float, float]:
    """Seconds per step that the harness's loop adds around an empty step, and a bare loop's.

    This is what the harness costs whatever the model: compare it with the model's step time.
    """
    import torch

    from cnnlab.bench.throughput.options import TimingPlan
    from cnnlab.bench.throughput.timing import measure

    def empty_step():  # what torch_steps' inference step does besides the forward pass
        with torch.inference_mode():
            return None

    plan = TimingPlan(warmup=0, steps=n, min_time=0.0, repeats=1)
    start = time.perf_counter()
    measure(empty_step, lambda _result: None, batch_size=1, plan=plan)
    harnessed = (time.perf_counter() - start) / n
    start = time.perf_counter()
    for _ in range(n):
        pass
    return harnessed, (time.perf_counter() - start) / n


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", default="resnet18")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5, help="harness/bare pairs (default: 5)")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--steps", type=int, default=10, help="timed steps per repeat")
    parser.add_argument("--repeats", type=int, default=3, help="harness repeats per round")
    parser.add_argument("--threads", type=int, help="CPU threads for both (default: torch's)")
    parser.add_argument("--same-process", action="store_true",
                        help="alternate short bursts of both in one process (see above)")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="with --same-process: wall time, or this thread's CPU time")
    args = parser.parse_args(argv)
    if args.clock == "cpu" and (not args.same_process or args.threads != 1):
        parser.error("--clock cpu needs --same-process and --threads 1")

    ratios = []
    if args.same_process:
        clock = time.thread_time if args.clock == "cpu" else time.perf_counter
        pairs = same_process(args.arch, args.batch_size, args.warmup, args.steps, args.rounds,
                             args.threads, clock)
        for i, (harnessed, bare_speed) in enumerate(pairs):
            ratios.append(harnessed / bare_speed)
            print(f"round {i + 1}: harness loop {harnessed:.2f} img/s, bare loop "
                  f"{bare_speed:.2f} img/s, ratio {ratios[-1]:.3f}", flush=True)
        harness_step, bare_step = loop_cost()
        print(f"the harness's loop costs {1e6 * (harness_step - bare_step):.1f} us per step more "
              f"than a bare loop (an empty step: {1e6 * harness_step:.1f} us against "
              f"{1e6 * bare_step:.2f} us)")
        return _verdict(args, ratios, f"same process, {args.clock} clock")
    with tempfile.TemporaryDirectory() as out:
        for i in range(args.rounds):
            # Alternate which goes first, so a drift in load does not favour one side.
            order = ("harness", "bare") if i % 2 == 0 else ("bare", "harness")
            speed = {}
            for side in order:
                if side == "harness":
                    speed[side] = harness(args.arch, args.batch_size, args.warmup, args.steps,
                                          args.repeats, args.threads, out)
                else:
                    # The same number of timed steps as the harness's repeats together.
                    speed[side] = bare(args.arch, args.batch_size, args.warmup,
                                       args.steps * args.repeats, args.threads)
            ratios.append(speed["harness"] / speed["bare"])
            print(f"round {i + 1}: cnnlab bench {speed['harness']:.2f} img/s, "
                  f"bare loop {speed['bare']:.2f} img/s, ratio {ratios[-1]:.3f}", flush=True)
    return _verdict(args, ratios, "whole processes")


def _verdict(args, ratios, how) -> int:
    median = statistics.median(ratios)
    q1, _, q3 = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else (median, 0, median)
    print(f"{args.arch} batch {args.batch_size} on CPU ({how}): median ratio {median:.3f}, "
          f"IQR {q1:.3f}-{q3:.3f}, min {min(ratios):.3f}, max {max(ratios):.3f}, "
          f"{len(ratios)} rounds; goal >= {GOAL}")
    return 0 if median >= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
