"""Small PyTorch helpers shared by the families."""

from __future__ import annotations

from torch import nn


def conv_out(size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """Output side of a convolution or floor-mode pooling (the formula in torch's docs)."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def count_params(module: nn.Module, *, trainable_only: bool = False) -> int:
    """Sum of parameter elements; works on ``meta`` modules, which hold no memory."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)
