"""Fixtures of the metrics assignment's tests: the cases on disk, and ``check``, which compares a
student's result with ``cnnlab.reference.metrics`` (itself checked against scikit-learn)."""

from pathlib import Path

import numpy as np
import pytest

from cnnlab.bench.judges.cases import load_cases as read_cases
from cnnlab.reference import metrics as ref

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _load_cases(kind):
    return read_cases(FIXTURES / kind / "cases.npz")


@pytest.fixture(scope="session")
def load_cases():
    """``load_cases(kind)``: the arrays of ``fixtures/<kind>/cases.npz`` as {case: {name: array}}."""
    return _load_cases


@pytest.fixture(scope="session")
def public_cases():
    return _load_cases("public")


def _close(got, expected, what):
    got = np.asarray(got, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    # The first line of a message is all a hidden test shows: no values there.
    assert got.shape == expected.shape, f"{what}: wrong shape\ngot {got.shape}, expected {expected.shape}"
    assert np.all(np.isfinite(got)), f"{what}: result contains NaN or infinity\ngot {got}"
    assert np.allclose(got, expected, rtol=1e-7, atol=1e-9), f"{what}: wrong values\ngot {got}, expected {expected}"


class Checks:
    """Each method asserts that a student's result equals the reference's on the same input."""

    def confusion(self, got, y_true, y_pred, num_classes, what):
        expected = ref.confusion_matrix(y_true, y_pred, labels=np.arange(num_classes))
        assert isinstance(got, np.ndarray), f"{what}: expected a numpy array, got {type(got).__name__}"
        assert np.issubdtype(got.dtype, np.integer), f"{what}: expected integer counts, got dtype {got.dtype}"
        assert got.shape == expected.shape, f"{what}: wrong shape\ngot {got.shape}, expected {expected.shape}"
        assert np.array_equal(got, expected), f"{what}: wrong counts\ngot\n{got}\nexpected\n{expected}"

    def prf(self, got, y_true, y_pred, num_classes, average, what):
        expected = ref.precision_recall_f1(y_true, y_pred, average=average,
                                           labels=np.arange(num_classes), zero_division=0.0)[:3]
        assert isinstance(got, (tuple, list)) and len(got) == 3, \
            f"{what}: expected a (precision, recall, f1) tuple"
        for name, g, e in zip(("precision", "recall", "f1"), got, expected, strict=True):
            _close(g, e, f"{what} {name}")

    def top_k(self, got, y_true, scores, k, what):
        _close(got, ref.top_k_accuracy(y_true, scores, k=k, labels=np.arange(scores.shape[1])), what)

    def auc(self, got, y_true, scores, what):
        expected = ref.roc_auc(y_true, scores, multi_class="ovr", average="macro",
                               labels=np.arange(scores.shape[1]))
        _close(got, expected, what)


@pytest.fixture(scope="session")
def check():
    return Checks()
