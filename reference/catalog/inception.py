"""GoogLeNet (Inception v1, Szegedy et al. 2014) and Inception v3 (Szegedy et al. 2015).

Besides the catalog entries, this module holds what the PyTorch and the Keras builders share: the
layer tables of both networks (:data:`GOOGLENET_LAYERS`, :data:`INCEPTION_V3_LAYERS`), the
numbers in which torchvision's and keras.applications' Inception v3 differ (:data:`LAYOUTS`), and
the checks of the builders' options, so that both frameworks build the same network and reject the
same input with the same message.

Facts both torchvision networks share: every convolution is bias-free and followed by BatchNorm
with epsilon 1e-3 and a ReLU. GoogLeNet's max pools use ``ceil_mode=True``, and the branch the
paper calls "5x5" has a 3x3 kernel in torchvision (kept so that its checkpoint loads).
"""

from __future__ import annotations

from typing import NamedTuple

from cnnlab.errors import UsageError

from .._validation import check_choice, check_int, check_probability
from ._spec import ArchSpec, Fact, Variant


class Conv(NamedTuple):
    """A conv-BN-ReLU unit named ``<name>.conv`` / ``<name>.bn``."""

    name: str
    filters: int
    kernel_size: int
    stride: int = 1
    padding: int = 0


class MaxPool(NamedTuple):
    """A max pooling without weights."""

    name: str
    kernel_size: int
    stride: int
    ceil_mode: bool


class Block(NamedTuple):
    """An inception block: ``kind`` selects the builder, ``widths`` are its numbers."""

    name: str
    kind: str
    widths: tuple[int, ...]


#: GoogLeNet in order. A ``"googlenet"`` block's widths are the paper's Table 1 columns:
#: #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5 (a 3x3 kernel in torchvision), pool proj.
GOOGLENET_LAYERS = (
    Conv("conv1", 64, 7, stride=2, padding=3),
    MaxPool("maxpool1", 3, 2, ceil_mode=True),
    Conv("conv2", 64, 1),
    Conv("conv3", 192, 3, padding=1),
    MaxPool("maxpool2", 3, 2, ceil_mode=True),
    Block("inception3a", "googlenet", (64, 96, 128, 16, 32, 32)),
    Block("inception3b", "googlenet", (128, 128, 192, 32, 96, 64)),
    MaxPool("maxpool3", 3, 2, ceil_mode=True),
    Block("inception4a", "googlenet", (192, 96, 208, 16, 48, 64)),
    Block("inception4b", "googlenet", (160, 112, 224, 24, 64, 64)),
    Block("inception4c", "googlenet", (128, 128, 256, 24, 64, 64)),
    Block("inception4d", "googlenet", (112, 144, 288, 32, 64, 64)),
    Block("inception4e", "googlenet", (256, 160, 320, 32, 128, 128)),
    MaxPool("maxpool4", 2, 2, ceil_mode=True),
    Block("inception5a", "googlenet", (256, 160, 320, 32, 128, 128)),
    Block("inception5b", "googlenet", (384, 192, 384, 48, 128, 128)),
)
#: GoogLeNet's auxiliary classifiers: name -> the block whose output each one reads.
GOOGLENET_AUX = {"aux1": "inception4a", "aux2": "inception4d"}
GOOGLENET_BN_EPSILON = 1e-3
GOOGLENET_BN_MOMENTUM = 0.1  # torch's convention; Keras momentum = 1 - this


class GoogLeNetLayout(NamedTuple):
    """How a GoogLeNet layout builds its convolutions and its "5x5" branch."""

    #: Every convolution is bias-free and followed by BatchNorm (torchvision), or has a bias and
    #: no normalisation (the paper, 2014, before BatchNorm existed).
    batch_norm: bool
    #: Kernel of the third branch's second convolution (the paper's "5x5").
    branch3_kernel: int
    #: Dropout before ``fc`` when the caller does not choose one.
    dropout: float


#: ``"torchvision"``: torchvision's layout (its checkpoint loads; the "5x5" branch is a 3x3).
#: ``"paper"``: Szegedy et al. 2014 as the paper and the lectures draw it: a true 5x5 branch,
#: convolutions with biases, no BatchNorm, 40% dropout. The paper's local response normalisation
#: after the stem is left out (Keras 3 has no LRN layer; it has no parameters).
GOOGLENET_LAYOUTS = {
    "torchvision": GoogLeNetLayout(batch_norm=True, branch3_kernel=3, dropout=0.2),
    "paper": GoogLeNetLayout(batch_norm=False, branch3_kernel=5, dropout=0.4),
}

