"""Output sizes and parameter counts of the usual layers, from the formulas the lectures teach.

Sizes are per spatial side. Parameter counts include the bias unless ``bias=False``; a lecture
that speaks of "weights" counts the kernel alone.
"""

from __future__ import annotations

from cnnlab.errors import UsageError

from .._validation import check_choice, check_int, check_pair

__all__ = [
    "conv_output_size",
    "pool_output_size",
    "conv_params",
    "depthwise_params",
    "pointwise_params",
    "separable_params",
    "dense_params",
    "batchnorm_params",
]


def conv_output_size(size: int, *, kernel_size: int, stride: int = 1, padding=0,
                     dilation: int = 1) -> int:
    """Output side of a convolution.

    Parameters
    ----------
    size : int
        Input side (height or width).
    kernel_size, stride, dilation : int
    padding : int, "valid" or "same", default=0
        Zeros on each side. ``"same"`` gives ``ceil(size / stride)`` as Keras and TensorFlow do
        (with stride 1, the input size).

    Returns
    -------
    int
        ``(size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1``.
    """
    size = check_int(size, name="size", low=1)
    kernel_size = check_int(kernel_size, name="kernel_size", low=1)
    stride = check_int(stride, name="stride", low=1)
    dilation = check_int(dilation, name="dilation", low=1)
    if isinstance(padding, str):
        check_choice(padding, name="padding", choices=("valid", "same"))
        if padding == "same":
            return -(-size // stride)
        padding = 0
    padding = check_int(padding, name="padding")
    span = dilation * (kernel_size - 1) + 1
    if size + 2 * padding < span:
        raise UsageError(
            f"a kernel spanning {span} does not fit an input of {size} with padding {padding}"
        )
    return (size + 2 * padding - span) // stride + 1


def pool_output_size(size: int, *, kernel_size: int, stride: int | None = None, padding=0,
                     ceil_mode: bool = False) -> int:
    """Output side of a max or average pooling.

    Parameters
    ----------
    size : int
    kernel_size : int
    stride : int, optional
        Defaults to ``kernel_size``.
    padding : int, "valid" or "same", default=0
    ceil_mode : bool, default=False
        Round up instead of down, dropping a last window that would start in the right padding
        (torch's rule).

    Returns
    -------
    int
    """
    stride = kernel_size if stride is None else stride
    if not ceil_mode:
        return conv_output_size(size, kernel_size=kernel_size, stride=stride, padding=padding)
    size = check_int(size, name="size", low=1)
    kernel_size = check_int(kernel_size, name="kernel_size", low=1)
    stride = check_int(stride, name="stride", low=1)
    padding = check_int(padding, name="padding")
    if size + 2 * padding < kernel_size:
        raise UsageError(f"kernel_size {kernel_size} does not fit an input of {size}")
    out = -(-(size + 2 * padding - kernel_size) // stride) + 1
    if (out - 1) * stride >= size + padding:
        out -= 1
    return out


def conv_params(*, in_channels: int, out_channels: int, kernel_size, groups: int = 1,
                bias: bool = True) -> int:
    """Learnable parameters of a convolution: ``kh * kw * in_channels / groups * out_channels``
    weights plus ``out_channels`` biases.

    Examples
    --------
    >>> conv_params(in_channels=256, out_channels=128, kernel_size=5, bias=False)
    819200
    """
    kh, kw = check_pair(kernel_size, name="kernel_size", low=1)
    in_channels = check_int(in_channels, name="in_channels", low=1)
    out_channels = check_int(out_channels, name="out_channels", low=1)
    groups = check_int(groups, name="groups", low=1)
    if in_channels % groups or out_channels % groups:
        raise UsageError(
            f"groups={groups} must divide in_channels={in_channels} and out_channels={out_channels}"
        )
    return kh * kw * (in_channels // groups) * out_channels + (out_channels if bias else 0)


def depthwise_params(*, channels: int, kernel_size, depth_multiplier: int = 1,
                     bias: bool = True) -> int:
    """A depthwise convolution: one ``kh x kw`` kernel per input channel (times the multiplier)."""
    channels = check_int(channels, name="channels", low=1)
    depth_multiplier = check_int(depth_multiplier, name="depth_multiplier", low=1)
    return conv_params(in_channels=channels, out_channels=channels * depth_multiplier,
                       kernel_size=kernel_size, groups=channels, bias=bias)


def pointwise_params(*, in_channels: int, out_channels: int, bias: bool = True) -> int:
    """A 1x1 convolution: a dense layer applied at every pixel."""
    return conv_params(in_channels=in_channels, out_channels=out_channels, kernel_size=1, bias=bias)


def separable_params(*, in_channels: int, out_channels: int, kernel_size,
                     depth_multiplier: int = 1, bias: bool = True) -> int:
    """A depthwise-separable convolution: depthwise (no bias) then pointwise (with ``bias``)."""
    depthwise = depthwise_params(channels=in_channels, kernel_size=kernel_size,
                                 depth_multiplier=depth_multiplier, bias=False)
    return depthwise + pointwise_params(in_channels=in_channels * depth_multiplier,
                                        out_channels=out_channels, bias=bias)


def dense_params(*, in_features: int, out_features: int, bias: bool = True) -> int:
    """A fully connected layer: ``in_features * out_features`` weights plus ``out_features`` biases."""
    in_features = check_int(in_features, name="in_features", low=1)
    out_features = check_int(out_features, name="out_features", low=1)
    return in_features * out_features + (out_features if bias else 0)


def batchnorm_params(*, channels: int) -> int:
    """Learnable parameters of a batch normalisation: a scale and a shift per channel.

    The running mean and variance (two more per channel) are statistics, not learned; Keras'
    ``count_params()`` counts them too.
    """
    return 2 * check_int(channels, name="channels", low=1)
