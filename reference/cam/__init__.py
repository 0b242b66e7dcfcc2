"""Visual explanations: where a CNN looks when it names a class.

Four methods, in PyTorch (:mod:`cnnlab.reference.cam._torch`) and Keras
(:mod:`cnnlab.reference.cam._keras`) with the same function names:

* ``cam`` — class activation mapping, for networks that classify the global average of their
  last feature maps;
* ``grad_cam`` — Grad-CAM, for any layer with a spatial feature map;
* ``guided_backprop`` — the input gradient through "guided" ReLUs;
* ``guided_grad_cam`` — the two combined.

:func:`explain` picks the framework from the model; :func:`grad_cam_maps` is Grad-CAM's
arithmetic on a layer's activations and gradients (numpy), and :func:`peak_in_box` scores maps
against bounding boxes. Importing this package imports neither framework.
"""

from __future__ import annotations

from cnnlab.errors import UsageError

from ..frameworks import twin
from ._maps import grad_cam_maps, peak_in_box

__all__ = ["METHODS", "explain", "module_for", "grad_cam_maps", "peak_in_box"]

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
