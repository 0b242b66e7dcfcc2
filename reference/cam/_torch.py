"""Where a PyTorch CNN looks: CAM, Grad-CAM, guided backpropagation and guided Grad-CAM.

Every function takes a model that maps ``(N, C, H, W)`` images to ``(N, K)`` class scores
(logits) and a batch of images, and returns numpy arrays: heat maps ``(N, H, W)`` in [0, 1], or
input gradients shaped like the images. The model runs in eval mode and is left as it was.
Layers are named by their dotted path in ``model.named_modules()``.

Twin of :mod:`cnnlab.reference.cam._keras`: the same functions, in the same order.
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.overrides import TorchFunctionMode

from cnnlab.errors import UsageError

from ._maps import class_indices, finish, grad_cam_maps

__all__ = ["build_gap_net", "feature_layers", "cam", "grad_cam", "guided_backprop",
           "guided_grad_cam"]


class GapNet(nn.Module):
    """A small CNN whose classifier reads the global average of its last feature maps (for CAM)."""

    def __init__(self, *, num_classes: int, in_channels: int, width: int):
        super().__init__()
        w = width
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, w, 3, padding=1), nn.ReLU(),
            nn.Conv2d(w, w, 3, padding=1), nn.ReLU(),
            nn.MaxPool2d(2),
            # dilated: each last unit sees 22x22 pixels, more than a whole object
            nn.Conv2d(w, 2 * w, 3, padding=2, dilation=2), nn.ReLU(),
            nn.Conv2d(2 * w, 4 * w, 3, padding=2, dilation=2), nn.ReLU(),
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(4 * w, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.pool(self.features(x)), 1))


def build_gap_net(*, num_classes: int = 4, in_channels: int = 1, width: int = 16) -> GapNet:
    """Two 3x3 convolutions, a 2x2 max pooling, two dilated 3x3 convolutions (all with ReLU),
    global average pooling and one dense layer.

    Its last feature maps are half the input side; the classifier ``fc`` reads their global
    average, so CAM applies (:func:`cam` with the default layer ``"features"``). The dilation
    widens what each last unit sees to 22x22 pixels: units that see a whole object respond most
    at its centre, not at one of its edges.
    """
    return GapNet(num_classes=num_classes, in_channels=in_channels, width=width)


@contextmanager
def _eval_mode(model: nn.Module):
    was_training = model.training
    model.eval()
    try:
        yield
    finally:
        model.train(was_training)


def _as_batch(model: nn.Module, images) -> torch.Tensor:
    x = images if isinstance(images, torch.Tensor) else torch.as_tensor(np.asarray(images))
    if x.ndim != 4:
        raise UsageError(f"images must be a (N, C, H, W) batch, got shape {tuple(x.shape)}")
    param = next(model.parameters(), None)
    device = param.device if param is not None else torch.device("cpu")
    return x.detach().to(device=device, dtype=torch.float32)


def _run_recording(model: nn.Module, x: torch.Tensor) -> dict[str, tuple[int, ...]]:
    """Output shape of every named module, in the order the modules finish (last call wins)."""
    shapes: dict[str, tuple[int, ...]] = {}
    handles = []
    for name, module in model.named_modules():
        if name:
            def record(mod, args, out, name=name):
                if isinstance(out, torch.Tensor):
                    shapes.pop(name, None)
                    shapes[name] = tuple(out.shape)
            handles.append(module.register_forward_hook(record))
    try:
        with torch.no_grad():
            model(x)
    finally:
        for handle in handles:
            handle.remove()
    return shapes


def feature_layers(model: nn.Module, images) -> list[str]:
    """Names of the modules that output a spatial feature map ``(N, C, H, W)`` with ``H * W > 1``.

    These are the layers Grad-CAM can explain, in the order they finish in a forward pass; the
    last one is the default layer of :func:`cam` and :func:`grad_cam`.
    """
    x = _as_batch(model, images)
    with _eval_mode(model):
        shapes = _run_recording(model, x)
    return [name for name, shape in shapes.items() if len(shape) == 4 and shape[2] * shape[3] > 1]


def _choose_layer(model: nn.Module, x: torch.Tensor, layer: str | None) -> str:
    if layer and layer in dict(model.named_modules()):
        return layer  # whether it gives a feature map shows in _forward
    valid = feature_layers(model, x)
    if layer is None:
        if not valid:
            raise UsageError("the model has no layer with a spatial feature map to explain")
        return valid[-1]
    raise UsageError(f"unknown layer {layer!r}; valid layers: {', '.join(valid)}")


def _forward(model: nn.Module, x: torch.Tensor, layer: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Run the model; return ``layer``'s output (differentiable) and the logits."""
    captured = []

    def keep(module, args, out):
        captured.append(out)
        # later in-place operations (ReLU(inplace=True)) must not overwrite what we differentiate
        return out.clone() if isinstance(out, torch.Tensor) else None

    handle = dict(model.named_modules())[layer].register_forward_hook(keep)
    try:
        logits = model(x)
    finally:
        handle.remove()
    if not captured:
        raise UsageError(f"layer {layer!r} is not used by the model's forward pass")
    activation = captured[-1]
    if not isinstance(activation, torch.Tensor) or activation.ndim != 4:
        shape = tuple(activation.shape) if isinstance(activation, torch.Tensor) else type(activation).__name__
        raise UsageError(f"layer {layer!r} outputs {shape}, not a (N, C, H, W) feature map; "
                         f"valid layers: {', '.join(feature_layers(model, x))}")
    if not isinstance(logits, torch.Tensor) or logits.ndim != 2:
        raise UsageError("the model must return (N, num_classes) scores")
    return activation, logits


