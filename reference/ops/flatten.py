"""Flattening a feature map before a dense layer."""

from __future__ import annotations

import numpy as np

from cnnlab.errors import UsageError

from .._validation import as_array, check_int

__all__ = ["flatten"]


def flatten(x, *, start_dim: int = 1) -> np.ndarray:
    """Merge every axis from ``start_dim`` on into one, in row-major (C) order.

    The order of the flat vector is the order of the array's axes: a channels-first
    ``(N, C, H, W)`` map flattens as torch does (channel slowest), a channels-last
    ``(N, H, W, C)`` map as Keras does (channel fastest). A dense layer trained on one order
    needs its weight rows permuted to read the other.

    Parameters
    ----------
    x : array-like
    start_dim : int, default=1
        The first axis to merge; the axes before it (the batch) are kept.

    Returns
    -------
    ndarray of shape ``x.shape[:start_dim] + (prod(x.shape[start_dim:]),)``
    """
    x = as_array(x, name="x")
    start_dim = check_int(start_dim, name="start_dim")
    if start_dim >= max(x.ndim, 1):
        raise UsageError(f"start_dim must be below x.ndim={x.ndim}, got {start_dim}")
    return x.reshape(x.shape[:start_dim] + (-1,))
