"""Out-of-memory step-down, driven by real allocator failures on the CPU.

A CPU machine has no CUDA allocator to exhaust, but the CPU allocators fail in the same way
when an allocation cannot be had: these tests make allocations too big to exist (or cap the
process's address space) and let the frameworks' own errors drive the step-down.
"""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cnnlab.bench.throughput.stepdown import next_batch_size, run_with_step_down

ROOT = Path(__file__).resolve().parents[2]


def test_schedule_steps_in_quarters_of_each_power_of_two():
    # timm's benchmark schedule: 256 -> 192 -> 128 -> 96 -> ... (arithmetic: power p, then 3p/4)
    sequence, batch = [], 256
    while batch:
        batch = next_batch_size(batch)
        sequence.append(batch)
    assert sequence == [192, 128, 96, 64, 48, 32, 24, 16, 12, 8, 6, 4, 3, 2, 1, 0]


@pytest.mark.parametrize("batch,expected", [(200, 192), (130, 128), (100, 96), (7, 6), (5, 4), (3, 2)])
def test_odd_sizes_fall_onto_the_schedule(batch, expected):
    assert next_batch_size(batch) == expected


def _torch_attempt_needing(bytes_per_image, fits_up_to):
    """An attempt whose memory grows with the batch: too big to allocate above ``fits_up_to``."""
    torch = pytest.importorskip("torch")

    def attempt(batch):
        size = bytes_per_image * batch if batch > fits_up_to else 1024
        buffer = torch.empty(size, dtype=torch.uint8)
        return batch, buffer.numel()

    return attempt


def test_torch_cpu_allocator_failure_steps_the_batch_down():
    pytest.importorskip("torch")
    from cnnlab.bench.throughput.torch_steps import is_out_of_memory

    # 2**44 bytes per image (16 TiB) cannot be allocated on any machine that runs these tests.
    attempt = _torch_attempt_needing(2**44, fits_up_to=6)
    released = []
    (result, batch, failed) = run_with_step_down(
        attempt, 16, is_out_of_memory=is_out_of_memory, release=lambda: released.append(1)
    )
    assert failed == [16, 12, 8]
    assert batch == 6 and result == (6, 1024)
    assert len(released) == 3


def test_other_errors_are_not_taken_for_out_of_memory():
    pytest.importorskip("torch")
    from cnnlab.bench.throughput.torch_steps import is_out_of_memory

    def attempt(batch):
        import torch

        return torch.ones(2, 3) @ torch.ones(2, 3)  # a real shape error

    with pytest.raises(RuntimeError, match="cannot be multiplied"):
        run_with_step_down(attempt, 8, is_out_of_memory=is_out_of_memory)


def test_out_of_memory_at_batch_one_is_a_memory_error_that_quotes_the_allocator():
    pytest.importorskip("torch")
    from cnnlab.bench.throughput.torch_steps import is_out_of_memory

    attempt = _torch_attempt_needing(2**44, fits_up_to=0)
    with pytest.raises(MemoryError, match="tried 4, 3, 2, 1.*DefaultCPUAllocator"):
        run_with_step_down(attempt, 4, is_out_of_memory=is_out_of_memory)


def test_tensorflow_resource_exhausted_is_out_of_memory():
    pytest.importorskip("tensorflow", reason="pip install 'cnnlab[keras]'")
    # keras_steps reads KERAS_BACKEND at import: tests/conftest.py fixes it to tensorflow.
    tf = pytest.importorskip("tensorflow")

    from cnnlab.bench.throughput import keras_steps

    assert keras_steps.BACKEND == "tensorflow"
    with pytest.raises(Exception) as info:
        tf.zeros([2**42], dtype=tf.uint8)
    assert keras_steps.is_out_of_memory(info.value)
    assert not keras_steps.is_out_of_memory(ValueError("RESOURCE_EXHAUSTED lookalike"))


def test_a_real_model_steps_down_under_a_memory_cap():
    """The worker's own run: course_cifar at a batch the capped process cannot hold.

    The child caps its address space at 1 GiB above what it uses after importing torch and
    building the model once; a batch of 8192 CIFAR images needs more (its first feature map
    alone is 8192 x 32 x 30 x 30 floats, 0.94 GB), so the batch must come down.
    """
    pytest.importorskip("torch")
    script = textwrap.dedent(
        """
        import json, resource
        from cnnlab.bench.throughput.options import RunSpec, TimingPlan
        from cnnlab.bench.throughput.worker import framework_module, run_one

        fw = framework_module("torch")
        spec = RunSpec(arch="course_cifar", label="torch", batch_size=8192,
                       timing=TimingPlan(warmup=0, steps=1, min_time=0.0, repeats=1))
        fw.prepare(spec, "cpu", 2)
        vm = next(int(l.split()[1]) * 1024 for l in open("/proc/self/status") if l.startswith("VmSize"))
        resource.setrlimit(resource.RLIMIT_AS, (vm + 2**30, vm + 2**30))
        record = run_one(fw, spec, "cpu", {"device_name": "cpu", "threads": 1})
        print(json.dumps(record))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT,
        env={"PATH": "", "OMP_NUM_THREADS": "1"}, timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    import json

    record = json.loads(out.stdout.strip().splitlines()[-1])
    failed = record["oom_step_down"]
    assert record["batch_size_requested"] == 8192
    assert failed and failed[0] == 8192
    # every size tried is the schedule's next one, ending just above the batch that ran
    assert all(next_batch_size(a) == b for a, b in zip(failed, failed[1:] + [record["batch_size"]], strict=True))
    assert record["batch_size"] < 8192 and record["images_per_s"] > 0
