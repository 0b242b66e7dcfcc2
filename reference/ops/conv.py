"""Convolution by hand: the 1-D lecture operations and the 2-D layer the frameworks compute.

Deep-learning "convolution" layers compute a *cross-correlation*: the kernel slides over the
input without being flipped. The mathematical convolution flips the kernel first.
:func:`convolve1d` and :func:`correlate1d` show the difference on plain sequences;
:func:`conv1d` and :func:`conv2d` compute what ``torch.nn.functional.conv1d``/``conv2d`` compute,
channels first (``N, C, H, W`` inputs, ``C_out, C_in / groups, kh, kw`` kernels).
"""

from __future__ import annotations

import numpy as np

from cnnlab.errors import UsageError

from .._validation import as_array, check_choice, check_int, check_pair
from ._windows import pad_hw, windows

__all__ = ["convolve1d", "correlate1d", "conv1d", "conv2d"]

_MODES = ("full", "valid", "same")


def _slide(signal: np.ndarray, kernel: np.ndarray, mode: str) -> np.ndarray:
    """Cross-correlate two 1-D arrays (``kernel`` no longer than ``signal``):
    ``out[i] = sum_k signal[i + k] * kernel[k]``."""
    n, k = len(signal), len(kernel)
    if mode == "full":
        signal = np.pad(signal, (k - 1, k - 1))
    elif mode == "same":
        # numpy's "same": as long as the longer input, centred on the full result
        full = _slide(signal, kernel, "full")
        start = (len(full) - max(n, k)) // 2
        return full[start : start + max(n, k)]
    taps = np.lib.stride_tricks.sliding_window_view(signal, k)
    return taps @ kernel


def convolve1d(signal, kernel, *, mode: str = "full") -> np.ndarray:
    """Discrete convolution of two sequences: the kernel is flipped, then slid.

    Parameters
    ----------
    signal, kernel : array-like of shape (n,) and (k,)
        The sequences; their order does not matter (convolution commutes).
    mode : {"full", "valid", "same"}, default="full"
        ``"full"`` gives all ``n + k - 1`` overlaps, ``"valid"`` only the ``n - k + 1`` where the
        kernel lies inside the signal, ``"same"`` the central ``max(n, k)`` of the full result.

    Returns
    -------
    ndarray of shape (n + k - 1,), (n - k + 1,) or (max(n, k),)

    Examples
    --------
    >>> convolve1d([3, 2, 1], [1, 2, 3, 4, 5]).tolist()
    [3.0, 8.0, 14.0, 20.0, 26.0, 14.0, 5.0]
    """
    signal = as_array(signal, name="signal", ndim=1)
    kernel = as_array(kernel, name="kernel", ndim=1)
    check_choice(mode, name="mode", choices=_MODES)
    if mode == "valid" and len(kernel) > len(signal):
        signal, kernel = kernel, signal  # convolution commutes; numpy swaps the same way
    return _slide(signal, kernel[::-1], mode)


def correlate1d(signal, kernel, *, mode: str = "valid") -> np.ndarray:
    """Cross-correlation: slide ``kernel`` over ``signal`` without flipping it.

    This is what a convolution layer computes.

    Parameters
    ----------
    signal : array-like of shape (n,)
    kernel : array-like of shape (k,)
    mode : {"valid", "full", "same"}, default="valid"
        As in :func:`convolve1d`.

    Returns
    -------
    ndarray
        ``out[i] = sum_j signal[i + j] * kernel[j]`` (for ``"valid"``).

    Examples
    --------
    >>> correlate1d([5, 3, 2, 5, 9, 7], [1, 2, 3]).tolist()
    [17.0, 22.0, 39.0, 44.0]
    """
    signal = as_array(signal, name="signal", ndim=1)
    kernel = as_array(kernel, name="kernel", ndim=1)
    check_choice(mode, name="mode", choices=_MODES)
    if len(kernel) > len(signal):
        # correlate(a, v) is correlate(v, a) reversed; sliding the shorter one keeps "valid"
        # defined and centres "same" as numpy does
        return _slide(kernel, signal, mode)[::-1].copy()
    return _slide(signal, kernel, mode)


