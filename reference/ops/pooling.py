"""Max and average pooling over ``(N, C, H, W)`` arrays, with torch's padding rules."""

from __future__ import annotations

import numpy as np

from cnnlab.errors import UsageError

from .._validation import as_array, check_pair
from ._windows import pad_hw, windows
from .formulas import pool_output_size

__all__ = ["max_pool2d", "avg_pool2d", "global_avg_pool2d"]


def _geometry(x, kernel_size, stride, padding):
    kernel = check_pair(kernel_size, name="kernel_size", low=1)
    stride = kernel if stride is None else check_pair(stride, name="stride", low=1)
    pad = check_pair(padding, name="padding")
    for p, k in zip(pad, kernel, strict=True):
        if 2 * p > k:
            raise UsageError(f"padding {pad} must be at most half the kernel size {kernel}")
    if x.shape[2] + 2 * pad[0] < kernel[0] or x.shape[3] + 2 * pad[1] < kernel[1]:
        raise UsageError(
            f"kernel_size {kernel} is larger than the padded input {x.shape[2]}x{x.shape[3]}"
        )
    return kernel, stride, pad


def max_pool2d(x, *, kernel_size, stride=None, padding=0, ceil_mode: bool = False) -> np.ndarray:
    """The largest value in each window.

    Parameters
    ----------
    x : array-like of shape (N, C, H, W)
    kernel_size : int or (int, int)
    stride : int or (int, int), optional
        Defaults to ``kernel_size`` (non-overlapping windows).
    padding : int or (int, int), default=0
        Padding counts as ``-inf``, so it never wins.
    ceil_mode : bool, default=False
        Round the output size up: a last, partial window is kept if it starts inside the input or
        the left padding.

    Returns
    -------
    ndarray of shape (N, C, H_out, W_out)
    """
    x = as_array(x, name="x", ndim=4)
    kernel, stride, pad = _geometry(x, kernel_size, stride, padding)
    sides = []
    for size, k, s, p in zip(x.shape[2:], kernel, stride, pad, strict=True):
        out = pool_output_size(size, kernel_size=k, stride=s, padding=p, ceil_mode=ceil_mode)
        extra = (out - 1) * s + k - (size + 2 * p)  # rows a ceil-mode window reads past the pad
        sides.append((p, p + max(0, extra)))
    padded = pad_hw(x, tuple(sides), value=-np.inf)
    return windows(padded, kernel=kernel, stride=stride).max(axis=(-2, -1))


def avg_pool2d(x, *, kernel_size, stride=None, padding=0, count_include_pad: bool = True) -> np.ndarray:
    """The mean of each window.

    Parameters
    ----------
    x : array-like of shape (N, C, H, W)
    kernel_size : int or (int, int)
    stride : int or (int, int), optional
        Defaults to ``kernel_size``.
    padding : int or (int, int), default=0
        Zeros added on both sides.
    count_include_pad : bool, default=True
        Whether the padded zeros count in the divisor. True is torch's default; Keras'
        ``AveragePooling2D(padding="same")`` averages over the real pixels only (False).

    Returns
    -------
    ndarray of shape (N, C, H_out, W_out)
    """
    x = as_array(x, name="x", ndim=4)
    kernel, stride, pad = _geometry(x, kernel_size, stride, padding)
    sides = ((pad[0], pad[0]), (pad[1], pad[1]))
    sums = windows(pad_hw(x, sides), kernel=kernel, stride=stride).sum(axis=(-2, -1))
    if count_include_pad:
        return sums / (kernel[0] * kernel[1])
    ones = pad_hw(np.ones((1, 1) + x.shape[2:]), sides)
    counts = windows(ones, kernel=kernel, stride=stride).sum(axis=(-2, -1))
    return sums / counts


def global_avg_pool2d(x) -> np.ndarray:
    """The mean of each channel over height and width: ``(N, C, H, W)`` to ``(N, C)``."""
    x = as_array(x, name="x", ndim=4)
    return x.mean(axis=(2, 3))