#: Inception v3 in order (torchvision's module names, which follow the TF-slim scopes). Block
#: kinds are the paper's Figures 5, 6 and 7 (A, C, E) and the two grid reductions (B, D); the one
#: width of an "A" block is its pool projection, of a "C" block its 7x7 branches' width.
INCEPTION_V3_LAYERS = (
    Conv("Conv2d_1a_3x3", 32, 3, stride=2),
    Conv("Conv2d_2a_3x3", 32, 3),
    Conv("Conv2d_2b_3x3", 64, 3, padding=1),
    MaxPool("maxpool1", 3, 2, ceil_mode=False),
    Conv("Conv2d_3b_1x1", 80, 1),
    Conv("Conv2d_4a_3x3", 192, 3),
    MaxPool("maxpool2", 3, 2, ceil_mode=False),
    Block("Mixed_5b", "A", (32,)),
    Block("Mixed_5c", "A", (64,)),
    Block("Mixed_5d", "A", (64,)),
    Block("Mixed_6a", "B", ()),
    Block("Mixed_6b", "C", (128,)),
    Block("Mixed_6c", "C", (160,)),
    Block("Mixed_6d", "C", (160,)),
    Block("Mixed_6e", "C", (192,)),
    Block("Mixed_7a", "D", ()),
    Block("Mixed_7b", "E", ()),
    Block("Mixed_7c", "E", ()),
)
#: The block whose output Inception v3's auxiliary classifier (``AuxLogits``) reads.
INCEPTION_V3_AUX_AFTER = "Mixed_6e"
#: The auxiliary classifier opens with a 5x5/3 average pool and a 5x5 valid convolution, so the
#: map it reads must be at least 17x17 (299x299 inputs and up).
INCEPTION_V3_AUX_MIN_SIDE = 17


class Layout(NamedTuple):
    """What differs between torchvision's Inception v3 and keras.applications' InceptionV3."""

    #: BatchNorm epsilon and momentum in torch's convention (Keras momentum = 1 - this).
    bn_epsilon: float
    bn_momentum: float
    #: BatchNorm learns a scale (gamma); keras.applications builds it with ``scale=False``.
    bn_scale: bool
    #: The blocks' 3x3/1 average pools count the zero padding at the border (torch's
    #: ``count_include_pad=True``); Keras' ``'same'`` pooling averages only the real pixels.
    pool_counts_padding: bool
    #: Dropout before the classifier when the caller does not choose one.
    dropout: float
    #: The layout has an auxiliary classifier to offer.
    aux: bool


LAYOUTS = {
    "torchvision": Layout(
        bn_epsilon=1e-3,
        bn_momentum=0.1,
        bn_scale=True,
        pool_counts_padding=True,
        dropout=0.5,
        aux=True,
    ),
    # keras.applications: BatchNormalization(scale=False) with Keras' defaults (epsilon 1e-3,
    # momentum 0.99), AveragePooling2D(padding="same"), no dropout before "predictions", no aux.
    "keras": Layout(
        bn_epsilon=1e-3,
        bn_momentum=0.01,
        bn_scale=False,
        pool_counts_padding=False,
        dropout=0.0,
        aux=False,
    ),
}


def _check_common(*, aux_logits, num_classes, in_channels, input_size, min_side):
    if not isinstance(aux_logits, bool):
        raise UsageError(f"aux_logits must be True or False; got {aux_logits!r}")
    for option, value in (("num_classes", num_classes), ("in_channels", in_channels)):
        check_int(value, name=option, low=1)
    try:
        size = tuple(int(side) for side in input_size)
    except (TypeError, ValueError):
        size = ()
    if len(size) != 2 or min(size) < min_side:
        raise UsageError(
            f"input_size must be a (height, width) pair, each at least {min_side}; "
            f"got {input_size!r}"
        )
    return size


