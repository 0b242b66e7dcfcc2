"""Kernel layouts of PyTorch and Keras, and the conversions between them (pure numpy).

One home for the axis permutations that :mod:`cnnlab.reference.porting` (model to model) and the
architectures grader (``cnnlab.bench.judges.architectures``, a student's exported arrays to the
reference) both need, so that a fix reaches both.

=================  ==============================  ==============================
kind               torch                           Keras
=================  ==============================  ==============================
``conv``           ``(out, in/groups, kh, kw)``    ``(kh, kw, in/groups, out)``
``depthwise``      ``(C, 1, kh, kw)``              ``(kh, kw, C, 1)``
``conv_transpose`` ``(in, out, kh, kw)``           ``(kh, kw, out, in)``
``dense``          ``(out, in)``                   ``(in, out)``
=================  ==============================  ==============================

A transposed convolution permutes its axes like a convolution: both frameworks store the kernel
of the convolution it is the transpose of. A dense layer that reads a flattened feature map has
one more difference: torch flattens ``C, H, W`` and Keras ``H, W, C``, so the rows of the Keras
kernel (the columns of the torch weight) come in another order. ``flatten_from=(C, H, W)``
names that map and reorders them; ``None`` leaves them, which is also right for a Keras model
that permutes its map to channels first before ``Flatten``.
"""

from __future__ import annotations

import numpy as np

from cnnlab.errors import UsageError

__all__ = [
    "KINDS",
    "conv_to_keras",
    "conv_to_torch",
    "depthwise_to_keras",
    "depthwise_to_torch",
    "conv_transpose_to_keras",
    "conv_transpose_to_torch",
    "dense_to_keras",
    "dense_to_torch",
    "hwc_to_chw",
    "chw_to_hwc",
    "kernel_to_torch",
    "kernel_to_keras",
    "kernel_shape_to_torch",
]

KINDS = ("conv", "depthwise", "conv_transpose", "dense")

# Axis orders: torch -> Keras and Keras -> torch, for every 4-D kernel kind.
_TO_KERAS = {"conv": (2, 3, 1, 0), "depthwise": (2, 3, 0, 1), "conv_transpose": (2, 3, 1, 0)}
_TO_TORCH = {"conv": (3, 2, 0, 1), "depthwise": (2, 3, 0, 1), "conv_transpose": (3, 2, 0, 1)}


def _kernel4(array, kind: str, axes: dict) -> np.ndarray:
    array = np.asarray(array)
    if array.ndim != 4:
        raise UsageError(f"a {kind} kernel has 4 axes, got shape {tuple(array.shape)}")
    return np.ascontiguousarray(array.transpose(axes[kind]))


def conv_to_keras(weight) -> np.ndarray:
    """torch ``(out, in, kh, kw)`` -> Keras ``(kh, kw, in, out)``."""
    return _kernel4(weight, "conv", _TO_KERAS)


def conv_to_torch(kernel) -> np.ndarray:
    """Keras ``(kh, kw, in, out)`` -> torch ``(out, in, kh, kw)``."""
    return _kernel4(kernel, "conv", _TO_TORCH)


def depthwise_to_keras(weight) -> np.ndarray:
    """torch ``(C, 1, kh, kw)`` -> Keras ``DepthwiseConv2D`` ``(kh, kw, C, 1)``."""
    return _kernel4(weight, "depthwise", _TO_KERAS)


def depthwise_to_torch(kernel) -> np.ndarray:
    """Keras ``(kh, kw, C, 1)`` -> torch ``(C, 1, kh, kw)``."""
    return _kernel4(kernel, "depthwise", _TO_TORCH)


def conv_transpose_to_keras(weight) -> np.ndarray:
    """torch ``ConvTranspose2d`` ``(in, out, kh, kw)`` -> Keras ``Conv2DTranspose`` ``(kh, kw, out, in)``."""
    return _kernel4(weight, "conv_transpose", _TO_KERAS)


