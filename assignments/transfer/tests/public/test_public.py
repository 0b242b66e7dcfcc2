"""Public tests of the transfer assignment: students get these with the starter code."""

import pytest


def _case(cases, kind, name):
    return next(c for c in cases[kind] if c["name"] == name)


@pytest.mark.points(10)
def test_freeze(harness, public_cases, check, credit):
    """freeze leaves nothing trainable in VGG16's base (14,714,688 parameters)."""
    for name in ("keras_vgg16", "torch_vgg16"):
        case = _case(public_cases, "counts", name)
        with credit.part(1, name):
            rows = harness.counts(name, case["steps"])
            check.trainable(rows[:2], dict(case, steps=case["steps"][:1], trainable=case["trainable"][:2]),
                            f"{name} frozen")


@pytest.mark.points(10)
def test_unfreeze_last(harness, public_cases, check, credit):
    """freeze, then unfreeze_last(4): block 5's convolutions train, 7,079,424 parameters."""
    for name in ("keras_vgg16", "torch_vgg16"):
        case = _case(public_cases, "counts", name)
        with credit.part(1, name):
            check.trainable(harness.counts(name, case["steps"]), case, f"{name} last 4 unfrozen")


@pytest.mark.points(10)
def test_count_trainable(harness, public_cases, check, credit):
    """count_trainable agrees with the model before and after freezing and unfreezing."""
    for name in ("keras_vgg16", "torch_vgg16"):
        case = _case(public_cases, "counts", name)
        with credit.part(1, name):
            check.counted(harness.counts(name, case["steps"]), name)


@pytest.mark.points(10)
def test_add_head(harness, public_cases, check, credit):
    """add_head puts the lecture's head on a frozen base."""
    for case in public_cases["heads"]:
        with credit.part(1, case["name"]):
            report = harness.head_info(case["name"], case["num_classes"], case["freeze_base"])
            check.head(report, case, f"{case['name']} with a head of {case['num_classes']} classes")
