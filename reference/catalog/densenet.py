"""DenseNet (Huang et al. 2016): growth rate 32, blocks of 6-12-24/32/48-16/32/32 layers.

Besides the catalog entries, this module holds the numbers in which torchvision's and
keras.applications' DenseNets differ (:data:`LAYOUTS`: only the BatchNorm constants) and the check
of the builder's options, shared by the PyTorch and the Keras builder so that both reject the same
input with the same message.

Both libraries end the convolutional base with the final BatchNorm *and* its ReLU (torchvision
applies that ReLU in ``forward``, after ``features``); cnnlab's bases end at the same point in both
frameworks, with the ReLU as ``features.relu5``.
"""

from __future__ import annotations

from typing import NamedTuple

from cnnlab.errors import UsageError

from .._validation import check_choice, check_int, is_int
from ._spec import ArchSpec, Fact, Variant


class Layout(NamedTuple):
    """What differs between torchvision's DenseNet and keras.applications' DenseNet."""

    #: BatchNorm epsilon and momentum in torch's convention (Keras momentum = 1 - this).
    bn_epsilon: float
    bn_momentum: float


LAYOUTS = {
    "torchvision": Layout(bn_epsilon=1e-5, bn_momentum=0.1),
    # keras.applications sets epsilon=1.001e-5 and keeps Keras' default momentum 0.99
    "keras": Layout(bn_epsilon=1.001e-5, bn_momentum=0.01),
}

#: Stem width, and the transition layers' compression (the paper's theta = 0.5).
NUM_INIT_FEATURES = 64
COMPRESSION = 0.5


def feature_channels(block_config, *, growth_rate=32, num_init_features=NUM_INIT_FEATURES):
    """Channels of the final feature map: each layer adds ``growth_rate``, transitions halve.

    Parameters
    ----------
    block_config : sequence of int
        Layers per dense block.
    growth_rate : int, default=32
        Channels each dense layer adds.
    num_init_features : int, default=64
        Channels of the stem convolution.

    Returns
    -------
    int
    """
    channels = num_init_features
    for index, num_layers in enumerate(block_config):
        channels += num_layers * growth_rate
        if index < len(block_config) - 1:
            channels = int(channels * COMPRESSION)
    return channels


def check_options(
    *,
    block_config,
    growth_rate,
    num_init_features,
    bn_size,
    layout,
    num_classes,
    input_size,
    in_channels,
):
    """Validate a DenseNet builder's options; return ``(block_config, Layout, (height, width))``.

    Parameters
    ----------
    block_config : sequence of 4 int
        Dense layers per block, e.g. ``(6, 12, 24, 16)`` for DenseNet-121.
    growth_rate : int
        Channels each dense layer adds (positive).
    num_init_features : int
        Channels of the stem convolution (positive).
    bn_size : int
        Width of each layer's 1x1 bottleneck, in multiples of ``growth_rate`` (positive).
    layout : {"torchvision", "keras"}
        Key of :data:`LAYOUTS`.
    num_classes : int
        Classifier width (positive).
    input_size : (int, int)
        Height and width, each at least 32.
    in_channels : int
        Input channels (positive).

    Returns
    -------
    block_config : tuple of int
    layout : Layout
    input_size : (int, int)

    Raises
    ------
    ValueError
        If any option is out of its range; the message names the option and the valid choices.
    """
    check_choice(layout, name="layout", choices=LAYOUTS)
    try:
        blocks = tuple(block_config)
        valid = len(blocks) == 4 and all(is_int(n) and n >= 1 for n in blocks)
    except TypeError:
        valid = False
    if not valid:
        raise UsageError(
            f"block_config must be 4 positive ints (layers per dense block); got {block_config!r}"
        )
    for option, value in (
        ("growth_rate", growth_rate),
        ("num_init_features", num_init_features),
        ("bn_size", bn_size),
        ("num_classes", num_classes),
        ("in_channels", in_channels),
    ):
        check_int(value, name=option, low=1)
    try:
        height, width = (int(side) for side in input_size)
    except (TypeError, ValueError):
        height = width = 0
    if min(height, width) < 32:
        raise UsageError(
            f"input_size must be a (height, width) pair, each at least 32; got {input_size!r}"
        )
    return blocks, LAYOUTS[layout], (height, width)


# name -> (block config, torchvision params, elements of torchvision's BatchNorm running means and
#          variances (Keras counts those as moving statistics), torchvision GMACs at 224x224
#          (``meta["_ops"]`` of the weight enums), keras.applications class, its total params
#          with / without top). keras.applications' trainable count equals torchvision's count,
#          with and without top: the two layouts differ only in BatchNorm epsilon and momentum.
# fmt: off
_TABLE = {
    "densenet121": ((6, 12, 24, 16), 7_978_856, 83_648, 2.834, "DenseNet121", 8_062_504, 7_037_504),
    "densenet169": (
        (6, 12, 32, 32), 14_149_480, 158_400, 3.36, "DenseNet169", 14_307_880, 12_642_880,
    ),
    "densenet201": (
        (6, 12, 48, 32), 20_013_928, 229_056, 4.291, "DenseNet201", 20_242_984, 18_321_984,
    ),
}
# fmt: on

ENTRIES = []
for _name, (_blocks, _tv, _tv_stats, _gmacs, _ka, _ka_total, _ka_base) in _TABLE.items():
    _width = feature_channels(_blocks)
    _fc = (_width + 1) * 1000  # the 1000-way classifier, weight and bias
    ENTRIES.append(
        ArchSpec(
            name=_name,
            family="densenet",
            builder="densenet",
            description=f"DenseNet-{_name[8:]} (blocks {'-'.join(map(str, _blocks))})",
            kwargs={"block_config": _blocks},
            input_size=(224, 224),
            min_input_size=32,
            base_channels=_width,
            base_side=7,
            variants={
                "default": Variant(
                    "default",
                    "torchvision's layout (BN epsilon 1e-5)",
                    params=Fact(_tv, "torchvision"),
                    keras_params=Fact(_tv + _tv_stats, "torchvision"),
                    base_params=Fact(_tv - _fc, "torchvision"),
                    base_keras_params=Fact(_tv + _tv_stats - _fc, "torchvision"),
                    gmacs=Fact(_gmacs, "torchvision"),
                    canonical=("torchvision", _name),
                ),
                "keras": Variant(
                    "keras",
                    "keras.applications' layout (BN epsilon 1.001e-5, Keras momentum 0.99)",
                    kwargs={"layout": "keras"},
                    params=Fact(_tv, "keras.applications"),
                    keras_params=Fact(_ka_total, "keras.applications"),
                    base_params=Fact(_tv - _fc, "keras.applications"),
                    base_keras_params=Fact(_ka_base, "keras.applications"),
                    canonical=("keras.applications", _ka),
                ),
            },
        )
    )
