"""Harness overhead: what ``cnnlab bench`` reports against a bare hand-written timed loop.

Both time the same model (``reference.build(arch, "torch")``, inference, float32, CPU) on the
same batch in fresh processes with the same environment, alternately, so that load from other
work on the machine falls on both alike. The goal (issue 7) is a ratio of at least 0.98::

    python benchmarks/bench_overhead.py                      # resnet18, batch 8, 5 rounds
    python benchmarks/bench_overhead.py --threads 1 --rounds 7

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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOAL = 0.98

# The bare loop: what a user would write by hand, with nothing of cnnlab's harness in it.
BARE_LOOP = """
import sys, time, torch
from reference import build
from reference.catalog import get
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
    argv = [sys.executable, "-m", "bench", "bench", "--arch", arch, "--framework", "torch",
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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", default="resnet18")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5, help="harness/bare pairs (default: 5)")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--steps", type=int, default=10, help="timed steps per repeat")
    parser.add_argument("--repeats", type=int, default=3, help="harness repeats per round")
    parser.add_argument("--threads", type=int, help="CPU threads for both (default: torch's)")
    args = parser.parse_args(argv)

    ratios, rows = [], []
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
            ratio = speed["harness"] / speed["bare"]
            ratios.append(ratio)
            rows.append((i + 1, speed["harness"], speed["bare"], ratio))
            print(f"round {i + 1}: cnnlab bench {speed['harness']:.2f} img/s, "
                  f"bare loop {speed['bare']:.2f} img/s, ratio {ratio:.3f}", flush=True)
    median = statistics.median(ratios)
    print(f"{args.arch} batch {args.batch_size} on CPU: median ratio {median:.3f} "
          f"(min {min(ratios):.3f}, max {max(ratios):.3f}, {args.rounds} rounds); goal >= {GOAL}")
    return 0 if median >= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
