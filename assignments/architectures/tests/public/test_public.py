"""Public tests of the architectures assignment: LeNet-5 and AlexNet in both frameworks, the
model-zoo check and the leaderboard. Students get these with the starter code."""

import time

import numpy as np
import pytest

from cnnlab.bench.judges import architectures


@pytest.mark.points(10)
@pytest.mark.parametrize("framework", architectures.FRAMEWORKS)
@pytest.mark.parametrize("arch", ["lenet5", "alexnet"])
def test_architecture(arch, framework, graded):
    """Parameters, output shape, layer output shapes and function (the reference with your
    weights gives your output) of build(arch, framework)."""
    graded(arch, framework)


@pytest.mark.points(0)
def test_model_zoo(student, assignment):
    """No architecture may come from torchvision.models or keras.applications (reported only,
    where the assignment allows them)."""
    found = student.call("model_export.zoo_imports", "architectures")
    rule = ("not allowed: those models earn nothing" if assignment.options.get("forbid_model_zoo")
            else "allowed here, reported only")
    assert not found, f"{found[0]} ({rule})" + "".join(f"\n{f}" for f in found[1:])


@pytest.mark.points(0)
@pytest.mark.parametrize("arch", ["lenet5"])
def test_leaderboard(arch, student, digits, leaderboard, variants):
    """Your LeNet-5 (torch) after the fixed recipe, run in your sandbox from weights that are yours
    (trained elsewhere, they count too): accuracy on held-out digits and images per second, both
    measured by the grader. It ranks the model you hand in, not the recipe alone."""
    x_train, y_train, x_test, y_test = digits
    result = student.call("model_export.train", "architectures", arch, "torch", 10, x_train, y_train, 2024)
    try:
        model = architectures.trained_reference(result, arch=arch, framework="torch", num_classes=10,
                                         input_shape=x_test[:1].shape, load_array=student.load_array,
                                         variant=variants[arch])
    except ValueError as exc:
        raise AssertionError(f"your trained LeNet-5 does not fit the reference: {exc}") from None
    started = time.perf_counter()
    logits = student.call("model_export.predict", x_test)
    seconds = time.perf_counter() - started
    import torch

    with torch.no_grad():
        expected = model(torch.from_numpy(x_test)).numpy()
    assert isinstance(logits, np.ndarray) and logits.shape == expected.shape, \
        f"predictions of shape {getattr(logits, 'shape', None)}, expected {expected.shape}"
    assert np.allclose(logits, expected, rtol=1e-4, atol=1e-4 * max(1.0, float(np.abs(expected).max()))), \
        "your trained model's predictions differ from the reference holding its weights"
    leaderboard.record("digits accuracy", float(np.mean(expected.argmax(1) == y_test)))
    leaderboard.record("images/s", len(x_test) / seconds)
