"""L1 and L2 weight penalties and their gradients.

The conventions differ between frameworks: Keras' ``L2(l2=lam)`` adds ``lam * sum(w**2)`` to the
loss, while torch's ``SGD(weight_decay=wd)`` adds ``wd * w`` to the gradient, which is the
gradient of ``wd / 2 * sum(w**2)``. So ``weight_decay = 2 * lam`` matches Keras' ``L2(lam)``.
"""

from __future__ import annotations

import numpy as np

from cnnlab.errors import UsageError

from .._validation import as_array

__all__ = ["l1_penalty", "l2_penalty", "l1_gradient", "l2_gradient"]


def _weights(weights) -> list[np.ndarray]:
    if isinstance(weights, (list, tuple)):
        if not weights:
            raise UsageError("weights must be an array or a non-empty list of arrays")
        return [as_array(w, name="weights") for w in weights]
    return [as_array(weights, name="weights")]


def _strength(lam) -> float:
    if isinstance(lam, bool) or not isinstance(lam, (int, float)) or lam < 0:
        raise UsageError(f"lam must be a non-negative number, got {lam!r}")
    return float(lam)


def l1_penalty(weights, *, lam: float) -> float:
    """``lam * sum(|w|)`` over one array or a list of arrays (Keras ``regularizers.L1``)."""
    lam = _strength(lam)
    return lam * sum(float(np.abs(w).sum()) for w in _weights(weights))


def l2_penalty(weights, *, lam: float) -> float:
    """``lam * sum(w**2)`` over one array or a list of arrays (Keras ``regularizers.L2``)."""
    lam = _strength(lam)
    return lam * sum(float(np.square(w).sum()) for w in _weights(weights))


def l1_gradient(weights, *, lam: float) -> np.ndarray:
    """Gradient of :func:`l1_penalty` for one array: ``lam * sign(w)`` (0 where ``w = 0``)."""
    return _strength(lam) * np.sign(as_array(weights, name="weights"))


def l2_gradient(weights, *, lam: float) -> np.ndarray:
    """Gradient of :func:`l2_penalty` for one array: ``2 * lam * w``."""
    return 2.0 * _strength(lam) * as_array(weights, name="weights")