def check_googlenet_options(
    *, aux_logits, num_classes, input_size, in_channels, dropout, dropout_aux, layout="torchvision"
):
    """Validate a GoogLeNet builder's options; return ``(GoogLeNetLayout, dropout, (h, w))``.

    Parameters
    ----------
    layout : {"torchvision", "paper"}
        Key of :data:`GOOGLENET_LAYOUTS`.
    aux_logits : bool
        Whether to build the two auxiliary classifiers.
    num_classes : int
        Classifier width (positive).
    input_size : (int, int)
        Height and width, each at least 32.
    in_channels : int
        Input channels (positive).
    dropout : float or None
        Dropout probability in [0, 1) before ``fc``; None takes the layout's (0.2 / 0.4).
    dropout_aux : float
        Dropout probability in [0, 1) before the auxiliary classifiers' last layer.

    Returns
    -------
    layout : GoogLeNetLayout
    dropout : float
    input_size : (int, int)

    Raises
    ------
    ValueError
        If any option is out of its range; the message names the option and the valid choices.
    """
    size = _check_common(
        aux_logits=aux_logits,
        num_classes=num_classes,
        in_channels=in_channels,
        input_size=input_size,
        min_side=32,
    )
    check_choice(layout, name="layout", choices=GOOGLENET_LAYOUTS)
    spec = GOOGLENET_LAYOUTS[layout]
    dropout = check_probability(
        spec.dropout if dropout is None else dropout, name="dropout", include_one=False
    )
    check_probability(dropout_aux, name="dropout_aux", include_one=False)
    return spec, dropout, size


def inception_v3_sides(side):
    """Side of Inception v3's map after ``Mixed_6e`` and after ``Mixed_7c`` for an input side.

    Parameters
    ----------
    side : int
        Input height or width.

    Returns
    -------
    (int, int)
        17 and 8 for 299; a side below 1 means the network cannot take the input.
    """

    def shrink(size, kernel_size, stride):
        return (size - kernel_size) // stride + 1

    sides = {}
    for layer in INCEPTION_V3_LAYERS:
        if isinstance(layer, Conv):
            side = shrink(side + 2 * layer.padding, layer.kernel_size, layer.stride)
        elif isinstance(layer, MaxPool) or layer.kind in ("B", "D"):
            side = shrink(side, 3, 2)  # the grid reductions: 3x3/2 valid convs and max pool
        sides[layer.name] = side
    return sides[INCEPTION_V3_AUX_AFTER], side


def check_inception_v3_options(
    *, aux_logits, layout, num_classes, input_size, in_channels, dropout
):
    """Validate an Inception v3 builder's options; return ``(Layout, dropout, (height, width))``.

    Parameters
    ----------
    aux_logits : bool
        Whether to build the auxiliary classifier; only ``layout="torchvision"`` has one, and it
        needs inputs of at least 299x299.
    layout : {"torchvision", "keras"}
        Key of :data:`LAYOUTS`.
    num_classes : int
        Classifier width (positive).
    input_size : (int, int)
        Height and width, each at least 75.
    in_channels : int
        Input channels (positive).
    dropout : float or None
        Dropout probability before the classifier, in [0, 1); None takes the layout's
        (0.5 for torchvision, 0 for keras.applications).

    Returns
    -------
    layout : Layout
    dropout : float
    input_size : (int, int)

    Raises
    ------
    ValueError
        If any option is out of its range; the message names the option and the valid choices.
    """
    check_choice(layout, name="layout", choices=LAYOUTS)
    spec = LAYOUTS[layout]
    size = _check_common(
        aux_logits=aux_logits,
        num_classes=num_classes,
        in_channels=in_channels,
        input_size=input_size,
        min_side=75,
    )
    dropout = check_probability(
        spec.dropout if dropout is None else dropout, name="dropout", include_one=False
    )
    if aux_logits and not spec.aux:
        raise UsageError(
            f"aux_logits=True needs layout='torchvision'; layout={layout!r} "
            "(keras.applications' InceptionV3) has no auxiliary classifier"
        )
    if aux_logits and min(inception_v3_sides(side)[0] for side in size) < INCEPTION_V3_AUX_MIN_SIDE:
        raise UsageError(
            "aux_logits=True needs input_size of at least 299x299 (the auxiliary classifier reads "
            f"a map of at least {INCEPTION_V3_AUX_MIN_SIDE}x{INCEPTION_V3_AUX_MIN_SIDE}); "
            f"got {size[0]}x{size[1]}"
        )
    return spec, dropout, size


