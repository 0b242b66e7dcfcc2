"""MobileNetV2 (Sandler et al. 2018): inverted residuals with linear bottlenecks."""

from ._spec import ArchSpec, Fact, Variant

ENTRIES = [
    ArchSpec(
        name="mobilenet_v2",
        family="mobilenet",
        builder="mobilenet_v2",
        description="MobileNetV2, width multiplier 1.0",
        input_size=(224, 224),
        min_input_size=32,
        base_channels=1280,
        base_side=7,
        variants={
            "default": Variant(
                "default",
                "torchvision's layout: symmetric padding, BN epsilon 1e-5",
                params=Fact(3_504_872, "torchvision"),
                gmacs=Fact(0.301, "torchvision"),
                canonical=("torchvision", "mobilenet_v2"),
            ),
            "keras": Variant(
                "keras",
                "keras.applications' layout: bottom/right padding on stride 2, BN epsilon 1e-3",
                kwargs={"layout": "keras"},
                keras_params=Fact(3_538_984, "keras.applications"),
                base_keras_params=Fact(2_257_984, "keras.applications"),
                canonical=("keras.applications", "MobileNetV2"),
            ),
        },
    ),
]
