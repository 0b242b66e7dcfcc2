"""The labels and scores the metric routines take: reading, checking and encoding them.

The generic checks (choices, ints, reading a framework's tensor) are in
:mod:`cnnlab.reference._validation`; this module holds what only metrics need.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from cnnlab.errors import UsageError

from .._validation import to_numpy


def check_labels(y: Any, *, name: str) -> np.ndarray:
    """Return ``y`` as a non-empty 1-D array of class labels (integers, booleans or strings).

    A column vector of shape ``(n, 1)`` is flattened. Floats are accepted when every value is a
    whole number (``1.0``), as scikit-learn does; anything else is refused with a ``ValueError``
    that names ``name``.
    """
    arr = to_numpy(y, name=name)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        hint = ""
        if arr.ndim == 2:
            hint = "; for one-hot rows pass their argmax (y.argmax(axis=1))"
        raise UsageError(
            f"{name} must be a 1-D sequence of class labels, got shape {arr.shape}{hint}"
        )
    if arr.shape[0] == 0:
        raise UsageError(f"{name} is empty; at least one sample is needed")
    kind = arr.dtype.kind
    if kind in "biu":
        return arr
    if kind == "U":
        return arr
    if kind == "S":
        return np.char.decode(arr, "utf-8")
    if kind == "f":
        return _whole_floats(arr, name=name)
    if kind == "O":
        return _labels_from_objects(arr, name=name)
    raise UsageError(f"{name} must hold integer or string class labels, got dtype {arr.dtype}")


def _whole_floats(arr: np.ndarray, *, name: str) -> np.ndarray:
    bad = ~np.isfinite(arr) | (arr != np.round(arr))
    if bad.any():
        value = arr[np.flatnonzero(bad)[0]].item()
        raise UsageError(
            f"{name} holds {value!r}, which is not a class label; labels must be integers or "
            "strings (to turn scores into labels, take their argmax)"
        )
    return arr


def _labels_from_objects(arr: np.ndarray, *, name: str) -> np.ndarray:
    values = arr.tolist()
    if all(isinstance(v, bytes) for v in values):  # TensorFlow string tensors
        values = [v.decode("utf-8") for v in values]
    if all(isinstance(v, str) for v in values):
        return np.asarray(values, dtype=str)
    if all(isinstance(v, numbers.Integral) for v in values):
        return np.asarray(values, dtype=np.int64)
    if all(isinstance(v, numbers.Real) and not isinstance(v, str) for v in values):
        return _whole_floats(np.asarray(values, dtype=np.float64), name=name)
    kinds = sorted({type(v).__name__ for v in values})
    raise UsageError(
        f"{name} mixes label types ({', '.join(kinds)}); use all strings or all integers"
    )


def label_kind(arr: np.ndarray) -> str:
    """``"string"`` or ``"number"``: the two kinds of label that never mix."""
    return "string" if arr.dtype.kind == "U" else "number"


def check_same_kind(first: np.ndarray, second: np.ndarray, *, names: tuple[str, str]) -> None:
    """Refuse string labels in one argument and numeric labels in the other."""
    a, b = label_kind(first), label_kind(second)
    if a != b:
        raise UsageError(
            f"{names[0]} holds {a} labels but {names[1]} holds {b} labels; "
            "both must use the same kind of label"
        )


def check_same_length(first: np.ndarray, second: np.ndarray, *, names: tuple[str, str]) -> None:
    """Both arguments describe the same samples, so their first dimensions must agree."""
    if first.shape[0] != second.shape[0]:
        raise UsageError(
            f"{names[0]} has {first.shape[0]} samples but {names[1]} has {second.shape[0]}; "
            "they must have the same length"
        )


def union_labels(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Sorted labels found in ``y_true`` or ``y_pred`` (the class order scikit-learn uses)."""
    check_same_kind(y_true, y_pred, names=("y_true", "y_pred"))
    return np.unique(np.concatenate([np.unique(y_true), np.unique(y_pred)]))


