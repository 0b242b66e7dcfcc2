"""Receptive fields of stacked layers, and the VGG argument: two 3x3 convolutions see what one
5x5 sees, three see what one 7x7 sees, with fewer parameters.

For a stack of layers with kernels ``k_i`` and strides ``s_i``, the receptive field of one output
pixel grows by ``(k_i - 1)`` times the product of the strides before layer ``i`` (the "jump"):
``r = 1 + sum_i (k_i - 1) * prod_{j<i} s_j``. Dilation multiplies a kernel's reach:
``k_eff = d * (k - 1) + 1``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cnnlab.errors import UsageError

from .._validation import check_int

__all__ = ["receptive_field", "StackComparison", "stack_vs_single"]


def receptive_field(layers: Sequence) -> int:
    """Side of the input window one output pixel of a stack of layers depends on.

    Parameters
    ----------
    layers : sequence of (kernel_size, stride) or (kernel_size, stride, dilation)
        Convolutions or poolings in order (padding does not change the receptive field).

    Returns
    -------
    int
        ``1`` for an empty stack; ``5`` for two 3x3/1 convolutions; ``7`` for three.

    Raises
    ------
    ValueError
        If a layer is not a pair or triple of positive ints.

    Examples
    --------
    >>> receptive_field([(3, 1), (3, 1)])
    5
    >>> receptive_field([(11, 4), (3, 2), (5, 1)])  # AlexNet conv1, pool1, conv2
    51
    """
    field, jump = 1, 1
    for index, layer in enumerate(layers):
        try:
            kernel, stride, *rest = layer
            dilation = rest[0] if rest else 1
            if len(rest) > 1:
                raise ValueError
        except (TypeError, ValueError):
            raise UsageError(f"layer {index} must be (kernel_size, stride) or "
                             f"(kernel_size, stride, dilation); got {layer!r}") from None
        kernel = check_int(kernel, name=f"layer {index} kernel_size", low=1)
        stride = check_int(stride, name=f"layer {index} stride", low=1)
        dilation = check_int(dilation, name=f"layer {index} dilation", low=1)
        field += (dilation * (kernel - 1)) * jump
        jump *= stride
    return field


@dataclass(frozen=True)
class StackComparison:
    """``layers`` stacked ``kernel_size`` convolutions against one convolution of the same reach.

    ``stacked_params`` and ``single_params`` count weights of ``channels -> channels``
    convolutions (biases too where ``bias``); ``saving`` is ``1 - stacked / single``.
    """

    kernel_size: int
    layers: int
    channels: int
    receptive_field: int
    stacked_params: int
    single_params: int

    @property
    def saving(self) -> float:
        return 1.0 - self.stacked_params / self.single_params


def stack_vs_single(*, kernel_size: int = 3, layers: int = 2, channels: int,
                    bias: bool = False) -> StackComparison:
    """Compare ``layers`` stacked stride-1 convolutions with the one convolution of equal reach.

    Parameters
    ----------
    kernel_size : int, default=3
    layers : int, default=2
        How many are stacked (2 gives a 5x5 reach for 3x3 kernels, 3 a 7x7 reach).
    channels : int
        Input and output channels of every convolution (``C`` in the VGG paper's ``9C²``).
    bias : bool, default=False
        Count one bias per output channel and layer.

    Returns
    -------
    StackComparison
        For 3x3, 2 layers and 64 channels: receptive field 5, 73,728 against 102,400 weights.

    Raises
    ------
    ValueError
        If an argument is not a positive int.
    """
    kernel_size = check_int(kernel_size, name="kernel_size", low=1)
    layers = check_int(layers, name="layers", low=1)
    channels = check_int(channels, name="channels", low=1)
    field = receptive_field([(kernel_size, 1)] * layers)
    extra = channels if bias else 0
    stacked = layers * (kernel_size * kernel_size * channels * channels + extra)
    single = field * field * channels * channels + extra
    return StackComparison(kernel_size, layers, channels, field, stacked, single)
