"""VGG (Simonyan and Zisserman 2014): configurations A, B, D, E with and without BatchNorm.

``CFGS`` is the paper's Table 1 (every convolution is 3x3, stride 1, padding 1; ``"M"`` is a 2x2
max pooling with stride 2), shared by the PyTorch and the Keras builders.
"""

from cnnlab.errors import UsageError

from ._spec import ArchSpec, Fact, Variant

# fmt: off
CFGS = {
    "A": (64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"),
    "B": (64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"),
    "D": (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"),
    "E": (
        64, 64, "M",
        128, 128, "M",
        256, 256, 256, 256, "M",
        512, 512, 512, 512, "M",
        512, 512, 512, 512, "M",
    ),
}
# fmt: on


def vgg_layers(cfg: str) -> tuple:
    """``CFGS[cfg]`` as a layer table of ``(filters, kernel, stride, padding)`` rows.

    Raises a ``ValueError`` listing the valid configurations if ``cfg`` is not one.
    """
    try:
        row = CFGS[cfg]
    except (KeyError, TypeError):
        raise UsageError(f"unknown cfg {cfg!r}; valid cfgs: {', '.join(CFGS)}") from None
    return tuple(("M", 2, 2, 0) if v == "M" else (v, 3, 1, 1) for v in row)


def vgg_name(cfg: str, batch_norm: bool) -> str:
    """``"vgg16_bn"`` for ``("D", True)``: weight layers are the convolutions plus three dense.

    Raises a ``ValueError`` if ``batch_norm`` is not a bool (``cfg`` is checked by ``vgg_layers``).
    """
    if not isinstance(batch_norm, bool):
        raise UsageError(f"batch_norm must be True or False, got {batch_norm!r}")
    depth = sum(v != "M" for v in CFGS[cfg]) + 3
    return f"vgg{depth}" + ("_bn" if batch_norm else "")


# name -> (config letter, params without BN, params with BN, GMACs, conv-base params without BN,
# with BN); torchvision 0.29, weights=None (GMACs from its weight enums' meta["_ops"]). BatchNorm
# does not change the MACs torchvision counts.
_TABLE = {
    "vgg11": ("A", 132_863_336, 132_868_840, 7.609, 9_220_480, 9_225_984),
    "vgg13": ("B", 133_047_848, 133_053_736, 11.308, 9_404_992, 9_410_880),
    "vgg16": ("D", 138_357_544, 138_365_992, 15.47, 14_714_688, 14_723_136),
    "vgg19": ("E", 143_667_240, 143_678_248, 19.632, 20_024_384, 20_035_392),
}

#: keras.applications has the plain VGG16 and VGG19 (its totals equal torchvision's).
_KERAS_APPLICATIONS = {"vgg16": "VGG16", "vgg19": "VGG19"}


def _moving_stats(cfg: str) -> int:
    # Keras count_params() adds BatchNorm's moving mean and variance: torchvision's running_mean
    # and running_var buffers, two per channel of every convolution.
    return 2 * sum(v for v in CFGS[cfg] if v != "M")


ENTRIES = []
for _name, (_cfg, _plain, _bn, _gmacs, _base_plain, _base_bn) in _TABLE.items():
    for _batch_norm in (False, True):
        _arch = _name + ("_bn" if _batch_norm else "")
        _count, _base = (_bn, _base_bn) if _batch_norm else (_plain, _base_plain)
        _stats = _moving_stats(_cfg) if _batch_norm else 0
        _keras_source = "keras.applications" if _arch in _KERAS_APPLICATIONS else "torchvision"
        _with_bn = " with BatchNorm" if _batch_norm else ""
        ENTRIES.append(
            ArchSpec(
                name=_arch,
                family="vgg",
                builder="vgg",
                description=f"VGG configuration {_cfg}{_with_bn}",
                kwargs={"cfg": _cfg, "batch_norm": _batch_norm},
                input_size=(224, 224),
                fixed_input_size=True,
                min_input_size=32,  # five 2x2 poolings: 32 -> 1
                base_channels=512,
                base_side=7,
                variants={
                    "default": Variant(
                        "default",
                        "torchvision's layout",
                        params=Fact(_count, "torchvision"),
                        keras_params=Fact(_count + _stats, _keras_source),
                        base_params=Fact(_base, "torchvision"),
                        base_keras_params=Fact(_base + _stats, _keras_source),
                        gmacs=Fact(_gmacs, "torchvision"),
                        canonical=("torchvision", _arch),
                    ),
                },
            )
        )
