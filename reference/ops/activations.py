"""Activation functions, element by element (softmax along an axis)."""

from __future__ import annotations

import numpy as np

from .._validation import as_array

__all__ = ["relu", "leaky_relu", "sigmoid", "tanh", "softmax"]


def relu(x) -> np.ndarray:
    """``max(x, 0)``."""
    return np.maximum(as_array(x, name="x"), 0.0)


def leaky_relu(x, *, negative_slope: float = 0.01) -> np.ndarray:
    """``x`` where positive, ``negative_slope * x`` elsewhere (torch's default slope is 0.01,
    Keras' ``LeakyReLU`` 0.3)."""
    x = as_array(x, name="x")
    return np.where(x > 0, x, negative_slope * x)


def sigmoid(x) -> np.ndarray:
    """``1 / (1 + exp(-x))``, computed without overflow for large ``|x|``."""
    x = as_array(x, name="x")
    # exp of a non-positive number never overflows
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def tanh(x) -> np.ndarray:
    """The hyperbolic tangent."""
    return np.tanh(as_array(x, name="x"))


def softmax(x, *, axis: int = -1) -> np.ndarray:
    """``exp(x) / sum(exp(x))`` along ``axis``; the maximum is subtracted first so that
    ``exp`` cannot overflow (softmax is unchanged by a shift)."""
    x = as_array(x, name="x")
    shifted = np.exp(x - x.max(axis=axis, keepdims=True))
    return shifted / shifted.sum(axis=axis, keepdims=True)
