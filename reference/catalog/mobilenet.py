"""MobileNetV2 (Sandler et al. 2018): inverted residuals with linear bottlenecks.

Besides the catalog entry, this module holds the paper's table of stages
(:data:`INVERTED_RESIDUAL_SETTING`), the numbers in which torchvision's and keras.applications'
MobileNetV2 differ (:data:`LAYOUTS`), and :func:`check_options`, which validates a builder's
options and returns the network's plan: every block's channels, stride and padding. The PyTorch
and the Keras builder both build from that plan, so they cannot disagree on a width.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import NamedTuple

from cnnlab.errors import UsageError

from .._validation import check_choice, check_int, check_probability
from ._spec import ArchSpec, Fact, Variant

#: The paper's Table 2: expansion factor t, output channels c, repeats n, first stride s.
INVERTED_RESIDUAL_SETTING = (
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)
#: Channels of the stem convolution and of the last 1x1 convolution, before width scaling.
STEM_WIDTH = 32
HEAD_WIDTH = 1280
#: Every scaled width is rounded to a multiple of this.
CHANNEL_DIVISOR = 8


class Layout(NamedTuple):
    """What differs between torchvision's MobileNetV2 and keras.applications' MobileNetV2."""

    #: BatchNorm epsilon and momentum in torch's convention (Keras momentum = 1 - this).
    bn_epsilon: float
    bn_momentum: float
    #: Stride-2 convolutions pad as TensorFlow's ``'same'``: an even side gets one row/column of
    #: zeros at the bottom/right only, an odd side one on each side. Otherwise one on each side.
    same_padding: bool
    #: keras.applications truncates ``channels * width_mult`` to an int before rounding it.
    truncate_width: bool
    #: Dropout before the classifier when the caller does not choose one.
    dropout: float


LAYOUTS = {
    "torchvision": Layout(
        bn_epsilon=1e-5, bn_momentum=0.1, same_padding=False, truncate_width=False, dropout=0.2
    ),
    # keras.applications: epsilon 1e-3, Keras momentum 0.999, no dropout before "predictions"
    "keras": Layout(
        bn_epsilon=1e-3, bn_momentum=0.001, same_padding=True, truncate_width=True, dropout=0.0
    ),
}


class Block(NamedTuple):
    """One inverted residual block, at ``features.<index>``."""

    index: int
    in_channels: int
    #: Channels of the depthwise convolution: ``in_channels * t``.
    hidden: int
    out_channels: int
    stride: int
    #: A 1x1 expansion convolution comes first (t > 1).
    expand: bool
    #: The input is added to the output (stride 1 and unchanged width).
    residual: bool
    #: Explicit ``((top, bottom), (left, right))`` zero padding before the depthwise convolution,
    #: or None for torch's symmetric ``padding=1``.
    pad: tuple | None


class Plan(NamedTuple):
    """Everything a builder needs: the validated options and each layer's size."""

    layout: Layout
    input_size: tuple[int, int]
    in_channels: int
    stem_channels: int
    #: Explicit padding before the stride-2 stem convolution, or None (symmetric ``padding=1``).
    stem_pad: tuple | None
    blocks: tuple[Block, ...]
    head_channels: int
    num_classes: int
    include_top: bool
    dropout: float


def make_divisible(value, divisor=CHANNEL_DIVISOR):
    """Round ``value`` to the nearest multiple of ``divisor``, at least ``divisor``.

    A rounding that would lose more than 10% of ``value`` goes up one ``divisor`` instead (the
    rule of the MobileNet reference implementations, which torchvision and keras.applications
    share).

    Parameters
    ----------
    value : float
        A scaled channel count.
    divisor : int, default=8

    Returns
    -------
    int
    """
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def same_pad(size, kernel_size=3, stride=2):
    """``(before, after)`` zero padding of TensorFlow's ``'same'`` for one spatial side.

    Parameters
    ----------
    size : int
        Input side.
    kernel_size : int, default=3
    stride : int, default=2

    Returns
    -------
    (int, int)
        The extra row (column), when the total is odd, goes after: at the bottom (right).
    """
    total = max((math.ceil(size / stride) - 1) * stride + kernel_size - size, 0)
    return total // 2, total - total // 2


def _side_after(size, pad, kernel_size=3, stride=2):
    return (size + pad[0] + pad[1] - kernel_size) // stride + 1


def _pad_and_shrink(size, layout, stride):
    """Padding before a 3x3 conv of this stride, and the spatial size after it."""
    if stride == 1 or not layout.same_padding:
        return None, tuple(_side_after(side, (1, 1), stride=stride) for side in size)
    pad = tuple(same_pad(side) for side in size)
    return pad, tuple(_side_after(side, p) for side, p in zip(size, pad, strict=True))


