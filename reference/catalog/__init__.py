"""The catalog: every architecture cnnlab knows, how to build it, and the facts it is held to.

>>> from cnnlab.reference.catalog import get, names
>>> get("vgg16").variant().params.value
138357544
"""

from __future__ import annotations

from . import classic, densenet, gan, inception, mobilenet, resnet, vgg
from ._spec import SOURCES, ArchSpec, Fact, Variant

__all__ = ["ArchSpec", "Fact", "Variant", "SOURCES", "CATALOG", "get", "names", "FRAMEWORKS"]

from cnnlab.errors import UsageError

from ..frameworks import FRAMEWORKS  # noqa: E402 - the frameworks an architecture is built in

CATALOG: dict[str, ArchSpec] = {
    spec.name: spec
    for module in (classic, vgg, inception, resnet, densenet, mobilenet, gan)
    for spec in module.ENTRIES
}


def names() -> list[str]:
    """All architecture names, in catalog order."""
    return list(CATALOG)


def get(arch: str) -> ArchSpec:
    """The spec of ``arch``; a ``ValueError`` listing the valid names if there is none."""
    try:
        return CATALOG[arch]
    except (KeyError, TypeError):
        raise UsageError(
            f"unknown architecture {arch!r}; valid architectures: {', '.join(CATALOG)}"
        ) from None