def check_given_labels(labels: Any, *, like: np.ndarray, name: str = "labels") -> np.ndarray:
    """Validate a user's ``labels``: 1-D, non-empty, no duplicates, the same kind as ``like``."""
    arr = check_labels(labels, name=name)
    check_same_kind(like, arr, names=("y_true", name))
    uniq, counts = np.unique(arr, return_counts=True)
    if uniq.shape[0] != arr.shape[0]:
        raise UsageError(f"{name} lists {uniq[counts > 1].tolist()} more than once")
    return arr


def encode(y: np.ndarray, classes: np.ndarray, *, assume_sorted: bool = False):
    """Map labels to their positions in ``classes``.

    Returns
    -------
    index : ndarray of int64
        Position of each label in ``classes`` (meaningless where ``found`` is False).
    found : ndarray of bool or None
        Which labels occur in ``classes``; ``None`` when all of them do.
    """
    if y.dtype.kind in "biu" and classes.dtype.kind in "biu" and classes.shape[0]:
        # Integer labels in a modest range: a lookup table is O(n), a binary search is not.
        low, high = int(min(y.min(), classes.min())), int(max(y.max(), classes.max()))
        if high - low <= 4 * (y.shape[0] + classes.shape[0]) + 1024:
            table = np.full(high - low + 1, -1, dtype=np.int64)
            table[classes.astype(np.int64) - low] = np.arange(classes.shape[0])
            index = table[y.astype(np.int64) - low]
            found = index >= 0
            if found.all():
                return index, None
            index[~found] = 0
            return index, found
    if assume_sorted:
        order, ordered = None, classes
    else:
        order = np.argsort(classes, kind="stable")
        ordered = classes[order]
    pos = np.searchsorted(ordered, y)
    np.minimum(pos, ordered.shape[0] - 1, out=pos)
    found = ordered[pos] == y
    index = pos if order is None else order[pos]
    return index.astype(np.int64, copy=False), (None if found.all() else found)


def check_scores(scores: Any, *, name: str = "scores", ndims: Sequence[int] = (1, 2)) -> np.ndarray:
    """Return ``scores`` as a float array of an allowed rank with no NaN or infinity."""
    arr = to_numpy(scores, name=name)
    if arr.dtype.kind in "biu":
        arr = arr.astype(np.float64)
    elif arr.dtype.kind != "f":
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError):
            raise UsageError(
                f"{name} must hold numbers (probabilities or logits), got dtype {arr.dtype}"
            ) from None
    if arr.ndim not in ndims:
        shapes = " or ".join({1: "(n_samples,)", 2: "(n_samples, n_classes)"}[d] for d in ndims)
        raise UsageError(f"{name} must have shape {shapes}, got shape {arr.shape}")
    if arr.shape[0] == 0:
        raise UsageError(f"{name} is empty; at least one sample is needed")
    # One reduction finds NaN or infinity without a temporary as large as the input; a finite
    # sum that overflowed is checked element by element before complaining.
    with np.errstate(over="ignore", invalid="ignore"):
        total = np.add.reduce(arr, axis=None, dtype=np.float64)
    if not np.isfinite(total):
        bad = ~np.isfinite(arr)
        if bad.any():
            where = tuple(int(i) for i in np.argwhere(bad)[0])
            value = arr[where].item()
            raise UsageError(
                f"{name} contains {int(bad.sum())} non-finite value(s) (first: {value} at index "
                f"{where if len(where) > 1 else where[0]}); scores must be finite"
            )
    return arr


def check_zero_division(value: Any) -> float:
    """The number a ratio with a zero denominator becomes: 0.0, 1.0 or NaN."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        if value in (0, 1):
            return float(value)
        if np.isnan(value):
            return float("nan")
    if isinstance(value, str) and value.lower() == "nan":
        return float("nan")
    raise UsageError(
        f"zero_division must be one of 0.0, 1.0, nan (cnnlab never warns: 0.0 gives what "
        f"scikit-learn's 'warn' returns); got {value!r}"
    )


def divide(numerator: np.ndarray, denominator: np.ndarray, zero_division: float) -> np.ndarray:
    """``numerator / denominator`` in float64, with ``zero_division`` where the denominator is 0."""
    numerator = np.asarray(numerator, dtype=np.float64)
    denominator = np.asarray(denominator, dtype=np.float64)
    zero = denominator == 0
    result = numerator / np.where(zero, 1.0, denominator)
    result[zero] = zero_division
    return result
