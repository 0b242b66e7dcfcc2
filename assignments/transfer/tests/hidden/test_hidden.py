"""Hidden tests of the transfer assignment: ResNet50's base, training steps with BatchNorm, the
edge cases."""

import pytest


def _cases(cases, kind, name):
    return [c for c in cases[kind] if c["name"] == name]


@pytest.mark.points(15)
def test_resnet50_patterns(harness, hidden_cases, check, credit):
    """Freezing ResNet50's base and unfreezing its last 1, 4 and 10 layers (BatchNorm included)."""
    for case in hidden_cases["counts"]:
        with credit.part(1, case["name"]):
            check.trainable(harness.counts(case["name"], case["steps"]), case, case["name"])


@pytest.mark.points(15)
def test_frozen_base_unchanged_after_training(harness, hidden_cases, check, credit):
    """After freeze, two SGD steps in training mode change the head only: every weight and every
    BatchNorm statistic of the base is bit for bit unchanged."""
    for name in ("torch_small", "keras_small"):
        case = next(c for c in _cases(hidden_cases, "steps", name) if len(c["steps"]) == 1)
        with credit.part(1, name):
            check.changed(harness.training_step(name, case["steps"]), case, f"{name} frozen")


@pytest.mark.points(10)
def test_unfrozen_layers_train(harness, hidden_cases, check, credit):
    """After freeze and unfreeze_last(3), the last convolution and its BatchNorm (statistics
    included) train, and nothing before them moves."""
    for name in ("torch_small", "keras_small"):
        case = next(c for c in _cases(hidden_cases, "steps", name) if len(c["steps"]) == 2)
        with credit.part(1, name):
            check.changed(harness.training_step(name, case["steps"]), case, f"{name} last 3 unfrozen")


@pytest.mark.points(10)
def test_frozen_batchnorm_runs_in_inference_mode(harness, hidden_cases, credit):
    """A frozen base computes the same in training mode as in inference mode."""
    for name in ("torch_small", "keras_small"):
        case = next(c for c in _cases(hidden_cases, "steps", name) if len(c["steps"]) == 1)
        with credit.part(1, name):
            report = harness.training_step(name, case["steps"])
            assert report["same_in_training_and_inference"], \
                f"{name}: the frozen base's BatchNorm does not run in inference mode in training"


@pytest.mark.points(5)
def test_count_trainable_with_batchnorm(harness, hidden_cases, check, credit):
    """count_trainable on ResNet50's base, whose BatchNorm statistics are not parameters that
    train."""
    for case in hidden_cases["counts"]:
        with credit.part(1, case["name"]):
            check.counted(harness.counts(case["name"], case["steps"]), case["name"])


@pytest.mark.points(5)
def test_edge_cases(harness, hidden_cases, check, credit):
    """unfreeze_last(model, 0) unfreezes nothing; unfreeze_last(model, all layers) everything;
    and the lecture's head on a small Keras base."""
    for case in hidden_cases["edges"]:
        with credit.part(1, case["name"]):
            check.trainable(harness.counts(case["name"], case["steps"]), case, f"{case['name']} ends")
    for case in hidden_cases["heads"]:
        with credit.part(1, case["name"]):
            report = harness.head_info(case["name"], case["num_classes"], case["freeze_base"])
            check.head(report, case, f"{case['name']} with a head")