def _selected_scores(logits: torch.Tensor, class_index) -> torch.Tensor:
    chosen = class_indices(class_index, logits.detach().cpu().numpy())
    index = torch.as_tensor(chosen, device=logits.device)[:, None]
    return logits.gather(1, index).sum()  # images are independent in eval mode


def cam(model: nn.Module, images, *, layer: str | None = None, class_index=None) -> np.ndarray:
    """Class activation mapping (Zhou et al. 2016) for a global-average-pooling network.

    The map of class ``k`` is ``sum_c w[k, c] * A[c]``: the feature maps ``A`` of ``layer``
    weighted by the dense classifier's row for ``k``. It only applies where the model's output is
    exactly that classifier applied to the global average of ``A``; this is checked.

    Parameters
    ----------
    model : torch.nn.Module
        Its last ``nn.Linear`` is taken as the classifier.
    images : array-like or Tensor of shape (N, C, H, W)
    layer : str, optional
        The layer whose output is pooled; the last spatial feature map by default.
    class_index : None, int or sequence of int
        The class to explain per image; the predicted one by default.

    Returns
    -------
    ndarray of shape (N, H, W)
        Heat maps in [0, 1] at the input's resolution.
    """
    x = _as_batch(model, images)
    linears = [(n, m) for n, m in model.named_modules() if isinstance(m, nn.Linear)]
    if not linears:
        raise UsageError("CAM needs a model that ends in an nn.Linear classifier; "
                         "use grad_cam (--method gradcam)")
    fc_name, fc = linears[-1]
    with _eval_mode(model), torch.no_grad():
        name = _choose_layer(model, x, layer)
        activation, logits = _forward(model, x, name)
        if activation.shape[1] != fc.in_features:
            raise UsageError(
                f"CAM needs the classifier {fc_name!r} to read the global average of {name!r}: it "
                f"takes {fc.in_features} inputs, {name!r} has {activation.shape[1]} channels; "
                "use grad_cam for this model or layer (--method gradcam)")
        pooled = F.linear(activation.mean(dim=(2, 3)), fc.weight, fc.bias)
        if not torch.allclose(pooled, logits, rtol=1e-4, atol=1e-4 * max(1.0, logits.abs().max().item())):
            raise UsageError(
                f"CAM needs the output to be {fc_name!r} applied to the global average of {name!r}, "
                "and something else sits between them; use grad_cam for this model or layer "
                "(--method gradcam)")
        chosen = class_indices(class_index, logits.cpu().numpy())
        weights = fc.weight[torch.as_tensor(chosen, device=fc.weight.device)]
        raw = torch.einsum("nc,nchw->nhw", weights, activation)
    return finish(raw.cpu().numpy(), tuple(x.shape[-2:]))


