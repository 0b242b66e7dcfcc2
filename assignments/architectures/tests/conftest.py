"""Fixtures of the architectures assignment: grade one ``build(arch, framework)`` on evidence.

``graded_model(arch, framework)`` asks the worker (cnnlab's ``model_export`` helper, next to the
student's code in the sandbox) to build the model, redraw its weights from a seed drawn now, run
an input drawn now and export the weights as ``.npy`` files; then ``cnnlab.bench.grading.models.judge``
loads them into the reference architecture here, in the grader, and checks four criteria.

Scale: ``CNNLAB_ARCHITECTURES`` (comma-separated, default all five) limits the architectures that
are graded, and ``CNNLAB_NUM_CLASSES`` (default 1000) sets the classifier width of all but
LeNet-5 (always 10); cnnlab's own CI grades lenet5, alexnet and resnet18 with 10 classes.
``CNNLAB_FRAMEWORKS`` (comma-separated, default both) limits the frameworks: ``cnnlab demo`` on a
torch-only install grades the torch half, out of the torch half's points.
"""

import os
from pathlib import Path

import numpy as np
import pytest

from cnnlab.bench.grading import load_assignment, models

ASSIGNMENT = load_assignment(Path(__file__).resolve().parents[1])
FIXTURES = ASSIGNMENT.root / "fixtures"
MODULE = "architectures"
# A criterion's share of an architecture's points: function is the strongest evidence.
WEIGHTS = {"params": 1, "output": 1, "layers": 1, "function": 2}


def _listed(variable: str, valid: tuple[str, ...]) -> list[str]:
    """The comma-separated names of ``variable``, every one of ``valid`` when it is unset."""
    names = [a.strip() for a in os.environ.get(variable, "").split(",") if a.strip()] or list(valid)
    unknown = sorted(set(names) - set(valid))
    if unknown:
        raise pytest.UsageError(f"{variable}: unknown {unknown}; valid: {', '.join(valid)}")
    return names


def scope() -> tuple[list[str], int, list[str]]:
    """The architectures to grade, the classifier width and the frameworks, from the environment."""
    classes = os.environ.get("CNNLAB_NUM_CLASSES", "1000")
    if not classes.isdigit() or int(classes) < 1:
        raise pytest.UsageError(f"CNNLAB_NUM_CLASSES must be a positive integer, got {classes!r}")
    return (_listed("CNNLAB_ARCHITECTURES", models.ARCHS), int(classes),
            _listed("CNNLAB_FRAMEWORKS", models.FRAMEWORKS))


def num_classes(arch: str) -> int:
    return 10 if arch == "lenet5" else scope()[1]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Leave out the architectures and frameworks outside the scope (before the plugin numbers
    the tests)."""
    archs, _, frameworks = scope()
    keep, drop = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        out = params.get("arch", archs[0]) not in archs or params.get("framework", frameworks[0]) not in frameworks
        (drop if out else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture
def graded_model(student):
    """``graded_model(arch, framework) -> bench.grading.models.Verdict``."""

    forbidden = ASSIGNMENT.options.get("forbid_model_zoo", False)

    def grade(arch, framework):
        if forbidden:  # the imports alone decide: no need to build the model
            found = student.call("model_export.zoo_imports", MODULE)
            if found:
                return models.Verdict(arch, framework, zoo=found).fail_all(
                    f"a ready-made model is not allowed in this assignment ({found[0]})")
        seed = models.new_seed()
        x_nchw, x = models.grading_input(arch, framework, seed=seed)
        result = student.call("model_export.export", MODULE, arch, framework, num_classes(arch), x, seed)
        if not isinstance(result, dict):
            raise AssertionError("the worker sent no model report")
        verdict = models.judge(result, arch=arch, framework=framework, num_classes=num_classes(arch),
                               x_nchw=x_nchw, seed=seed, load_array=student.load_array)
        if verdict.zoo and forbidden:  # what the imports did not show, the model's classes did
            verdict.fail_all(f"a ready-made model is not allowed in this assignment ({verdict.zoo[0]})")
        return verdict

    return grade


@pytest.fixture
def graded(graded_model, credit):
    """``graded(arch, framework)``: grade a build and score it, one partial-credit part per
    criterion, weighted by :data:`WEIGHTS`."""

    def grade(arch, framework):
        verdict = graded_model(arch, framework)
        if verdict.fatal:  # one cause for all criteria: one message
            raise AssertionError(verdict.fatal)
        for criterion, weight in WEIGHTS.items():
            with credit.part(weight, criterion):
                check = verdict.checks[criterion]
                assert check.ok, check.message
        return verdict

    return grade


@pytest.fixture(scope="session")
def assignment():
    """The assignment (its ``options`` hold ``forbid_model_zoo``)."""
    return ASSIGNMENT


@pytest.fixture(scope="session")
def digits():
    """scikit-learn's 8x8 digits (stored in fixtures/public), enlarged to LeNet-5's 32x32 input:
    ``(x_train, y_train, x_test, y_test)``, pixels scaled to [0, 1]."""
    with np.load(FIXTURES / "public" / "digits.npz", allow_pickle=False) as data:
        images, labels, split = data["images"], data["labels"], int(data["train"])
    x = np.kron(images.astype(np.float32) / 16.0, np.ones((4, 4), np.float32))[:, None]  # N, 1, 32, 32
    return x[:split], labels[:split], x[split:], labels[split:]
