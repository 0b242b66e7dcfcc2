"""Validation of what a benchmark can be asked for: every bad choice is one line naming the valid ones."""

import pytest

from cnnlab.bench.throughput.options import (
    DEVICES,
    FRAMEWORKS,
    MODES,
    PRECISIONS,
    RunSpec,
    TimingPlan,
    plan_runs,
)
from cnnlab.reference.catalog import names


@pytest.mark.parametrize(
    "field,value,choices",
    [
        ("label", "tensorflow", FRAMEWORKS),
        ("device", "tpu", DEVICES),
        ("precision", "fp8", PRECISIONS),
        ("mode", "eval", MODES),
    ],
)
def test_unknown_choice_names_every_valid_one(field, value, choices):
    kwargs = {"arch": "resnet18", "label": "torch", field: value}
    with pytest.raises(ValueError) as info:
        RunSpec(**kwargs)
    message = str(info.value)
    assert repr(value) in message and "\n" not in message
    assert all(choice in message for choice in choices)


def test_unknown_architecture_lists_the_catalog():
    with pytest.raises(ValueError, match="valid architectures: lenet5") as info:
        RunSpec(arch="resnet19", label="torch")
    assert all(name in str(info.value) for name in names())


@pytest.mark.parametrize("batch", [0, -8, 2.5, True])
def test_batch_size_must_be_a_positive_int(batch):
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        RunSpec(arch="resnet18", label="torch", batch_size=batch)


@pytest.mark.parametrize(
    "kwargs,needle",
    [({"steps": 0}, "steps"), ({"repeats": 0}, "repeats"), ({"warmup": -1}, "warmup"),
     ({"min_time": -1.0}, "min_time")],
)
def test_timing_plan_rejects_impossible_values(kwargs, needle):
    with pytest.raises(ValueError, match=needle):
        TimingPlan(**kwargs)


def test_compiling_warms_up_three_times_longer():
    assert TimingPlan(warmup=4).warmup_steps(False) == 4
    assert TimingPlan(warmup=4).warmup_steps(True) == 12


def test_plan_is_the_product_of_the_choices_grouped_by_framework():
    specs = plan_runs(
        archs=["lenet5", "resnet18"], labels=["keras-jax", "torch", "keras-jax"],
        batch_sizes=[1, 8], precisions=["fp32", "bf16"], modes=["infer"],
    )
    # 2 frameworks (the repeat collapses) x 2 archs x 2 precisions x 2 batch sizes
    assert len(specs) == 2 * 2 * 2 * 2
    labels = [s.label for s in specs]
    assert labels == ["keras-jax"] * 8 + ["torch"] * 8  # one worker each, in the order asked
    assert {(s.arch, s.batch_size, s.precision) for s in specs if s.label == "torch"} == {
        (a, b, p) for a in ("lenet5", "resnet18") for b in (1, 8) for p in ("fp32", "bf16")
    }


def test_run_spec_survives_the_trip_to_the_worker_as_json():
    import json

    spec = RunSpec(arch="resnet18", label="keras-jax", batch_size=4, precision="bf16",
                   mode="train", timing=TimingPlan(warmup=1, steps=2, min_time=0.5, repeats=3))
    assert RunSpec.from_dict(json.loads(json.dumps(spec.as_dict()))) == spec
    assert (spec.framework, spec.backend) == ("keras", "jax")
