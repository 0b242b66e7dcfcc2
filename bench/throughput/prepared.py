"""What a framework module hands to the timing loop: a ready step, its sync and the model's facts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


class Unsupported(Exception):
    """This framework/backend cannot run this architecture at all; the run is skipped, not failed."""


@dataclass
class Prepared:
    """A model built, placed on its device with its synthetic batch, ready to be stepped.

    ``step()`` runs one batch and returns what ``sync`` waits on. ``gmacs`` is per image for one
    forward pass at ``input_size``.
    """

    step: Callable[[], object]
    sync: Callable[[object], None]
    params: int
    gmacs: float | None
    gmacs_source: str | None
    input_size: tuple[int, int]
    layout: str
    precision_mode: str
    flags: dict = field(default_factory=dict)


_GMACS: dict[tuple[str, str], tuple[float | None, str | None]] = {}


def model_gmacs(model, arch) -> tuple[float | None, str | None]:
    """GMACs per image of ``model`` (the float32 model, before it is converted or compiled).

    Counted by ``cnnlab.reference.flops`` where that is available; otherwise the catalog's figure for
    the default layout; otherwise unknown, and utilisation is left empty rather than guessed.
    Counted once per architecture and framework: a batch size that steps down does not recount.
    """
    from cnnlab.reference.frameworks import framework_of

    key = (framework_of(model), arch.name)
    if key not in _GMACS:
        _GMACS[key] = _count_gmacs(model, arch)
    return _GMACS[key]


def _count_gmacs(model, arch):
    try:
        from cnnlab.reference.flops import gmacs
    except ImportError:
        gmacs = None
    if gmacs is not None:
        try:
            count = gmacs(model, input_size=tuple(arch.input_size), in_channels=arch.in_channels)
            return float(count), "cnnlab.reference.flops"
        except Exception:  # a counter that cannot trace this model must not stop the benchmark
            pass
    fact = arch.variant().gmacs
    if fact is not None:
        return float(fact.value), f"catalog ({fact.source})"
    return None, None


def first_output(outputs):
    """The main logits of a model that may also return auxiliary outputs (a tuple or a list)."""
    while isinstance(outputs, (tuple, list)):
        outputs = outputs[0]
    return getattr(outputs, "logits", outputs)
