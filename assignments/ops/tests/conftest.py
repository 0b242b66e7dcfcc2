"""Fixtures of the ops assignment's tests: the cases on disk, and ``check``, which compares a
student's result with ``cnnlab.reference.ops`` / ``cnnlab.reference.cam`` (themselves checked against torch,
Keras and the grad-cam package in cnnlab's own tests)."""

from pathlib import Path

import numpy as np
import pytest

from cnnlab.bench.judges.cases import load_cases as read_cases
from cnnlab.reference import ops as ref
from cnnlab.reference.cam import grad_cam_maps

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _load_cases(kind):
    return read_cases(FIXTURES / kind / "cases.npz")


@pytest.fixture(scope="session")
def load_cases():
    """``load_cases(kind)``: the arrays of ``fixtures/<kind>/cases.npz`` as {case: {name: value}}."""
    return _load_cases


@pytest.fixture(scope="session")
def public_cases():
    return _load_cases("public")


def close(got, expected, what, *, rtol=1e-5, atol=1e-6):
    """Assert ``got`` is an array of ``expected``'s shape and values. The first line of each
    message is all a hidden test shows: no values there."""
    assert isinstance(got, np.ndarray), f"{what}: expected a numpy array, got {type(got).__name__}"
    assert got.shape == expected.shape, f"{what}: wrong shape\ngot {got.shape}, expected {expected.shape}"
    got = got.astype(np.float64)
    assert np.all(np.isfinite(got)), f"{what}: result contains NaN or infinity"
    assert np.allclose(got, expected, rtol=rtol, atol=atol), \
        f"{what}: wrong values\nlargest difference {np.abs(got - expected).max():.3g}"


class Checks:
    """Each method asserts that a student's result equals the reference's on the same input."""

    close = staticmethod(close)

    def conv2d(self, got, case, what):
        expected = ref.conv2d(case["x"], case["weight"], case.get("bias"), stride=case["stride"],
                              padding=case["padding"])
        close(got, expected, what)

    def max_pool2d(self, got, case, what):
        expected = ref.max_pool2d(case["x"], kernel_size=case["kernel_size"],
                                  stride=case.get("stride"))
        close(got, expected, what)

    def batchnorm(self, got, case, training, what):
        expected = ref.batchnorm_forward(
            case["x"], gamma=case["gamma"], beta=case["beta"], running_mean=case["running_mean"],
            running_var=case["running_var"], training=training, momentum=case["momentum"],
            eps=case["eps"])
        assert isinstance(got, (tuple, list)) and len(got) == 3, \
            f"{what}: expected an (out, running_mean, running_var) tuple"
        for name, g, e in zip(("out", "running_mean", "running_var"), got, expected, strict=True):
            close(g, e, f"{what} {name}")

    def dropout(self, got, case, what):
        expected = ref.dropout_forward(case["x"], p=case["p"], training=True, mask=case["mask"])
        close(got, expected, what)

    def grad_cam(self, got, case, what):
        close(got, grad_cam_maps(case["activations"], case["gradients"]), what, atol=1e-4)


@pytest.fixture(scope="session")
def check():
    return Checks()
