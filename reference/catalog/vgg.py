"""VGG (Simonyan and Zisserman 2014): configurations A, B, D, E with and without BatchNorm."""

from ._spec import ArchSpec, Fact, Variant

# name -> (config letter, params without BN, params with BN, GMACs); torchvision 0.29, weights=None.
_TABLE = {
    "vgg11": ("A", 132_863_336, 132_868_840, None),
    "vgg13": ("B", 133_047_848, None, None),
    "vgg16": ("D", 138_357_544, 138_365_992, 15.47),
    "vgg19": ("E", 143_667_240, 143_678_248, None),
}

ENTRIES = []
for _name, (_cfg, _plain, _bn, _gmacs) in _TABLE.items():
    for _batch_norm in (False, True):
        _arch = _name + ("_bn" if _batch_norm else "")
        _count = _bn if _batch_norm else _plain
        ENTRIES.append(
            ArchSpec(
                name=_arch,
                family="vgg",
                builder="vgg",
                description=f"VGG configuration {_cfg}" + (" with BatchNorm" if _batch_norm else ""),
                kwargs={"cfg": _cfg, "batch_norm": _batch_norm},
                input_size=(224, 224),
                fixed_input_size=True,
                min_input_size=32,
                base_channels=512,
                base_side=7,
                variants={
                    "default": Variant(
                        "default",
                        "torchvision's layout",
                        params=Fact(_count, "torchvision") if _count else None,
                        gmacs=Fact(_gmacs, "torchvision") if _gmacs else None,
                        canonical=("torchvision", _arch),
                    ),
                },
            )
        )