def check_options(
    *, width_mult, layout, num_classes, include_top, input_size, in_channels, dropout
):
    """Validate a MobileNetV2 builder's options and plan the network.

    Parameters
    ----------
    width_mult : float
        Width multiplier alpha (positive); 1.0 is the paper's network.
    layout : {"torchvision", "keras"}
        Key of :data:`LAYOUTS`.
    num_classes : int
        Classifier width (positive).
    include_top : bool
        Whether the plan has the classifier.
    input_size : (int, int)
        Height and width, each at least 32. The ``"keras"`` layout's padding depends on it.
    in_channels : int
        Input channels (positive).
    dropout : float or None
        Dropout probability before the classifier, in [0, 1); None takes the layout's
        (0.2 for torchvision, 0 for keras.applications).

    Returns
    -------
    Plan

    Raises
    ------
    ValueError
        If any option is out of its range; the message names the option and the valid choices.
    """
    check_choice(layout, name="layout", choices=LAYOUTS)
    spec = LAYOUTS[layout]
    if not isinstance(width_mult, Real) or isinstance(width_mult, bool) or not width_mult > 0:
        raise UsageError(f"width_mult must be a positive number; got {width_mult!r}")
    for option, value in (("num_classes", num_classes), ("in_channels", in_channels)):
        check_int(value, name=option, low=1)
    if dropout is None:
        dropout = spec.dropout
    dropout = check_probability(dropout, name="dropout", include_one=False)
    try:
        size = tuple(int(side) for side in input_size)
    except (TypeError, ValueError):
        size = ()
    if len(size) != 2 or min(size) < 32:
        raise UsageError(
            f"input_size must be a (height, width) pair, each at least 32; got {input_size!r}"
        )

    def scaled(channels):
        value = channels * width_mult
        return make_divisible(int(value) if spec.truncate_width else value)

    stem_channels = make_divisible(STEM_WIDTH * width_mult)
    stem_pad, side = _pad_and_shrink(size, spec, 2)
    blocks, channels = [], stem_channels
    for t, c, n, s in INVERTED_RESIDUAL_SETTING:
        out_channels = scaled(c)
        for repeat in range(n):
            stride = s if repeat == 0 else 1
            pad, side = _pad_and_shrink(side, spec, stride)
            blocks.append(
                Block(
                    index=len(blocks) + 1,
                    in_channels=channels,
                    hidden=channels * t,
                    out_channels=out_channels,
                    stride=stride,
                    expand=t != 1,
                    residual=stride == 1 and channels == out_channels,
                    pad=pad,
                )
            )
            channels = out_channels
    # the paper keeps the last conv at 1280 for width multipliers below 1
    head_channels = make_divisible(HEAD_WIDTH * max(1.0, width_mult))
    return Plan(
        layout=spec,
        input_size=size,
        in_channels=in_channels,
        stem_channels=stem_channels,
        stem_pad=stem_pad,
        blocks=tuple(blocks),
        head_channels=head_channels,
        num_classes=num_classes,
        include_top=bool(include_top),
        dropout=float(dropout),
    )


# torchvision 0.29: params, elements of the BatchNorm running means and variances (Keras counts
# those as moving statistics), GMACs at 224x224 (``meta["_ops"]`` of the weight enum).
_TV_PARAMS, _TV_STATS, _TV_GMACS = 3_504_872, 34_112, 0.301
# keras.applications.MobileNetV2(weights=None): total with / without top; its trainable counts
# equal torchvision's (no conv biases in either, and the same widths at width 1.0).
_KA_TOTAL, _KA_BASE = 3_538_984, 2_257_984
_FC = (HEAD_WIDTH + 1) * 1000  # the 1000-way classifier, weight and bias

ENTRIES = [
    ArchSpec(
        name="mobilenet_v2",
        family="mobilenet",
        builder="mobilenet_v2",
        description="MobileNetV2, width multiplier 1.0",
        input_size=(224, 224),
        min_input_size=32,
        base_channels=HEAD_WIDTH,
        base_side=7,
        variants={
            "default": Variant(
                "default",
                "torchvision's layout: symmetric padding, BN epsilon 1e-5",
                params=Fact(_TV_PARAMS, "torchvision"),
                keras_params=Fact(_TV_PARAMS + _TV_STATS, "torchvision"),
                base_params=Fact(_TV_PARAMS - _FC, "torchvision"),
                base_keras_params=Fact(_TV_PARAMS + _TV_STATS - _FC, "torchvision"),
                gmacs=Fact(_TV_GMACS, "torchvision"),
                canonical=("torchvision", "mobilenet_v2"),
            ),
            "keras": Variant(
                "keras",
                "keras.applications' layout: bottom/right padding on stride 2, BN epsilon 1e-3",
                kwargs={"layout": "keras"},
                params=Fact(_TV_PARAMS, "keras.applications"),
                keras_params=Fact(_KA_TOTAL, "keras.applications"),
                base_params=Fact(_TV_PARAMS - _FC, "keras.applications"),
                base_keras_params=Fact(_KA_BASE, "keras.applications"),
                canonical=("keras.applications", "MobileNetV2"),
            ),
        },
    ),
]