def _padding(padding, *, kernel, dilation, stride) -> tuple[tuple[int, int], tuple[int, int]]:
    """``((top, bottom), (left, right))`` for an int, a pair, ``"valid"`` or ``"same"``."""
    if isinstance(padding, str):
        check_choice(padding, name="padding", choices=("valid", "same"))
        if padding == "valid":
            return (0, 0), (0, 0)
        if stride != (1, 1):
            raise UsageError(f"padding='same' needs stride 1 (as in torch), got stride {stride}")
        sides = []
        for k, d in zip(kernel, dilation, strict=True):
            total = d * (k - 1)
            sides.append((total // 2, total - total // 2))  # the odd pixel goes after
        return tuple(sides)
    ph, pw = check_pair(padding, name="padding")
    return (ph, ph), (pw, pw)


def conv2d(x, weight, bias=None, *, stride=1, padding=0, dilation=1, groups: int = 1) -> np.ndarray:
    """2-D convolution layer (cross-correlation) of a batch of multi-channel images.

    Parameters
    ----------
    x : array-like of shape (N, C_in, H, W)
        Input, channels first.
    weight : array-like of shape (C_out, C_in // groups, kh, kw)
        Kernels in torch's layout (a Keras kernel ``(kh, kw, C_in, C_out)`` is
        ``weight.transpose(3, 2, 0, 1)``).
    bias : array-like of shape (C_out,), optional
    stride : int or (int, int), default=1
    padding : int, (int, int), "valid" or "same", default=0
        Zeros added on both sides; ``"same"`` (stride 1 only) keeps the size and puts an odd
        extra pixel at the bottom/right, as torch does.
    dilation : int or (int, int), default=1
        Spacing between kernel taps.
    groups : int, default=1
        Channels are split into ``groups`` independent convolutions; ``groups = C_in`` with
        ``C_out = C_in`` is a depthwise convolution.

    Returns
    -------
    ndarray of shape (N, C_out, H_out, W_out)
        ``H_out = (H + 2 * pad - dilation * (kh - 1) - 1) // stride + 1``, likewise ``W_out``.
    """
    x = as_array(x, name="x", ndim=4)
    weight = as_array(weight, name="weight", ndim=4)
    stride = check_pair(stride, name="stride", low=1)
    dilation = check_pair(dilation, name="dilation", low=1)
    groups = check_int(groups, name="groups", low=1)
    n, c_in = x.shape[:2]
    c_out, c_group, kh, kw = weight.shape
    if c_in % groups or c_out % groups:
        raise UsageError(
            f"groups={groups} must divide both the input channels ({c_in}) and the output "
            f"channels ({c_out})"
        )
    if c_group != c_in // groups:
        raise UsageError(
            f"weight has {c_group} input channels per group; x has {c_in} channels in {groups} "
            f"group(s), so weight must have shape ({c_out}, {c_in // groups}, kh, kw)"
        )
    pads = _padding(padding, kernel=(kh, kw), dilation=dilation, stride=stride)
    padded = pad_hw(x, pads)
    span = (dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1)
    if padded.shape[2] < span[0] or padded.shape[3] < span[1]:
        raise UsageError(
            f"the (dilated) kernel {span[0]}x{span[1]} is larger than the padded input "
            f"{padded.shape[2]}x{padded.shape[3]}"
        )
    patches = windows(padded, kernel=(kh, kw), stride=stride, dilation=dilation)
    h_out, w_out = patches.shape[2:4]
    # split channels into groups, then sum each group's taps against its kernels
    patches = patches.reshape(n, groups, c_in // groups, h_out, w_out, kh, kw)
    kernels = weight.reshape(groups, c_out // groups, c_group, kh, kw)
    out = np.einsum("ngchwij,gocij->ngohw", patches, kernels, optimize=True)
    out = out.reshape(n, c_out, h_out, w_out)
    if bias is not None:
        bias = as_array(bias, name="bias", ndim=1)
        if bias.shape != (c_out,):
            raise UsageError(f"bias must have shape ({c_out},), got {bias.shape}")
        out = out + bias[:, None, None]
    return out


def conv1d(x, weight, bias=None, *, stride: int = 1, padding=0, dilation: int = 1,
           groups: int = 1) -> np.ndarray:
    """1-D convolution layer (cross-correlation) over ``(N, C_in, L)`` sequences.

    Parameters
    ----------
    x : array-like of shape (N, C_in, L)
    weight : array-like of shape (C_out, C_in // groups, k)
    bias : array-like of shape (C_out,), optional
    stride, dilation, groups : int
        As in :func:`conv2d`.
    padding : int, "valid" or "same", default=0

    Returns
    -------
    ndarray of shape (N, C_out, L_out)
    """
    x = as_array(x, name="x", ndim=3)
    weight = as_array(weight, name="weight", ndim=3)
    if not isinstance(padding, str):
        padding = (0, check_int(padding, name="padding"))
    stride = (1, check_int(stride, name="stride", low=1))
    dilation = (1, check_int(dilation, name="dilation", low=1))
    # a sequence is an image one pixel high
    out = conv2d(x[:, :, None, :], weight[:, :, None, :], bias, stride=stride, padding=padding,
                 dilation=dilation, groups=groups)
    return out[:, :, 0, :]