def conv_transpose_to_torch(kernel) -> np.ndarray:
    """Keras ``(kh, kw, out, in)`` -> torch ``(in, out, kh, kw)``."""
    return _kernel4(kernel, "conv_transpose", _TO_TORCH)


def _rows(matrix, flatten_from, source: str) -> tuple:
    c, h, w = (int(d) for d in flatten_from)
    if matrix.shape[0] != c * h * w:
        raise UsageError(f"a dense kernel with {matrix.shape[0]} inputs cannot read a flattened "
                         f"{c}x{h}x{w} map ({c * h * w} values, {source})")
    return c, h, w


def hwc_to_chw(rows, flatten_from) -> np.ndarray:
    """Reorder the rows of ``rows`` (``(C*H*W, ...)``) from Keras' ``H, W, C`` flatten order to
    torch's ``C, H, W``; ``flatten_from`` is ``(C, H, W)``."""
    rows = np.asarray(rows)
    c, h, w = _rows(rows, flatten_from, "H, W, C rows")
    rest = rows.shape[1:]
    return np.ascontiguousarray(rows.reshape(h, w, c, *rest).transpose(2, 0, 1, *range(3, 3 + len(rest)))
                                .reshape(rows.shape))


def chw_to_hwc(rows, flatten_from) -> np.ndarray:
    """The inverse of :func:`hwc_to_chw`: rows in ``C, H, W`` order to ``H, W, C``."""
    rows = np.asarray(rows)
    c, h, w = _rows(rows, flatten_from, "C, H, W rows")
    rest = rows.shape[1:]
    return np.ascontiguousarray(rows.reshape(c, h, w, *rest).transpose(1, 2, 0, *range(3, 3 + len(rest)))
                                .reshape(rows.shape))


def dense_to_keras(weight, *, flatten_from=None) -> np.ndarray:
    """torch ``(out, in)`` -> Keras ``(in, out)``; rows reordered to ``H, W, C`` when the layer
    reads a flattened ``flatten_from = (C, H, W)`` map."""
    kernel = np.asarray(weight).T
    return chw_to_hwc(kernel, flatten_from) if flatten_from is not None else np.ascontiguousarray(kernel)


def dense_to_torch(kernel, *, flatten_from=None) -> np.ndarray:
    """Keras ``(in, out)`` -> torch ``(out, in)``; rows read as ``H, W, C`` of a flattened
    ``flatten_from = (C, H, W)`` map are put in torch's ``C, H, W`` order first."""
    kernel = np.asarray(kernel)
    if flatten_from is not None:
        kernel = hwc_to_chw(kernel, flatten_from)
    return np.ascontiguousarray(kernel.T)


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise UsageError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")


def kernel_to_torch(kernel, *, kind: str, flatten_from=None) -> np.ndarray:
    """A Keras kernel of ``kind`` (one of :data:`KINDS`) in torch's layout."""
    _check_kind(kind)
    if kind == "dense":
        return dense_to_torch(kernel, flatten_from=flatten_from)
    return _kernel4(kernel, kind, _TO_TORCH)


def kernel_to_keras(weight, *, kind: str, flatten_from=None) -> np.ndarray:
    """A torch weight of ``kind`` (one of :data:`KINDS`) in Keras' layout."""
    _check_kind(kind)
    if kind == "dense":
        return dense_to_keras(weight, flatten_from=flatten_from)
    return _kernel4(weight, kind, _TO_KERAS)


def kernel_shape_to_torch(shape, *, kind: str) -> tuple:
    """The torch shape of a Keras kernel of ``shape`` (no array needed)."""
    _check_kind(kind)
    shape = tuple(int(d) for d in shape)
    if kind == "dense":
        if len(shape) != 2:
            raise UsageError(f"a dense kernel has 2 axes, got shape {shape}")
        return (shape[1], shape[0])
    if len(shape) != 4:
        raise UsageError(f"a {kind} kernel has 4 axes, got shape {shape}")
    return tuple(shape[i] for i in _TO_TORCH[kind])
