"""Option checks shared by the builders of every family, so both frameworks reject bad input
with the same message: the option's name, what it must be, and what it got."""

from __future__ import annotations

from numbers import Real

from cnnlab.errors import UsageError


def is_int(value) -> bool:
    """An ``int`` that is not a ``bool``."""
    return isinstance(value, int) and not isinstance(value, bool)


def check_choice(option: str, value, choices) -> None:
    """Raise a ``ValueError`` listing ``choices`` unless ``value`` is one of them."""
    if value not in choices:
        raise UsageError(f"{option} must be one of {', '.join(map(repr, choices))}; got {value!r}")


def check_positive_int(option: str, value) -> None:
    if not is_int(value) or value < 1:
        raise UsageError(f"{option} must be a positive int; got {value!r}")


def check_dropout(value, option: str = "dropout") -> float:
    """Return ``value`` as a float if it is a rate in [0, 1), else raise a ``ValueError``."""
    if not isinstance(value, Real) or isinstance(value, bool) or not 0 <= value < 1:
        raise UsageError(f"{option} must be a number in [0, 1); got {value!r}")
    return float(value)
