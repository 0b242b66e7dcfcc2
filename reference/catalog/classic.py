"""LeNet-5, the two small course CNNs, AlexNet (lecture and torchvision layouts) and ZFNet.

Besides the catalog entries, this module holds the framework-free layer tables and size checks
that the PyTorch and the Keras builders share, so that both twins are built from one table and
reject the same inputs with the same message.

Layer tables have one row per layer, ``(filters, kernel, stride, padding)``; ``filters`` is an int
for a convolution (followed by its activation) or ``"M"`` / ``"A"`` for a max / average pooling.
"""

from __future__ import annotations

from cnnlab.errors import UsageError

from ._spec import ArchSpec, Fact, Variant

#: LeNet-5's feature extractor (C1, S2, C3, S4): 32 -> 28 -> 14 -> 10 -> 5.
LENET5_LAYERS = ((6, 5, 1, 0), ("A", 2, 2, 0), (16, 5, 1, 0), ("A", 2, 2, 0))

#: LeNet-5 layouts: name -> (activation, pooling). "paper" is LeCun et al. 1998 (tanh, average
#: subsampling); "relu_max" is the layout of the lecture's PyTorch code (Unit 5): ReLU and 2x2 max
#: pooling, the same layers and the same 61,706 parameters.
LENET5_LAYOUTS = {"paper": ("tanh", "avg"), "relu_max": ("relu", "max")}

#: The course CNNs' feature extractor: 28 -> 26 -> 13 (MNIST), 32 -> 30 -> 15 (CIFAR).
COURSE_LAYERS = ((32, 3, 1, 0), ("M", 2, 2, 0))

#: The course CNN of the exam question (Unit 5, "model design"): three stages of a valid 3x3
#: convolution + ReLU and a 2x2 max pooling on 224x224x3: 224 -> 222 -> 111 -> 109 -> 54 -> 52 -> 26.
EXAM_LAYERS = (
    (32, 3, 1, 0), ("M", 2, 2, 0), (64, 3, 1, 0), ("M", 2, 2, 0), (128, 3, 1, 0), ("M", 2, 2, 0),
)

#: Course CNN configurations: name -> (layer table, dense width, dropout before the output).
COURSE_CFGS = {"course": (COURSE_LAYERS, 64, 0.0), "exam": (EXAM_LAYERS, 128, 0.5)}


def lenet5_layout(layout: str) -> tuple[str, str]:
    """``(activation, pooling)`` of a LeNet-5 ``layout``; a ``ValueError`` listing the choices."""
    if layout not in LENET5_LAYOUTS:
        raise UsageError(f"layout must be one of {', '.join(map(repr, LENET5_LAYOUTS))}; got {layout!r}")
    return LENET5_LAYOUTS[layout]


def course_cfg(cfg: str) -> tuple:
    """``(layers, dense width, dropout)`` of a course CNN ``cfg``; a ``ValueError`` if unknown."""
    if cfg not in COURSE_CFGS:
        raise UsageError(f"cfg must be one of {', '.join(map(repr, COURSE_CFGS))}; got {cfg!r}")
    return COURSE_CFGS[cfg]

