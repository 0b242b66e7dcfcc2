"""Fixtures of the architectures assignment: grade one ``build(arch, framework)`` on evidence.

``graded_model(arch, framework)`` asks the worker (cnnlab's ``model_export`` helper, next to the
student's code in the sandbox) to build the model, redraw its weights from a seed drawn now, run
an input drawn now and export the weights as ``.npy`` files; then ``cnnlab.bench.judges.architectures.judge``
loads them into the reference architecture here, in the grader, and checks four criteria.

Scale: ``CNNLAB_ARCHITECTURES`` (comma-separated, default all five) limits the architectures that
are graded, and ``CNNLAB_NUM_CLASSES`` (default 1000) sets the classifier width of all but
LeNet-5 (always 10); cnnlab's own CI grades lenet5, alexnet and resnet18 with 10 classes.
``CNNLAB_FRAMEWORKS`` (comma-separated, default both) limits the frameworks: ``cnnlab demo`` on a
torch-only install grades the torch half, out of the torch half's points.

Variants: ``[options] variants`` in ``assignment.toml`` picks the catalog variant each architecture
is graded against (``lenet5 = "relu_max"``: ReLU and max pooling, as several courses teach it);
the table of ``README.md`` is :func:`readme_table` of that choice (a test of cnnlab checks it).
"""

import os
from pathlib import Path

import numpy as np
import pytest

from cnnlab.bench.grading import load_assignment
from cnnlab.bench.judges import architectures
from cnnlab.errors import UsageError

ASSIGNMENT = load_assignment(Path(__file__).resolve().parents[1])
FIXTURES = ASSIGNMENT.root / "fixtures"
MODULE = "architectures"
# A criterion's share of an architecture's points: function is the strongest evidence.
WEIGHTS = {"params": 1, "output": 1, "layers": 1, "function": 2}
try:
    VARIANTS = architectures.check_variants(ASSIGNMENT.options.get("variants"))
except UsageError as exc:
    raise pytest.UsageError(f"{ASSIGNMENT.root / 'assignment.toml'} [options] {exc}") from None

# What README.md's table says of each architecture's layers, per catalog variant.
LAYERS = {
    ("lenet5", "default"): "conv 6 5×5, tanh, 2×2 average pool; conv 16 5×5, tanh, 2×2 average pool; "
                           "flatten; dense 120, tanh; dense 84, tanh; dense `num_classes`",
    ("lenet5", "relu_max"): "conv 6 5×5, ReLU, 2×2 max pool; conv 16 5×5, ReLU, 2×2 max pool; flatten; "
                            "dense 120, ReLU; dense 84, ReLU; dense `num_classes`",
    ("alexnet", "default"): "conv 96 11×11 stride 4 padding 2, ReLU, 3×3/2 max pool; conv 256 5×5 padding 2, "
                            "ReLU, 3×3/2 max pool; conv 384, 384, 256 3×3 padding 1, each with ReLU; 3×3/2 "
                            "max pool; flatten (6×6×256 = 9,216); dropout 0.5, dense 4096, ReLU; dropout "
                            "0.5, dense 4096, ReLU; dense `num_classes`",
    ("vgg16", "default"): "3×3 convolutions, padding 1, each with ReLU: 64, 64, pool, 128, 128, pool, 256 ×3, "
                          "pool, 512 ×3, pool, 512 ×3, pool (2×2/2 max pools); flatten (7×7×512 = 25,088); "
                          "dense 4096, ReLU, dropout 0.5; dense 4096, ReLU, dropout 0.5; dense `num_classes`",
    ("resnet18", "default"): "conv 64 7×7 stride 2 padding 3 (no bias), BatchNorm, ReLU, 3×3/2 max pool "
                             "padding 1; four stages of 2 basic blocks (widths 64, 128, 256, 512; the first "
                             "block of stages 2-4 has stride 2); global average pool; dense `num_classes`",
    ("resnet50", "default"): "the same stem; stages of 3, 4, 6, 3 bottleneck blocks (widths 64, 128, 256, "
                             "512, expansion 4); global average pool; dense `num_classes`",
}


