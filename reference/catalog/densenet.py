"""DenseNet (Huang et al. 2016): growth rate 32, blocks of 6-12-24/32/48-16/32/32 layers."""

from ._spec import ArchSpec, Fact, Variant

# name -> (block config, torchvision params, GMACs, keras.applications class and total params)
_TABLE = {
    "densenet121": ((6, 12, 24, 16), 7_978_856, 2.834, "DenseNet121", 8_062_504),
    "densenet169": ((6, 12, 32, 32), 14_149_480, None, "DenseNet169", 14_307_880),
    "densenet201": ((6, 12, 48, 32), 20_013_928, None, "DenseNet201", 20_242_984),
}

ENTRIES = []
for _name, (_blocks, _tv, _gmacs, _ka, _ka_total) in _TABLE.items():
    ENTRIES.append(
        ArchSpec(
            name=_name,
            family="densenet",
            builder="densenet",
            description=f"DenseNet-{_name[8:]} (blocks {'-'.join(map(str, _blocks))})",
            kwargs={"block_config": _blocks},
            input_size=(224, 224),
            min_input_size=32,
            base_side=7,
            variants={
                "default": Variant(
                    "default",
                    "torchvision's layout (BN epsilon 1e-5)",
                    params=Fact(_tv, "torchvision"),
                    gmacs=Fact(_gmacs, "torchvision") if _gmacs else None,
                    canonical=("torchvision", _name),
                ),
                "keras": Variant(
                    "keras",
                    "keras.applications' layout (BN epsilon 1.001e-5)",
                    kwargs={"layout": "keras"},
                    keras_params=Fact(_ka_total, "keras.applications"),
                    canonical=("keras.applications", _ka),
                ),
            },
        )
    )
