"""ResNet (He et al. 2015): torchvision's v1.5 layout, and keras.applications' v1 with conv biases.

Besides the catalog entries, this module holds the numbers in which the two layouts differ
(:data:`LAYOUTS`) and the check of the builder's options, shared by the PyTorch and the Keras
builder so that both reject the same input with the same message.
"""

from __future__ import annotations

from typing import NamedTuple

from cnnlab.errors import UsageError

from .._validation import check_choice, check_int
from ._spec import ArchSpec, Fact, Variant


class Layout(NamedTuple):
    """What differs between torchvision's ResNet and keras.applications' ResNet (v1)."""

    #: Convolutions carry a bias (keras.applications' default ``use_bias=True``).
    conv_bias: bool
    #: BatchNorm epsilon and momentum in torch's convention (Keras momentum = 1 - this).
    bn_epsilon: float
    bn_momentum: float
    #: A bottleneck that downsamples puts its stride on the first 1x1 conv (v1) rather than on
    #: the 3x3 conv (v1.5, which torchvision calls "ResNet V1.5").
    stride_on_1x1: bool


LAYOUTS = {
    "torchvision": Layout(conv_bias=False, bn_epsilon=1e-5, bn_momentum=0.1, stride_on_1x1=False),
    "keras": Layout(conv_bias=True, bn_epsilon=1.001e-5, bn_momentum=0.01, stride_on_1x1=True),
}

#: Output channels of a block: the stage width times this.
EXPANSION = {"basic": 1, "bottleneck": 4}
#: Widths of the four stages (the paper's Table 1), and the stem's width.
STAGE_WIDTHS = (64, 128, 256, 512)
STEM_WIDTH = 64


def check_options(*, block, layers, layout, num_classes, input_size, in_channels):
    """Validate a ResNet builder's options; return ``(layers, Layout, (height, width))``.

    Parameters
    ----------
    block : {"basic", "bottleneck"}
        Residual block type.
    layers : sequence of 4 int
        Blocks per stage, e.g. ``(3, 4, 6, 3)``.
    layout : {"torchvision", "keras"}
        Key of :data:`LAYOUTS`; ``"keras"`` exists only for bottleneck blocks.
    num_classes : int
        Classifier width (positive).
    input_size : (int, int)
        Height and width, each at least 32.
    in_channels : int
        Input channels (positive).

    Returns
    -------
    layers : tuple of int
    layout : Layout
    input_size : (int, int)

    Raises
    ------
    ValueError
        If any option is out of its range; the message names the option and the valid choices.
    """
    check_choice(block, name="block", choices=EXPANSION)
    check_choice(layout, name="layout", choices=LAYOUTS)
    if layout == "keras" and block != "bottleneck":
        raise UsageError(
            "layout='keras' needs block='bottleneck' (ResNet-50/101/152): keras.applications "
            "has no ResNet-18 or ResNet-34"
        )
    try:
        layers = tuple(layers)
        valid = len(layers) == 4 and all(
            isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in layers
        )
    except TypeError:
        valid = False
    if not valid:
        raise UsageError(f"layers must be 4 positive ints (blocks per stage); got {layers!r}")
    check_int(num_classes, name="num_classes", low=1)
    check_int(in_channels, name="in_channels", low=1)
    try:
        height, width = (int(side) for side in input_size)
    except (TypeError, ValueError):
        height = width = 0
    if min(height, width) < 32:
        raise UsageError(
            f"input_size must be a (height, width) pair, each at least 32; got {input_size!r}"
        )
    return layers, LAYOUTS[layout], (height, width)


# name -> (block, layers, torchvision params, elements of torchvision's BatchNorm running means
#          and variances (Keras counts those, as moving statistics), torchvision GMACs at 224x224
#          (``meta["_ops"]`` of the weight enums), keras.applications class, its total params with /
#          without top, its trainable params with / without top). The torch build of the "keras"
#          layout has exactly Keras' trainable parameters.
_TABLE = {
    "resnet18": ("basic", (2, 2, 2, 2), 11_689_512, 9_600, 1.814, None, None, None, None, None),
    "resnet34": ("basic", (3, 4, 6, 3), 21_797_672, 17_024, 3.664, None, None, None, None, None),
    "resnet50": (
        "bottleneck", (3, 4, 6, 3), 25_557_032, 53_120, 4.089,
        "ResNet50", 25_636_712, 23_587_712, 25_583_592, 23_534_592,
    ),
    "resnet101": (
        "bottleneck", (3, 4, 23, 3), 44_549_160, 105_344, 7.801,
        "ResNet101", 44_707_176, 42_658_176, 44_601_832, 42_552_832,
    ),
    "resnet152": (
        "bottleneck", (3, 8, 36, 3), 60_192_808, 151_424, 11.514,
        "ResNet152", 60_419_944, 58_370_944, 60_268_520, 58_219_520,
    ),
}

ENTRIES = []
for _name, (_block, _layers, _tv, _tv_stats, _gmacs, _ka, *_ka_counts) in _TABLE.items():
    _width = STAGE_WIDTHS[-1] * EXPANSION[_block]
    _fc = (_width + 1) * 1000  # the 1000-way fc layer, weight and bias
    _variants = {
        "default": Variant(
            "default",
            "torchvision v1.5: stride on the 3x3 conv, no conv biases",
            params=Fact(_tv, "torchvision"),
            keras_params=Fact(_tv + _tv_stats, "torchvision"),
            base_params=Fact(_tv - _fc, "torchvision"),
            base_keras_params=Fact(_tv + _tv_stats - _fc, "torchvision"),
            gmacs=Fact(_gmacs, "torchvision"),
            canonical=("torchvision", _name),
        )
    }
    if _ka:
        _total, _base_total, _trainable, _base_trainable = _ka_counts
        _variants["keras"] = Variant(
            "keras",
            "keras.applications v1: stride on the first 1x1 conv, conv biases, BN epsilon 1.001e-5",
            kwargs={"layout": "keras"},
            params=Fact(_trainable, "keras.applications"),
            keras_params=Fact(_total, "keras.applications"),
            base_params=Fact(_base_trainable, "keras.applications"),
            base_keras_params=Fact(_base_total, "keras.applications"),
            canonical=("keras.applications", _ka),
        )
    ENTRIES.append(
        ArchSpec(
            name=_name,
            family="resnet",
            builder="resnet",
            description=f"ResNet-{_name[6:]} ({_block} blocks {'-'.join(map(str, _layers))})",
            kwargs={"block": _block, "layers": _layers},
            input_size=(224, 224),
            min_input_size=32,
            base_channels=_width,
            base_side=7,
            variants=_variants,
        )
    )