def grad_cam(model: nn.Module, images, *, layer: str | None = None, class_index=None) -> np.ndarray:
    """Grad-CAM (Selvaraju et al. 2017) for any layer with a spatial feature map.

    Each channel of ``layer``'s output is weighted by the spatial mean of the class score's
    gradient with respect to it; the weighted sum, through a ReLU, is the map.

    Parameters
    ----------
    model : torch.nn.Module
    images : array-like or Tensor of shape (N, C, H, W)
    layer : str, optional
        A name from :func:`feature_layers`; the last of them by default.
    class_index : None, int or sequence of int
        The class to explain per image; the predicted one by default.

    Returns
    -------
    ndarray of shape (N, H, W)
        Heat maps in [0, 1] at the input's resolution.
    """
    x = _as_batch(model, images)
    with _eval_mode(model), torch.enable_grad():
        name = _choose_layer(model, x, layer)
        activation, logits = _forward(model, x, name)
        (gradient,) = torch.autograd.grad(_selected_scores(logits, class_index), activation)
    return grad_cam_maps(activation.detach().cpu().numpy(), gradient.cpu().numpy(),
                         size=tuple(x.shape[-2:]))


class _GuidedReLUFunction(torch.autograd.Function):
    """ReLU whose backward pass lets through only positive gradients at positive inputs."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.clamp(min=0)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * (x > 0) * (grad > 0)


class _GuidedReLUs(TorchFunctionMode):
    """Within this mode every ReLU, module or functional, in-place or not, is the guided one."""

    _RELUS = {F.relu, torch.relu, torch.relu_, torch.Tensor.relu, torch.Tensor.relu_}

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if func in self._RELUS:
            return _GuidedReLUFunction.apply(args[0])
        return func(*args, **(kwargs or {}))


def guided_backprop(model: nn.Module, images, *, class_index=None) -> np.ndarray:
    """Guided backpropagation (Springenberg et al. 2015): the class score's gradient with respect
    to the input, where every ReLU also blocks negative gradients on the way back.

    Parameters
    ----------
    model : torch.nn.Module
    images : array-like or Tensor of shape (N, C, H, W)
    class_index : None, int or sequence of int

    Returns
    -------
    ndarray of shape (N, C, H, W)
        Not normalised; see :func:`cnnlab.reports.overlay.gradient_image` to display it.
    """
    x = _as_batch(model, images).requires_grad_(True)
    with _eval_mode(model), torch.enable_grad():
        with _GuidedReLUs():
            logits = model(x)
        if not isinstance(logits, torch.Tensor) or logits.ndim != 2:
            raise UsageError("the model must return (N, num_classes) scores")
        (gradient,) = torch.autograd.grad(_selected_scores(logits, class_index), x)
    return gradient.cpu().numpy()


def guided_grad_cam(model: nn.Module, images, *, layer: str | None = None,
                    class_index=None) -> np.ndarray:
    """Guided Grad-CAM: guided backpropagation masked by the Grad-CAM map (high resolution and
    class-discriminative).

    Returns
    -------
    ndarray of shape (N, C, H, W)
    """
    heat = grad_cam(model, images, layer=layer, class_index=class_index)
    return guided_backprop(model, images, class_index=class_index) * heat[:, None]