#: AlexNet-family feature extractors. Sides at a 224 input are in the comments, from
#: ``(side + 2 * padding - kernel) // stride + 1``.
ALEXNET_CFGS = {
    # Krizhevsky et al. 2012, both towers merged: 55-27-27-13-13-13-13-6.
    "alexnet": (
        (96, 11, 4, 2),  # (224 + 4 - 11) // 4 + 1 = 55
        ("M", 3, 2, 0),  # 27
        (256, 5, 1, 2),  # 27
        ("M", 3, 2, 0),  # 13
        (384, 3, 1, 1),
        (384, 3, 1, 1),
        (256, 3, 1, 1),  # 13
        ("M", 3, 2, 0),  # 6
    ),
    # torchvision's AlexNet (Krizhevsky 2014, "One weird trick"): same sides, fewer filters.
    "alexnet_tv": (
        (64, 11, 4, 2),
        ("M", 3, 2, 0),
        (192, 5, 1, 2),
        ("M", 3, 2, 0),
        (384, 3, 1, 1),
        (256, 3, 1, 1),
        (256, 3, 1, 1),
        ("M", 3, 2, 0),
    ),
    # Zeiler and Fergus 2013, Fig. 3: 110-55-26-13-13-13-13-6. The paper gives the sides, not
    # the paddings; these are the only symmetric paddings that reproduce them.
    "zfnet": (
        (96, 7, 2, 1),  # (224 + 2 - 7) // 2 + 1 = 110 (padding 0 gives 109)
        ("M", 3, 2, 1),  # (110 + 2 - 3) // 2 + 1 = 55 (padding 0 gives 54)
        (256, 5, 2, 0),  # (55 - 5) // 2 + 1 = 26 (padding 1 gives 27)
        ("M", 3, 2, 1),  # (26 + 2 - 3) // 2 + 1 = 13 (padding 0 gives 12)
        (384, 3, 1, 1),
        (384, 3, 1, 1),
        (256, 3, 1, 1),  # 13
        ("M", 3, 2, 0),  # (13 - 3) // 2 + 1 = 6
    ),
}


def alexnet_layers(cfg: str) -> tuple:
    """The layer table of an AlexNet-family ``cfg``; a ``ValueError`` listing the choices if none."""
    try:
        return ALEXNET_CFGS[cfg]
    except (KeyError, TypeError):
        raise UsageError(f"unknown cfg {cfg!r}; valid cfgs: {', '.join(ALEXNET_CFGS)}") from None


def _side(layers, side: int) -> int:
    for _, kernel, stride, padding in layers:
        side = (side + 2 * padding - kernel) // stride + 1
        if side < 1:
            return 0
    return side


def feature_size(
    arch: str,
    layers,
    input_size: tuple[int, int],
    *,
    expected: int | None = None,
) -> tuple[int, int]:
    """Height and width of the last feature map of ``layers`` for an ``input_size`` input.

    Parameters
    ----------
    arch : str
        Architecture name, used in the error messages.
    layers : sequence of (filters, kernel, stride, padding)
        A layer table (see the module docstring); floor arithmetic, as torch and Keras ``"valid"``.
    input_size : (int, int)
        Input height and width.
    expected : int, optional
        Side the classifier needs (a Flatten before a Dense); None accepts any size.

    Returns
    -------
    (int, int)
        Height and width of the feature map.

    Raises
    ------
    ValueError
        If ``input_size`` is not a pair of positive ints, if a layer would output an empty map
        (the message gives the smallest side), or if the map is not ``expected`` x ``expected``.
    """
    try:
        height, width = (int(v) for v in input_size)
    except (TypeError, ValueError):
        raise UsageError(
            f"input_size for {arch!r} must be a (height, width) pair, got {input_size!r}"
        ) from None
    out = (_side(layers, height), _side(layers, width))
    if min(out) < 1:
        smallest = next(s for s in range(1, 10_000) if _side(layers, s) >= 1)
        raise UsageError(
            f"input_size {height}x{width} is too small for {arch}: "
            f"each side must be at least {smallest}"
        )
    if expected is not None and out != (expected, expected):
        raise UsageError(
            f"{arch} with include_top=True needs a {expected}x{expected} feature map before its "
            f"classifier; a {height}x{width} input gives {out[0]}x{out[1]}. "
            "Use the default input size, or include_top=False for other sizes."
        )
    return out



# Multiply-accumulates (MACs) of convolutions and dense layers, biases and pooling not counted
# (torchvision's `_ops` convention), as output pixels x filters x (in channels x kernel area).
# LeNet-5: 28²·6·25 + 10²·16·150 + 400·120 + 120·84 + 84·10 = 416,520.
# course_mnist: 26²·32·9 + 5408·64 + 64·10 = 541,440; course_cifar: 30²·32·27 + 7200·64 + 640
# = 1,239,040. AlexNet: 55²·96·363 + 27²·256·2400 + 13²·384·2304 + 13²·384·3456 + 13²·256·3456
# + 9216·4096 + 4096·4096 + 4096·1000 = 1,135,256,096. ZFNet: 110²·96·147 + 26²·256·2400 + the
# same conv3-5 and classifier = 1,168,032,896.