def readme_table(variants: dict) -> str:
    """The README's table of architectures for the chosen ``variants``: the layers asked for and
    the catalog's parameter count of each (for its default classes: LeNet-5 10, the others 1000)."""
    from cnnlab.reference.catalog import get

    rows = ["| `arch` | input | layers (each convolution and dense layer has a bias unless said otherwise) "
            "| parameters |", "|---|---|---|---|"]
    for arch in architectures.ARCHS:
        spec, variant = get(arch), variants.get(arch, "default")
        if (arch, variant) not in LAYERS:
            raise UsageError(f"the README has no description of {arch} variant {variant!r}; described: "
                             f"{', '.join(v for a, v in LAYERS if a == arch)}")
        size = "×".join(map(str, (*spec.input_size, spec.in_channels)))
        count = f"{spec.variant(variant).params.value:,}" + (" (10 classes)" if spec.num_classes == 10 else "")
        rows.append(f"| `{arch}` | {size} | {LAYERS[arch, variant]} | {count} |")
    return "\n".join(rows)


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
    return (_listed("CNNLAB_ARCHITECTURES", architectures.ARCHS), int(classes),
            _listed("CNNLAB_FRAMEWORKS", architectures.FRAMEWORKS))


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
    """``graded_model(arch, framework) -> bench.judges.architectures.Verdict``."""

    forbidden = ASSIGNMENT.options.get("forbid_model_zoo", False)

    def grade(arch, framework):
        if forbidden:  # the imports alone decide: no need to build the model
            found = student.call("model_export.zoo_imports", MODULE)
            if found:
                return architectures.Verdict(arch, framework, zoo=found).fail_all(
                    f"a ready-made model is not allowed in this assignment ({found[0]})")
        seed = architectures.new_seed()
        x_nchw, x = architectures.grading_input(arch, framework, seed=seed)
        result = student.call("model_export.export", MODULE, arch, framework, num_classes(arch), x, seed)
        if not isinstance(result, dict):
            raise AssertionError("the worker sent no model report")
        verdict = architectures.judge(result, arch=arch, framework=framework, num_classes=num_classes(arch),
                               x_nchw=x_nchw, seed=seed, load_array=student.load_array,
                               variant=VARIANTS[arch])
        if verdict.zoo and forbidden:  # what the imports did not show, the model's classes did
            verdict.fail_all(f"a ready-made model is not allowed in this assignment ({verdict.zoo[0]})")
        return verdict

    return grade


@pytest.fixture
def graded(graded_model, credit, note):
    """``graded(arch, framework)``: grade a build and score it, one partial-credit part per
    criterion, weighted by :data:`WEIGHTS`; what the student should read even on a pass (an
    accepted equivalent layout) is noted."""

    def grade(arch, framework):
        verdict = graded_model(arch, framework)
        for line in verdict.notes:
            note(line)
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
    """The assignment (its ``options`` hold ``forbid_model_zoo`` and ``variants``)."""
    return ASSIGNMENT


@pytest.fixture(scope="session")
def variants():
    """``{arch: catalog variant}`` the architectures are graded against."""
    return VARIANTS


@pytest.fixture(scope="session")
def digits():
    """scikit-learn's 8x8 digits (stored in fixtures/public), enlarged to LeNet-5's 32x32 input:
    ``(x_train, y_train, x_test, y_test)``, pixels scaled to [0, 1]."""
    with np.load(FIXTURES / "public" / "digits.npz", allow_pickle=False) as data:
        images, labels, split = data["images"], data["labels"], int(data["train"])
    x = np.kron(images.astype(np.float32) / 16.0, np.ones((4, 4), np.float32))[:, None]  # N, 1, 32, 32
    return x[:split], labels[:split], x[split:], labels[split:]
