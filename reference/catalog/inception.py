"""GoogLeNet (Inception v1, Szegedy et al. 2014) and Inception v3 (Szegedy et al. 2015)."""

from ._spec import ArchSpec, Fact, Variant

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
                params=Fact(6_624_904, "torchvision"),
                gmacs=Fact(1.498, "torchvision"),
                canonical=("torchvision", "googlenet"),
            ),
            "aux": Variant(
                "aux",
                "with the two auxiliary classifiers (outputs in training mode)",
                kwargs={"aux_logits": True},
                params=Fact(13_004_888, "torchvision"),
                canonical=("torchvision", "googlenet"),
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
                params=Fact(23_834_568, "torchvision"),
                gmacs=Fact(5.713, "torchvision"),
                canonical=("torchvision", "inception_v3"),
            ),
            "aux": Variant(
                "aux",
                "with the auxiliary classifier",
                kwargs={"aux_logits": True},
                params=Fact(27_161_264, "torchvision"),
                canonical=("torchvision", "inception_v3"),
            ),
            "keras": Variant(
                "keras",
                "keras.applications' layout: BN without scale (gamma), epsilon 1e-3",
                kwargs={"layout": "keras"},
                keras_params=Fact(23_851_784, "keras.applications"),
                base_keras_params=Fact(21_802_784, "keras.applications"),
                canonical=("keras.applications", "InceptionV3"),
            ),
        },
    ),
]
