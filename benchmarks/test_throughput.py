"""Inference and training steps of the reference models under pytest-benchmark.

The timed function is one step followed by the framework's own wait for the device (the same
``step`` and ``sync`` that ``cnnlab bench`` times), so a round's time is the device's time and
``--benchmark-autosave`` / ``--benchmark-compare-fail=mean:5%`` compare like with like::

    pytest benchmarks --benchmark-only --benchmark-autosave
    pytest benchmarks --benchmark-only --benchmark-compare --benchmark-compare-fail=mean:5%

What to time comes from the environment, so a CI job can choose without editing files:

* ``CNNLAB_BENCH_ARCHS``: architectures, comma-separated (default ``resnet18``)
* ``CNNLAB_BENCH_BATCH``: batch sizes, comma-separated (default ``8``)
* ``CNNLAB_BENCH_DEVICE``: ``cpu``, ``cuda`` or ``auto`` (default ``auto``)
* ``CNNLAB_BENCH_PRECISION``: ``fp32``, ``bf16`` or ``fp16`` (default ``fp32``)
* ``KERAS_BACKEND``: the backend of the Keras benchmarks (default ``tensorflow``)
"""

import importlib.util
import os

import pytest

from cnnlab.bench.throughput.options import RunSpec


def _listed(name: str, default: str) -> list[str]:
    return [v.strip() for v in os.environ.get(name, default).split(",") if v.strip()]


ARCHS = _listed("CNNLAB_BENCH_ARCHS", "resnet18")
BATCHES = [int(v) for v in _listed("CNNLAB_BENCH_BATCH", "8")]
DEVICE = os.environ.get("CNNLAB_BENCH_DEVICE", "auto")
PRECISION = os.environ.get("CNNLAB_BENCH_PRECISION", "fp32")

FRAMEWORKS = ("torch", "keras")
MODES = ("infer", "train")


def _steps_module(framework):
    needed = "torch" if framework == "torch" else "keras"
    if importlib.util.find_spec(needed) is None:
        pytest.skip(f"{needed} is not installed: pip install 'cnnlab[{needed}]'")
    if framework == "torch":
        from cnnlab.bench.throughput import torch_steps

        return torch_steps, "torch"
    from cnnlab.bench.throughput import keras_steps

    return keras_steps, f"keras-{keras_steps.BACKEND}"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("batch_size", BATCHES)
@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("arch", ARCHS)
def test_step(benchmark, arch, framework, batch_size, mode):
    steps, label = _steps_module(framework)
    device = steps.resolve_device(DEVICE)
    spec = RunSpec(arch=arch, label=label, device=device, batch_size=batch_size,
                   precision=PRECISION, mode=mode)
    prepared = steps.prepare(spec, device, batch_size)

    def step_and_wait():
        prepared.sync(prepared.step())

    benchmark.group = f"{arch} {mode} b{batch_size} {PRECISION} {device}"
    benchmark.extra_info.update(
        label=label, device_name=steps.device_name(device), gmacs=prepared.gmacs,
        layout=prepared.layout, batch_size=batch_size,
    )
    benchmark.pedantic(step_and_wait, warmup_rounds=3, rounds=10, iterations=1)
    mean = benchmark.stats.stats.mean
    benchmark.extra_info["images_per_s"] = batch_size / mean
    steps.release()