ENTRIES = [
    ArchSpec(
        name="lenet5",
        family="lenet",
        builder="lenet5",
        description="LeNet-5 (LeCun et al. 1998): conv 6 and 16 (5x5), pools, dense 120-84-10",
        input_size=(32, 32),
        in_channels=1,
        num_classes=10,
        fixed_input_size=True,
        min_input_size=16,  # ((16 - 4) // 2 - 4) // 2 = 1
        base_channels=16,
        base_side=5,
        variants={
            "default": Variant(
                "default",
                "tanh activations, average pooling, as in the paper's layer table",
                # 156 + 2,416 (C3 fully connected) + 48,120 + 10,164 + 850
                params=Fact(61_706, "paper"),
                keras_params=Fact(61_706, "paper"),
                base_params=Fact(2_572, "paper"),
                base_keras_params=Fact(2_572, "paper"),
                gmacs=Fact(0.00041652, "paper"),
            ),
            "relu_max": Variant(
                "relu_max",
                "ReLU activations and 2x2 max pooling, the layout of the lecture's PyTorch code "
                "(Unit 5); same layers, same parameters",
                kwargs={"layout": "relu_max"},
                params=Fact(61_706, "paper"),
                keras_params=Fact(61_706, "paper"),
                base_params=Fact(2_572, "paper"),
                base_keras_params=Fact(2_572, "paper"),
                gmacs=Fact(0.00041652, "paper"),
            ),
        },
    ),
    ArchSpec(
        name="course_mnist",
        family="course",
        builder="course_cnn",
        description="course CNN for 28x28x1: Conv32(3x3)-MaxPool-Flatten-Dense64-Dense10",
        input_size=(28, 28),
        in_channels=1,
        num_classes=10,
        fixed_input_size=True,
        min_input_size=4,  # (4 - 2) // 2 = 1
        base_channels=32,
        base_side=13,
        variants={
            "default": Variant(
                "default",
                "valid 3x3 convolution, 2x2 max pooling",
                # 32·9 + 32 = 320; 13·13·32 = 5,408 -> 5,408·64 + 64 = 346,176; 64·10 + 10 = 650
                params=Fact(347_146, "paper"),
                keras_params=Fact(347_146, "paper"),
                base_params=Fact(320, "paper"),
                base_keras_params=Fact(320, "paper"),
                gmacs=Fact(0.00054144, "paper"),
            ),
        },
    ),
    ArchSpec(
        name="course_cifar",
        family="course",
        builder="course_cnn",
        description="course CNN for 32x32x3: Conv32(3x3)-MaxPool-Flatten-Dense64-Dense10",
        input_size=(32, 32),
        in_channels=3,
        num_classes=10,
        fixed_input_size=True,
        min_input_size=4,
        base_channels=32,
        base_side=15,
        variants={
            "default": Variant(
                "default",
                "valid 3x3 convolution, 2x2 max pooling",
                # 32·27 + 32 = 896; 15·15·32 = 7,200 -> 7,200·64 + 64 = 460,864; 650
                params=Fact(462_410, "paper"),
                keras_params=Fact(462_410, "paper"),
                base_params=Fact(896, "paper"),
                base_keras_params=Fact(896, "paper"),
                gmacs=Fact(0.00123904, "paper"),
            ),
        },
    ),
    ArchSpec(
        name="course_exam",
        family="course",
        builder="course_cnn",
        description="course CNN of the exam question for 224x224x3: three Conv(3x3)-MaxPool stages "
        "32-64-128, Dense128, Dropout 0.5, Dense10",
        kwargs={"cfg": "exam"},
        input_size=(224, 224),
        in_channels=3,
        num_classes=10,
        fixed_input_size=True,
        min_input_size=22,  # 22 -> 20 -> 10 -> 8 -> 4 -> 2 -> 1
        base_channels=128,
        base_side=26,
        variants={
            "default": Variant(
                "default",
                "valid 3x3 convolutions with ReLU, 2x2 max pooling, dropout 0.5 before the output",
                # 896 + 18,496 + 73,856 = 93,248; 26·26·128 = 86,528 -> 86,528·128 + 128 =
                # 11,075,712; 128·10 + 10 = 1,290; total 11,170,250
                params=Fact(11_170_250, "paper"),
                keras_params=Fact(11_170_250, "paper"),
                base_params=Fact(93_248, "paper"),
                base_keras_params=Fact(93_248, "paper"),
                # 222²·32·27 + 109²·64·288 + 52²·128·576 + 86,528·128 + 128·10
                gmacs=Fact(0.472009344, "paper"),
            ),
        },
    ),
    ArchSpec(
        name="alexnet",
        family="alexnet",
        builder="alexnet",
        description="AlexNet single tower 96-256-384-384-256 (lecture table), no LRN",
        kwargs={"cfg": "alexnet"},
        input_size=(224, 224),
        fixed_input_size=True,
        min_input_size=63,  # 63 -> 15 -> 7 -> 7 -> 3 -> 3 -> 1 (62 ends at 0)
        base_channels=256,
        base_side=6,
        variants={
            "default": Variant(
                "default",
                "conv1 11x11/4 pad 2, overlapping 3x3/2 max pooling, dropout 0.5",
                # convs 34,944 + 614,656 + 885,120 + 1,327,488 + 884,992 = 3,747,200;
                # dense 37,752,832 + 16,781,312 + 4,097,000
                params=Fact(62_378_344, "paper"),
                keras_params=Fact(62_378_344, "paper"),
                base_params=Fact(3_747_200, "paper"),
                base_keras_params=Fact(3_747_200, "paper"),
                gmacs=Fact(1.135256096, "paper"),
            ),
        },
    ),
    ArchSpec(
        name="alexnet_tv",
        family="alexnet",
        builder="alexnet",
        description="AlexNet as torchvision builds it: 64-192-384-256-256",
        kwargs={"cfg": "alexnet_tv"},
        input_size=(224, 224),
        fixed_input_size=True,
        min_input_size=63,
        base_channels=256,
        base_side=6,
        variants={
            "default": Variant(
                "default",
                "torchvision's layout (One weird trick, Krizhevsky 2014)",
                params=Fact(61_100_840, "torchvision"),
                keras_params=Fact(61_100_840, "torchvision"),
                base_params=Fact(2_469_696, "torchvision"),
                base_keras_params=Fact(2_469_696, "torchvision"),
                gmacs=Fact(0.714, "torchvision"),
                canonical=("torchvision", "alexnet"),
            ),
        },
    ),
    ArchSpec(
        name="zfnet",
        family="alexnet",
        builder="alexnet",
        description="ZFNet (Zeiler and Fergus 2013): conv1 7x7/2, conv2 5x5/2, 384-384-256",
        kwargs={"cfg": "zfnet"},
        input_size=(224, 224),
        fixed_input_size=True,
        min_input_size=53,  # 53 -> 25 -> 13 -> 5 -> 3 -> 3 -> 1 (52 ends at 0)
        base_channels=256,
        base_side=6,
        variants={
            "default": Variant(
                "default",
                "AlexNet with the smaller, denser first layers of the ZFNet paper",
                # conv1 96·3·49 + 96 = 14,208, conv2 614,656, conv3-5 and dense as AlexNet
                params=Fact(62_357_608, "paper"),
                keras_params=Fact(62_357_608, "paper"),
                base_params=Fact(3_726_464, "paper"),
                base_keras_params=Fact(3_726_464, "paper"),
                gmacs=Fact(1.168032896, "paper"),
            ),
        },
    ),
]