# Counts: torchvision 0.29 and keras.applications (Keras 3.15) with weights=None. Keras also counts
# BatchNorm moving means and variances; for torchvision's layout those are the elements of
# torchvision's running_mean and running_var buffers. With include_top=False the builders drop the
# classifier and the auxiliary classifiers, so every variant's base is its default's base.
_FC = {"googlenet": (1024 + 1) * 1000, "inception_v3": (2048 + 1) * 1000}
# (torchvision params, BN running-stat elements) without / with auxiliary classifiers
_GOOGLENET = {"default": (6_624_904, 14_560), "aux": (13_004_888, 15_072)}
_GOOGLENET_PAPER = 6_998_552
_INCEPTION_V3 = {"default": (23_834_568, 34_432), "aux": (27_161_264, 36_224)}
# keras.applications.InceptionV3: total and trainable params, with / without top. Its BN has no
# gamma, so the torch build of the "keras" layout has exactly the trainable count.
_KERAS_INCEPTION_V3 = {
    "total": 23_851_784,
    "base_total": 21_802_784,
    "trainable": 23_817_352,
    "base_trainable": 21_768_352,
}


def _torchvision_counts(name, table, variant):
    """Params, Keras params, and the same without top, all from torchvision's model."""
    params, stats = table[variant]
    base, base_stats = table["default"]
    base -= _FC[name]
    return {
        "params": Fact(params, "torchvision"),
        "keras_params": Fact(params + stats, "torchvision"),
        "base_params": Fact(base, "torchvision"),
        "base_keras_params": Fact(base + base_stats, "torchvision"),
    }


ENTRIES = [
    ArchSpec(
        name="googlenet",
        family="googlenet",
        builder="googlenet",
        description="GoogLeNet / Inception v1 as torchvision builds it (BN after every conv)",
        input_size=(224, 224),
        min_input_size=32,
        base_channels=1024,
        base_side=7,
        variants={
            "default": Variant(
                "default",
                "no auxiliary classifiers",
                **_torchvision_counts("googlenet", _GOOGLENET, "default"),
                gmacs=Fact(1.498, "torchvision"),
                canonical=("torchvision", "googlenet"),
            ),
            "aux": Variant(
                "aux",
                "with the two auxiliary classifiers (outputs in training mode)",
                kwargs={"aux_logits": True},
                **_torchvision_counts("googlenet", _GOOGLENET, "aux"),
                canonical=("torchvision", "googlenet"),
            ),
            "paper": Variant(
                "paper",
                "as the paper and the lectures draw it: a true 5x5 branch, convolutions with "
                "biases, no BatchNorm (nor the paper's LRN), dropout 0.4",
                kwargs={"layout": "paper"},
                # Table 1 of Szegedy et al. 2014's widths, every conv with a bias: stem 9,472 +
                # 4,160 + 110,784; blocks 3a 163,696 ... 5b 1,444,080; fc 1,025,000; 6,998,552 in
                # all (tests/models/test_googlenet.py recomputes each block from the widths)
                params=Fact(_GOOGLENET_PAPER, "paper"),
                keras_params=Fact(_GOOGLENET_PAPER, "paper"),
                base_params=Fact(_GOOGLENET_PAPER - _FC["googlenet"], "paper"),
                base_keras_params=Fact(_GOOGLENET_PAPER - _FC["googlenet"], "paper"),
            ),
        },
    ),
    ArchSpec(
        name="inception_v3",
        family="inception",
        builder="inception_v3",
        description="Inception v3 as torchvision builds it",
        input_size=(299, 299),
        min_input_size=75,
        base_channels=2048,
        base_side=8,
        variants={
            "default": Variant(
                "default",
                "torchvision's layout, no auxiliary classifier",
                **_torchvision_counts("inception_v3", _INCEPTION_V3, "default"),
                gmacs=Fact(5.713, "torchvision"),
                canonical=("torchvision", "inception_v3"),
            ),
            "aux": Variant(
                "aux",
                "with the auxiliary classifier (output in training mode; inputs from 299x299)",
                kwargs={"aux_logits": True},
                **_torchvision_counts("inception_v3", _INCEPTION_V3, "aux"),
                canonical=("torchvision", "inception_v3"),
            ),
            "keras": Variant(
                "keras",
                "keras.applications' layout: BN without scale (gamma), Keras momentum 0.99, "
                "average pools that skip the padding, no dropout",
                kwargs={"layout": "keras"},
                params=Fact(_KERAS_INCEPTION_V3["trainable"], "keras.applications"),
                keras_params=Fact(_KERAS_INCEPTION_V3["total"], "keras.applications"),
                base_params=Fact(_KERAS_INCEPTION_V3["base_trainable"], "keras.applications"),
                base_keras_params=Fact(_KERAS_INCEPTION_V3["base_total"], "keras.applications"),
                canonical=("keras.applications", "InceptionV3"),
            ),
        },
    ),
]
