"""The sliding windows that convolution and pooling share."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def windows(x: np.ndarray, *, kernel: tuple[int, int], stride: tuple[int, int],
            dilation: tuple[int, int] = (1, 1)) -> np.ndarray:
    """Every ``kernel``-sized window of an already padded ``(N, C, H, W)`` array.

    Returns a read-only view of shape ``(N, C, H_out, W_out, kh, kw)``: window ``(i, j)`` starts at
    row ``i * stride_h`` and column ``j * stride_w``, and its taps are ``dilation`` apart.
    """
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    span_h, span_w = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    view = sliding_window_view(x, (span_h, span_w), axis=(2, 3))
    return view[:, :, ::sh, ::sw, ::dh, ::dw]


def pad_hw(x: np.ndarray, padding: tuple[tuple[int, int], tuple[int, int]], value: float = 0.0) -> np.ndarray:
    """Pad the last two axes of ``(N, C, H, W)``: ``((top, bottom), (left, right))``."""
    if not any(padding[0] + padding[1]):
        return x
    return np.pad(x, ((0, 0), (0, 0), *padding), constant_values=value)
