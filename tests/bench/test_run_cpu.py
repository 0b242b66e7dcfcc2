"""A real ``cnnlab bench`` run on the CPU: the course CIFAR CNN in PyTorch and in Keras on
TensorFlow, JAX and torch, inference and training, each framework in its own worker process.

Expected numbers come from the course CNN's layer table (arithmetic), not from our output.
"""

import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path

import pytest

from cnnlab.bench.throughput.runner import cuda_present

ROOT = Path(__file__).resolve().parents[2]
LABELS = ("torch", "keras-tensorflow", "keras-jax", "keras-torch")
BATCH, STEPS, REPEATS = 4, 2, 3
# course_cifar: conv 3x3x3 -> 32 on 30x30, dense 15*15*32 -> 64, dense 64 -> 10
MACS = 30 * 30 * 32 * 3 * 3 * 3 + 15 * 15 * 32 * 64 + 64 * 10  # 1,239,040
PARAMS = (3 * 3 * 3 * 32 + 32) + (15 * 15 * 32 * 64 + 64) + (64 * 10 + 10)  # 462,410
# The list of what every record carries.
FIELDS = (
    "arch", "framework", "backend", "device_name", "precision", "layout", "batch_size",
    "images_per_s", "images_per_s_iqr", "step_ms_p50", "step_ms_p90", "step_ms_p99", "gmacs",
    "achieved_tflops", "utilisation", "matmul_tflops", "utilisation_matmul", "peak_memory_bytes",
    "params", "versions", "threads", "flags", "date", "compile_s", "oom_step_down",
)


def cnnlab(*argv, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "cnnlab", "bench", *argv], cwd=cwd,
                          capture_output=True, text=True, timeout=600)


def slow_baseline(path):
    """A baseline from a machine a million times slower: every run here must come out "ok"."""
    layouts = {"torch": "NCHW", "keras-tensorflow": "NHWC", "keras-jax": "NHWC", "keras-torch": "NHWC"}
    records = [
        {"arch": "course_cifar", "label": label, "device": "cpu", "device_name": "cpu",
         "precision": "fp32", "mode": mode, "layout": layouts[label],
         "batch_size_requested": BATCH, "images_per_s": 1e-6}
        for label in LABELS for mode in ("infer", "train")
    ]
    path.write_text(json.dumps({"records": records}))
    return path


@pytest.fixture(scope="module")
def cpu_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    for module in ("torch", "tensorflow", "jax", "keras"):
        pytest.importorskip(module)
    done = cnnlab(
        "--arch", "course_cifar", "--framework", *LABELS, "--device", "cpu",
        "--batch-size", str(BATCH), "--mode", "infer", "train", "--warmup", "1",
        "--steps", str(STEPS), "--min-time", "0", "--repeats", str(REPEATS),
        "--out", str(out), "--json", str(out / "run.json"),
        "--compare", str(slow_baseline(out / "slow.json")), "--fail-over", "5",
    )
    assert done.returncode == 0, done.stderr[-3000:]
    payload = json.loads((out / "run.json").read_text())
    return done, payload, out


def test_every_framework_and_mode_gives_a_complete_record(cpu_run):
    _, payload, _ = cpu_run
    records = payload["records"]
    assert sorted((r["label"], r["mode"]) for r in records) == sorted(
        (label, mode) for label in LABELS for mode in ("infer", "train")
    )
    assert payload["skipped"] == [] and payload["failed"] == []
    for r in records:
        assert set(FIELDS) <= set(r), set(FIELDS) - set(r)
        assert r["images_per_s"] > 0 and r["step_ms_p50"] <= r["step_ms_p90"] <= r["step_ms_p99"]
        assert r["steps_timed"] == STEPS * REPEATS and len(r["images_per_s_repeats"]) == REPEATS
        assert r["batch_size"] == r["batch_size_requested"] == BATCH and r["oom_step_down"] == []
        assert r["peak_memory_bytes"] > 0 and r["threads"] >= 1


def test_model_facts_match_the_layer_table(cpu_run):
    for r in cpu_run[1]["records"]:
        assert r["params"] == PARAMS, r["label"]
        assert r["gmacs"] == pytest.approx(MACS / 1e9, rel=1e-9), r["label"]


def test_achieved_flops_and_utilisation_follow_from_images_per_second(cpu_run):
    for r in cpu_run[1]["records"]:
        passes = 3 if r["mode"] == "train" else 1  # backward costs about two forwards
        expected = 2 * MACS * passes * r["images_per_s"] / 1e12
        assert r["achieved_tflops"] == pytest.approx(expected, rel=1e-9)
        assert r["matmul_tflops"] > 0
        assert r["utilisation_matmul"] == pytest.approx(expected / r["matmul_tflops"], rel=1e-9)
        assert r["utilisation"] is None  # no datasheet peak for a CPU


def test_layout_backend_and_versions_are_recorded(cpu_run):
    records = cpu_run[1]["records"]
    assert {r["label"]: r["layout"] for r in records} == {
        "torch": "NCHW", "keras-tensorflow": "NHWC", "keras-jax": "NHWC", "keras-torch": "NHWC",
    }
    assert {r["label"]: r["backend"] for r in records} == {
        "torch": "eager", "keras-tensorflow": "tensorflow", "keras-jax": "jax",
        "keras-torch": "torch",
    }
    for r in records:
        assert r["versions"]["torch"] == importlib.metadata.version("torch")
        assert r["versions"]["keras"] == importlib.metadata.version("keras")


def test_tables_and_files_are_written(cpu_run):
    import pandas as pd

    done, payload, out = cpu_run
    assert "keras-jax / torch" in done.stdout  # side-by-side with ratios to PyTorch eager
    assert len(pd.read_csv(out / "bench.csv")) == len(payload["records"])
    assert (out / "bench.md").read_text().count("course_cifar") >= len(payload["records"])
    assert (out / "bench.png").read_bytes()[:4] == b"\x89PNG"


def test_compare_within_the_threshold_exits_0(cpu_run):
    done, payload, _ = cpu_run  # the run compared itself with the slow baseline
    statuses = [line.split()[-1] for line in done.stdout.splitlines() if "course_cifar" in line
                and line.rstrip().endswith(("ok", "REGRESSION"))]
    assert statuses == ["ok"] * len(payload["records"])


def test_compare_past_the_threshold_exits_1_and_auto_falls_back_to_the_cpu(cpu_run, tmp_path):
    _, payload, _ = cpu_run
    torch_infer = [r for r in payload["records"] if r["label"] == "torch" and r["mode"] == "infer"]
    # A baseline a thousand times faster: far beyond what load on a shared machine can swing,
    # so the rerun is a regression past 5 % for certain.
    fast = tmp_path / "fast.json"
    fast.write_text(json.dumps({"records": [r | {"images_per_s": 1000 * r["images_per_s"]}
                                            for r in torch_infer]}))
    rerun = cnnlab("--arch", "course_cifar", "--framework", "torch", "--device", "auto",
                   "--batch-size", str(BATCH), "--warmup", "1", "--steps", str(STEPS),
                   "--min-time", "0", "--repeats", "1", "--out", str(tmp_path), "--quiet",
                   "--json", str(tmp_path / "rerun.json"), "--compare", str(fast))
    assert rerun.returncode == 1, rerun.stderr
    assert "REGRESSION" in rerun.stdout
    assert "1 run(s) slower than the baseline by more than 5%" in rerun.stderr
    if not cuda_present():
        (record,) = json.loads((tmp_path / "rerun.json").read_text())["records"]
        assert (record["device"], record["device_name"]) == ("cpu", "cpu")
