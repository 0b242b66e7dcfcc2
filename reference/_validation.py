"""The argument checks of every part of ``cnnlab.reference``: one toolkit, one message per failure.

Each check takes the value first and the argument's ``name`` as a keyword, returns the value in
its canonical form, and raises :class:`cnnlab.errors.UsageError` with one line that names the
argument, says what it must be and shows what it got (``layout must be one of 'torchvision',
'keras'; got 'tf'``, or ``k must be an int between 1 and 3; 4 is out of range``), so the builders of both frameworks, the operations, the data loaders and
the metrics refuse bad input in the same words.

Framework tensors are recognised by ``type(x).__module__``, so nothing here imports torch,
TensorFlow, keras or JAX: a numpy user never pays for them.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from cnnlab.errors import UsageError

__all__ = [
    "as_array",
    "check_choice",
    "check_int",
    "check_pair",
    "check_probability",
    "is_int",
    "rng_from",
    "to_numpy",
]


def is_int(value: Any) -> bool:
    """True for an integer that is not a ``bool`` (``True`` is an ``int`` to Python, not to us)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _matches(value: Any, choice: Any) -> bool:
    if value is choice:
        return True
    # None, and a bool standing for 0 or 1, only ever match themselves.
    if choice is None or value is None or isinstance(value, bool) or isinstance(choice, bool):
        return False
    try:
        return bool(value == choice)
    except (TypeError, ValueError):  # an array compared with a string, for instance
        return False


def check_choice(value: Any, *, name: str, choices: Sequence[Any]) -> Any:
    """Return the entry of ``choices`` equal to ``value``, else refuse it, listing ``choices``.

    Parameters
    ----------
    value : object
        What the user passed.
    name : str
        The argument's name, as the user wrote it.
    choices : sequence
        The valid values (strings, numbers, or None).

    Returns
    -------
    object
        The matching entry of ``choices`` (so a ``numpy.str_`` comes back as a ``str``).
    """
    for choice in choices:
        if _matches(value, choice):
            return choice
    listed = ", ".join(map(repr, choices))
    raise UsageError(f"{name} must be one of {listed}; got {value!r}")


def _int_bounds(low: int | None, high: int | None) -> str:
    if high is not None:
        return f"an int between {low} and {high}" if low is not None else f"an int <= {high}"
    if low == 1:
        return "a positive int"
    return f"an int >= {low}" if low is not None else "an int"


def check_int(
    value: Any, *, name: str, low: int | None = 0, high: int | None = None, why: str = ""
) -> int:
    """Return ``value`` as an int in ``[low, high]``; booleans and floats are refused.

    Parameters
    ----------
    value : object
        What the user passed.
    name : str
        The argument's name.
    low, high : int or None
        The inclusive bounds; None for no bound. ``low=1`` reads "a positive int".
    why : str
        Said after the bound, e.g. ``" (scores has 3 classes)"``.

    Returns
    -------
    int
    """
    must = f"{name} must be {_int_bounds(low, high)}{why}"
    if not is_int(value):
        raise UsageError(f"{must}; got {value!r}")
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        raise UsageError(f"{must}; {value} is out of range")
    return value


def check_pair(value: Any, *, name: str, low: int | None = 0) -> tuple[int, int]:
    """An int, or a pair of ints, as ``(height, width)``, each at least ``low``."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise UsageError(f"{name} must be an int or a pair of ints; got {value!r}")
        return check_int(value[0], name=name, low=low), check_int(value[1], name=name, low=low)
    side = check_int(value, name=name, low=low)
    return side, side


def check_probability(value: Any, *, name: str, include_one: bool = True) -> float:
    """Return ``value`` as a float in ``[0, 1]`` (``[0, 1)`` when ``include_one`` is False).

    A dropout rate excludes 1, since it would drop everything; a momentum or a drop probability
    of the operations may be 1.
    """
    must = f"{name} must be a number in [0, {'1]' if include_one else '1)'}"
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise UsageError(f"{must}; got {value!r}")
    if not (0 <= value <= 1 and (include_one or value < 1)):
        raise UsageError(f"{must}; {value!r} is out of range")
    return float(value)


def to_numpy(x: Any, *, name: str) -> np.ndarray:
    """Return ``x`` as a numpy array without importing the framework it comes from.

    Parameters
    ----------
    x : array-like, torch.Tensor, tf.Tensor, keras or JAX array
        A torch tensor is detached and moved to the CPU first; a TensorFlow or keras tensor is
        read with ``.numpy()``; anything else goes through ``np.asarray``.
    name : str
        The argument's name, used in error messages.

    Returns
    -------
    ndarray
    """
    if isinstance(x, np.ndarray):
        return x
    root = type(x).__module__.partition(".")[0]
    try:
        if root == "torch" and hasattr(x, "detach"):
            x = x.detach().cpu()
            try:
                return x.numpy()
            except TypeError:  # bfloat16 and other dtypes numpy has no twin for
                return x.float().numpy()
        if root not in ("numpy", "builtins") and callable(getattr(x, "numpy", None)):
            return np.asarray(x.numpy())
        return np.asarray(x)
    except (TypeError, ValueError, RuntimeError, AttributeError) as exc:
        raise UsageError(
            f"{name} could not be read as an array ({type(x).__module__}.{type(x).__name__}): {exc}"
        ) from None


def as_array(value: Any, *, name: str, ndim: int | tuple[int, ...] | None = None) -> np.ndarray:
    """``value`` as a floating numpy array, checked for its number of dimensions.

    Integers and booleans become float64; a float array keeps its precision.
    """
    array = to_numpy(value, name=name)
    if array.dtype == object or not (
        np.issubdtype(array.dtype, np.number) or np.issubdtype(array.dtype, np.bool_)
    ):
        raise UsageError(f"{name} must hold numbers; got dtype {array.dtype}")
    if not np.issubdtype(array.dtype, np.floating):
        array = array.astype(np.float64)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else ndim
        if array.ndim not in allowed:
            want = " or ".join(str(d) for d in allowed)
            raise UsageError(f"{name} must have {want} dimensions; got shape {array.shape}")
    return array


def rng_from(rng: Any) -> np.random.Generator:
    """A numpy ``Generator`` from a seed, a ``Generator`` or None (fresh entropy)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or is_int(rng):
        return np.random.default_rng(rng)
    raise UsageError(
        f"rng must be an int seed, a numpy Generator or None; got {type(rng).__name__}"
    )
