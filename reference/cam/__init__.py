"""Visual explanations: where a CNN looks when it names a class.

Four methods, in PyTorch (:mod:`cnnlab.reference.cam._torch`) and Keras
(:mod:`cnnlab.reference.cam._keras`) with the same function names:

* ``cam`` — class activation mapping, for networks that classify the global average of their
  last feature maps;
* ``grad_cam`` — Grad-CAM, for any layer with a spatial feature map;
* ``guided_backprop`` — the input gradient through "guided" ReLUs;
* ``guided_grad_cam`` — the two combined.

:func:`explain` picks the framework from the model; :func:`at_size` enlarges one image's
explanation to the picture it explains; :func:`grad_cam_maps` is Grad-CAM's
arithmetic on a layer's activations and gradients (numpy), and :func:`peak_in_box` scores maps
against bounding boxes. Importing this package imports neither framework.
"""

from __future__ import annotations

from cnnlab.errors import UsageError

from ..frameworks import twin
from ._maps import grad_cam_maps, peak_in_box, resize_bilinear

__all__ = ["METHODS", "explain", "module_for", "at_size", "grad_cam_maps", "peak_in_box"]

#: Method names as the command line spells them -> function names in the framework modules.
METHODS = {
    "cam": "cam",
    "gradcam": "grad_cam",
    "guided": "guided_backprop",
    "guided_gradcam": "guided_grad_cam",
}
_TAKES_LAYER = {"cam", "gradcam", "guided_gradcam"}


def module_for(framework: str):
    """The explanation module of ``framework`` ("torch" or "keras"), imported on demand."""
    return twin("cnnlab.reference.cam", framework)


def explain(model, images, *, method: str, layer: str | None = None, class_index=None):
    """Run one explanation method on a torch or Keras model.

    Parameters
    ----------
    model : torch.nn.Module or keras.Model
    images : array-like
        A batch in the framework's layout: ``(N, C, H, W)`` for torch, ``(N, H, W, C)`` for Keras.
    method : {"cam", "gradcam", "guided", "guided_gradcam"}
    layer : str, optional
        The layer to explain (not used by ``"guided"``); the last spatial feature map by default.
    class_index : None, int or sequence of int
        The class per image; the predicted one by default.

    Returns
    -------
    ndarray
        ``(N, H, W)`` heat maps in [0, 1] for ``"cam"`` and ``"gradcam"``; gradients shaped like
        ``images`` for ``"guided"`` and ``"guided_gradcam"``.
    """
    from ..frameworks import framework_of

    if method not in METHODS:
        raise UsageError(f"unknown method {method!r}; valid methods: {', '.join(METHODS)}")
    function = getattr(module_for(framework_of(model)), METHODS[method])
    if method in _TAKES_LAYER:
        return function(model, images, layer=layer, class_index=class_index)
    if layer is not None:
        raise UsageError("method 'guided' explains the input, it takes no layer")
    return function(model, images, class_index=class_index)


def at_size(explanation, size: tuple[int, int], *, channels_first: bool = False):
    """One image's explanation resized (bilinear, pixel centres aligned) to ``size``.

    The network sees its input size; the picture explained may be larger. Heat maps and
    gradients are enlarged to the picture so they are drawn over it pixel for pixel.

    Parameters
    ----------
    explanation : array-like of shape (h, w), (C, h, w) or (h, w, C)
        A heat map, or a gradient in the framework's layout.
    size : (int, int)
        ``(height, width)`` of the picture.
    channels_first : bool, default=False
        True for a torch gradient ``(C, h, w)``.

    Returns
    -------
    ndarray of shape (H, W) or (H, W, C), float32
    """
    import numpy as np

    array = np.asarray(explanation, dtype=np.float32)
    if array.ndim == 2:
        return resize_bilinear(array, tuple(size)).astype(np.float32)
    if array.ndim != 3:
        raise UsageError(f"explanation must be (h, w), (C, h, w) or (h, w, C), got {array.shape}")
    planes = array if channels_first else array.transpose(2, 0, 1)
    return resize_bilinear(planes, tuple(size)).transpose(1, 2, 0).astype(np.float32)
