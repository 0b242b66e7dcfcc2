"""The numpy half of every explanation method: class choice, normalisation, upsampling, scoring.

The torch and Keras modules compute raw maps at the resolution of the chosen layer; both hand
them to :func:`finish`, so the two frameworks post-process identically.
"""

from __future__ import annotations

import numbers

import numpy as np

from cnnlab.errors import UsageError


def class_indices(class_index, logits: np.ndarray) -> np.ndarray:
    """One class per image: the given one(s), or the highest-scoring where ``class_index`` is None.

    Parameters
    ----------
    class_index : None, int or sequence of int
    logits : ndarray of shape (N, K)
    """
    n, k = logits.shape
    if class_index is None:
        return logits.argmax(axis=1)
    if isinstance(class_index, numbers.Integral) and not isinstance(class_index, bool):
        chosen = np.full(n, int(class_index))
    else:
        chosen = np.asarray(class_index)
        if chosen.shape != (n,) or not np.issubdtype(chosen.dtype, np.integer):
            raise UsageError(f"class_index must be None, an int or {n} ints (one per image), "
                             f"got {class_index!r}")
    bad = chosen[(chosen < 0) | (chosen >= k)]
    if bad.size:
        raise UsageError(f"class_index {int(bad[0])} is out of range: the model has {k} classes "
                         f"(0 to {k - 1})")
    return chosen.astype(np.int64)


def normalise(maps: np.ndarray) -> np.ndarray:
    """Scale each map to [0, 1]: subtract its minimum, divide by its (new) maximum."""
    lowest = maps.min(axis=(-2, -1), keepdims=True)
    shifted = maps - lowest
    return shifted / (shifted.max(axis=(-2, -1), keepdims=True) + 1e-7)


def resize_bilinear(maps: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bilinear resize of ``(..., h, w)`` maps to ``size``, pixel centres aligned.

    Output pixel ``i`` samples the input at ``(i + 0.5) * h / H - 0.5``, clamped to the edges:
    the rule of ``torch.nn.functional.interpolate(mode="bilinear", align_corners=False)``,
    OpenCV's ``INTER_LINEAR`` and ``tf.image.resize(method="bilinear")`` when enlarging.
    """
    out = maps
    for axis, (old, new) in zip((-2, -1), zip(maps.shape[-2:], size, strict=True), strict=True):
        position = np.clip((np.arange(new) + 0.5) * old / new - 0.5, 0, old - 1)
        lower = np.floor(position).astype(int)
        upper = np.minimum(lower + 1, old - 1)
        weight = (position - lower).reshape((-1, 1) if axis == -2 else (-1,))
        out = np.take(out, lower, axis=axis) * (1 - weight) + np.take(out, upper, axis=axis) * weight
    return out


def finish(raw: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Raw ``(N, h, w)`` class maps to ``(N, H, W)`` heat maps in [0, 1].

    Negative evidence is dropped (ReLU), each map is enlarged to the input size and then scaled
    so that its peak is 1, as the ``grad-cam`` package does.
    """
    return normalise(resize_bilinear(np.maximum(raw, 0.0), size)).astype(np.float32)


def grad_cam_maps(activations, gradients, *, size: tuple[int, int] | None = None) -> np.ndarray:
    """Grad-CAM from a layer's output and the class score's gradient with respect to it.

    Each channel is weighted by the spatial mean of its gradient; the weighted sum of the
    channels goes through :func:`finish`.

    Parameters
    ----------
    activations, gradients : array-like of shape (N, C, h, w)
        Channels first, whatever the framework.
    size : (int, int), optional
        Output height and width; the layer's own by default.

    Returns
    -------
    ndarray of shape (N, H, W)
        Heat maps in [0, 1].
    """
    activations, gradients = np.asarray(activations), np.asarray(gradients)
    if activations.ndim != 4 or activations.shape != gradients.shape:
        raise UsageError(f"activations and gradients must both be (N, C, h, w) of one shape, got "
                         f"{activations.shape} and {gradients.shape}")
    weights = gradients.mean(axis=(2, 3), keepdims=True)
    raw = (weights * activations).sum(axis=1)
    return finish(raw, tuple(size) if size is not None else raw.shape[-2:])


def peak_in_box(maps, boxes) -> np.ndarray:
    """Whether each map's maximum lies inside its box.

    Parameters
    ----------
    maps : array-like of shape (N, H, W)
    boxes : array-like of shape (N, 4)
        ``(top, left, bottom, right)`` with bottom and right exclusive, as
        :func:`cnnlab.reference.data.make_shapes` gives them.

    Returns
    -------
    ndarray of bool, shape (N,)
    """
    maps, boxes = np.asarray(maps), np.asarray(boxes)
    if maps.ndim != 3 or boxes.shape != (len(maps), 4):
        raise UsageError(f"maps must be (N, H, W) and boxes (N, 4); got {maps.shape} and {boxes.shape}")
    flat = maps.reshape(len(maps), -1).argmax(axis=1)
    rows, cols = np.unravel_index(flat, maps.shape[1:])
    top, left, bottom, right = boxes.T
    return (top <= rows) & (rows < bottom) & (left <= cols) & (cols < right)
