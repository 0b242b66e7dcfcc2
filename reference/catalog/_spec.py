"""Data classes that describe one architecture: how to build it and what is known of it.

Nothing here imports a deep-learning framework, so the catalog can be listed, searched and
validated by a user who has neither torch nor keras installed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cnnlab.errors import UsageError

#: Where a number comes from. Tests name the source they hold a number against.
SOURCES = {
    "paper": "arithmetic from the paper's layer table",
    "torchvision": "torchvision 0.29 with weights=None",
    "keras.applications": "keras.applications (Keras 3.15) with weights=None",
    "measured": "measured on cnnlab's own implementation (no canonical library has the model)",
    "pytorch-examples": "arithmetic from the layer list of PyTorch's DCGAN example (pytorch/examples, dcgan)",
}


@dataclass(frozen=True)
class Fact:
    """A number together with the place it comes from (a key of :data:`SOURCES`)."""

    value: Any
    source: str

    def __post_init__(self):
        if self.source not in SOURCES:
            raise UsageError(f"unknown source {self.source!r}; expected one of {sorted(SOURCES)}")


@dataclass(frozen=True)
class Variant:
    """One layout of an architecture.

    ``params`` is the number of learnable parameters (torch ``sum(p.numel())``, which equals
    Keras' *trainable* count). ``keras_params`` is Keras ``count_params()``, which also counts
    BatchNorm moving statistics. Counts are for the default ``num_classes`` and input size with
    ``include_top=True``; the ``base_*`` counts are for ``include_top=False``.
    """

    name: str
    description: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    params: Fact | None = None
    keras_params: Fact | None = None
    base_params: Fact | None = None
    base_keras_params: Fact | None = None
    gmacs: Fact | None = None
    #: The canonical model this variant must equal weight for weight, e.g.
    #: ``("torchvision", "vgg16")`` or ``("keras.applications", "ResNet50")``; None if none has it.
    canonical: tuple[str, str] | None = None


@dataclass(frozen=True)
class ArchSpec:
    """How to build one architecture and what its output looks like.

    ``family`` names the module in ``cnnlab.reference.torch_models`` and ``cnnlab.reference.keras_models``
    (the same file name in both) and ``builder`` the function in it (the same name in both).
    """

    name: str
    family: str
    builder: str
    description: str
    input_size: tuple[int, int]
    in_channels: int = 3
    num_classes: int = 1000
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    variants: Mapping[str, Variant] = field(default_factory=dict)
    #: True where the classifier needs a fixed spatial size (a Flatten before Dense).
    fixed_input_size: bool = False
    #: Smallest input side the network accepts (stride and pooling arithmetic).
    min_input_size: int = 32
    #: Channels of the ``include_top=False`` output at the default input size, and its side.
    base_channels: int | None = None
    base_side: int | None = None

    def variant(self, name: str = "default") -> Variant:
        try:
            return self.variants[name]
        except KeyError:
            raise UsageError(
                f"architecture {self.name!r} has no variant {name!r}; "
                f"valid variants: {', '.join(self.variants)}"
            ) from None
