"""Multiply-accumulate counts (GMACs per image), the unit torchvision's ``_ops`` metadata uses.

Only convolutions and dense layers are counted, as torchvision does; pooling, normalisation and
activations are left out.
"""

from __future__ import annotations

from math import prod

from .frameworks import framework_of


def gmacs(model, *, input_size: tuple[int, int], in_channels: int = 3) -> float:
    """GMACs of one forward pass of one image.

    Parameters
    ----------
    model : torch.nn.Module or keras.Model
        For torch the count runs on the ``meta`` device copy of the input, so a model built on
        the ``meta`` device costs nothing to count.
    input_size : (int, int)
        Height and width of the input.
    in_channels : int, default=3
    """
    if framework_of(model) == "torch":
        return _torch_gmacs(model, input_size, in_channels)
    return _keras_gmacs(model)


def _torch_gmacs(model, input_size, in_channels) -> float:
    # Forward hooks rather than torch.utils.flop_counter: the latter imports triton, whose LLVM
    # aborts the process when TensorFlow's LLVM is already loaded (torch 2.15, TF 2.21).
    import torch

    total = 0

    def hook(module, inputs, output):
        nonlocal total
        if isinstance(module, torch.nn.ConvTranspose2d):  # per input position: in x k*k*out
            kh, kw = module.kernel_size
            per_input = kh * kw * module.out_channels // module.groups
            total += inputs[0].numel() // inputs[0].shape[0] * per_input
        elif isinstance(module, torch.nn.Conv2d):
            kh, kw = module.kernel_size
            per_output = (module.in_channels // module.groups) * kh * kw
            total += output.numel() // output.shape[0] * per_output
        else:  # Linear: every output element is one dot product of in_features
            total += output.numel() // output.shape[0] * module.in_features

    handles = [
        m.register_forward_hook(hook)
        for m in model.modules()
        if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d, torch.nn.Linear))
    ]
    params = list(model.parameters())
    device = params[0].device if params else torch.device("cpu")
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(torch.empty(1, in_channels, *input_size, device=device))
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()
    return total / 1e9


def _keras_gmacs(model) -> float:
    # A kernel element is one MAC at every output position: H x W for a convolution (kernel
    # (kh, kw, in/groups, out) or (kh, kw, C, 1) for depthwise), 1 for a dense layer on a vector.
    macs = 0
    for layer in model.layers:
        if type(layer).__name__ in ("Conv2D", "DepthwiseConv2D", "Dense"):
            macs += _numel(layer.output.shape[1:-1]) * _numel(layer.kernel.shape)
        elif type(layer).__name__ == "Conv2DTranspose":  # per input position, as in torch
            macs += _numel(layer.input.shape[1:-1]) * _numel(layer.kernel.shape)
    return macs / 1e9


def _numel(shape) -> int:
    return prod(int(d) for d in shape)
