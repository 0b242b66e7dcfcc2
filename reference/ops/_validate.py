"""Argument checks shared by the operations: each failure is a ``ValueError`` naming the argument."""

from __future__ import annotations

import numbers

import numpy as np

from cnnlab.errors import UsageError


def as_array(value, *, name: str, ndim: int | tuple[int, ...] | None = None) -> np.ndarray:
    """``value`` as a floating numpy array, checked for its number of dimensions."""
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise UsageError(f"{name} must be array-like, got {type(value).__name__}: {exc}") from None
    if array.dtype == object or not (
        np.issubdtype(array.dtype, np.number) or np.issubdtype(array.dtype, np.bool_)
    ):
        raise UsageError(f"{name} must hold numbers, got dtype {array.dtype}")
    if not np.issubdtype(array.dtype, np.floating):
        array = array.astype(np.float64)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else ndim
        if array.ndim not in allowed:
            want = " or ".join(str(d) for d in allowed)
            raise UsageError(f"{name} must have {want} dimensions, got shape {array.shape}")
    return array


def non_negative_int(value, *, name: str, minimum: int = 0) -> int:
    """``value`` as an int of at least ``minimum``; booleans and floats are refused."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise UsageError(f"{name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def int_pair(value, *, name: str, minimum: int = 0) -> tuple[int, int]:
    """An int or a pair of ints as ``(height, width)``."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise UsageError(f"{name} must be an int or a pair of ints, got {value!r}")
        return (
            non_negative_int(value[0], name=name, minimum=minimum),
            non_negative_int(value[1], name=name, minimum=minimum),
        )
    side = non_negative_int(value, name=name, minimum=minimum)
    return side, side


def probability(value, *, name: str) -> float:
    """A float in ``[0, 1]``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0.0 <= value <= 1.0:
        raise UsageError(f"{name} must be a number in [0, 1], got {value!r}")
    return float(value)


def choice(value, *, name: str, choices) -> str:
    """``value`` if it is one of ``choices``, else a ``ValueError`` listing them."""
    if value not in choices:
        raise UsageError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")
    return value


def rng_from(rng) -> np.random.Generator:
    """A numpy ``Generator`` from a seed, a ``Generator`` or None (fresh entropy)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, numbers.Integral) and not isinstance(rng, bool)):
        return np.random.default_rng(rng)
    raise UsageError(f"rng must be an int seed, a numpy Generator or None, got {type(rng).__name__}")
