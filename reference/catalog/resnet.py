"""ResNet (He et al. 2015): torchvision's v1.5 layout, and keras.applications' v1 with conv biases."""

from ._spec import ArchSpec, Fact, Variant

# name -> (block, layers, torchvision params, GMACs, keras.applications class, its total params,
#          its include_top=False params)
_TABLE = {
    "resnet18": ("basic", (2, 2, 2, 2), 11_689_512, None, None, None, None),
    "resnet34": ("basic", (3, 4, 6, 3), 21_797_672, None, None, None, None),
    "resnet50": ("bottleneck", (3, 4, 6, 3), 25_557_032, 4.089, "ResNet50", 25_636_712, 23_587_712),
    "resnet101": ("bottleneck", (3, 4, 23, 3), 44_549_160, None, "ResNet101", 44_707_176, None),
    "resnet152": ("bottleneck", (3, 8, 36, 3), 60_192_808, None, "ResNet152", 60_419_944, None),
}

ENTRIES = []
for _name, (_block, _layers, _tv, _gmacs, _ka, _ka_total, _ka_base) in _TABLE.items():
    _variants = {
        "default": Variant(
            "default",
            "torchvision v1.5: stride on the 3x3 conv, no conv biases",
            params=Fact(_tv, "torchvision"),
            gmacs=Fact(_gmacs, "torchvision") if _gmacs else None,
            canonical=("torchvision", _name),
        )
    }
    if _ka:
        _variants["keras"] = Variant(
            "keras",
            "keras.applications v1: stride on the first 1x1 conv, conv biases, BN epsilon 1.001e-5",
            kwargs={"layout": "keras"},
            keras_params=Fact(_ka_total, "keras.applications"),
            base_keras_params=Fact(_ka_base, "keras.applications") if _ka_base else None,
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
            base_channels=512 if _block == "basic" else 2048,
            base_side=7,
            variants=_variants,
        )
    )
