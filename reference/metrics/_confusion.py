"""The confusion matrix and the per-class counts and rates read from it.

Rows are true classes and columns predicted classes, as in scikit-learn. Every count is one
``np.bincount`` over label positions, so 100,000 samples of 1,000 classes take milliseconds.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from cnnlab.errors import UsageError

from .._validation import check_choice
from ._labels import (
    check_given_labels,
    check_labels,
    check_same_kind,
    check_same_length,
    check_zero_division,
    divide,
    encode,
    union_labels,
)

NORMALIZE_CHOICES = (None, "true", "pred", "all")
#: What the rows of a confusion matrix hold: true classes (scikit-learn's and cnnlab's default)
#: or predicted classes (the orientation the "CNN – II" lecture draws).
ROWS_CHOICES = ("true", "predicted")


class ClassTotals(NamedTuple):
    """Sufficient statistics of a labelling, one entry per class of ``labels``."""

    labels: np.ndarray
    tp: np.ndarray
    pred: np.ndarray
    true: np.ndarray
    n_samples: int
    present: np.ndarray
    n_correct: int  # samples with y_pred == y_true, whether or not their class is listed


def check_pair(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate two label sequences; return them with the sorted labels found in either."""
    yt = check_labels(y_true, name="y_true")
    yp = check_labels(y_pred, name="y_pred")
    check_same_length(yt, yp, names=("y_true", "y_pred"))
    return yt, yp, union_labels(yt, yp)


def class_totals(y_true: Any, y_pred: Any, *, labels: Any = None) -> ClassTotals:
    """Count true positives, predictions and true samples per class.

    Samples whose labels are outside ``labels`` still count towards ``n_samples`` (they are
    negatives of every listed class), as in scikit-learn's ``multilabel_confusion_matrix``.
    """
    yt, yp, present = check_pair(y_true, y_pred)
    given = labels is not None
    classes = check_given_labels(labels, like=yt) if given else present
    n_classes = classes.shape[0]
    ti, t_found = encode(yt, classes, assume_sorted=not given)
    pi, p_found = encode(yp, classes, assume_sorted=not given)
    hit = ti == pi
    if t_found is not None:
        hit &= t_found
        ti_kept = ti[t_found]
    else:
        ti_kept = ti
    if p_found is not None:
        hit &= p_found
        pi_kept = pi[p_found]
    else:
        pi_kept = pi
    n_correct = int(np.count_nonzero(hit)) if not given else int(np.count_nonzero(yt == yp))
    return ClassTotals(
        labels=classes,
        tp=np.bincount(ti[hit], minlength=n_classes),
        pred=np.bincount(pi_kept, minlength=n_classes),
        true=np.bincount(ti_kept, minlength=n_classes),
        n_samples=int(yt.shape[0]),
        present=present,
        n_correct=n_correct,
    )


def confusion_matrix(
    y_true: Any,
    y_pred: Any,
    *,
    labels: Any = None,
    normalize: str | None = None,
    rows: str = "true",
) -> np.ndarray:
    """Count how often each true class is predicted as each class.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels (integers or strings); a list, numpy array, torch or TensorFlow tensor.
    y_pred : array-like of shape (n_samples,)
        Predicted labels, of the same kind as ``y_true``.
    labels : array-like of shape (n_classes,), default=None
        Classes and their order for the rows and columns. Samples whose true or predicted label
        is not listed are left out. By default, the sorted labels found in either argument.
    normalize : {None, "true", "pred", "all"}, default=None
        Divide by the row sums (true classes), the column sums (predicted classes) or the total.
        A row or column with no samples becomes zeros, as in scikit-learn. ``"true"`` always
        divides by the true-class totals, whichever way ``rows`` lays them out.
    rows : {"true", "predicted"}, default="true"
        What the rows hold. ``"true"`` is scikit-learn's layout; ``"predicted"`` is its
        transpose, with predicted classes in rows and true classes in columns, as one of the
        lectures draws the matrix (TP top left, FP beside it, FN below it for a binary task with
        the positive class first).

    Returns
    -------
    matrix : ndarray of shape (n_classes, n_classes)
        With ``rows="true"``, ``matrix[i, j]`` counts samples of class ``labels[i]`` predicted as
        ``labels[j]``; with ``rows="predicted"``, samples predicted as ``labels[i]`` whose class
        is ``labels[j]`` (int64, or float64 when normalised).

    Raises
    ------
    ValueError
        On mismatched lengths, non-label values, an unknown ``normalize`` or ``labels`` of which
        none occurs in ``y_true``.

    Examples
    --------
    >>> confusion_matrix([2, 0, 2, 2, 0, 1], [0, 0, 2, 2, 0, 2])
    array([[2, 0, 0],
           [0, 0, 1],
           [1, 0, 2]])
    """
    check_choice(normalize, name="normalize", choices=NORMALIZE_CHOICES)
    check_choice(rows, name="rows", choices=ROWS_CHOICES)
    yt, yp, present = check_pair(y_true, y_pred)
    given = labels is not None
    classes = check_given_labels(labels, like=yt) if given else present
    n_classes = classes.shape[0]
    ti, t_found = encode(yt, classes, assume_sorted=not given)
    pi, p_found = encode(yp, classes, assume_sorted=not given)
    if t_found is not None and not t_found.any():
        raise UsageError(
            f"none of labels={classes.tolist()[:10]} occurs in y_true; labels must use the "
            "values of y_true"
        )
    keep = None
    for found in (t_found, p_found):
        if found is not None:
            keep = found if keep is None else keep & found
    if keep is not None:
        ti, pi = ti[keep], pi[keep]
    matrix = np.bincount(ti * n_classes + pi, minlength=n_classes * n_classes)
    matrix = matrix.reshape(n_classes, n_classes).astype(np.int64, copy=False)
    if normalize is not None:
        if normalize == "true":
            total = matrix.sum(axis=1, keepdims=True)
        elif normalize == "pred":
            total = matrix.sum(axis=0, keepdims=True)
        else:
            total = matrix.sum()
        with np.errstate(invalid="ignore", divide="ignore"):
            matrix = np.nan_to_num(matrix / total)
    return matrix.T.copy() if rows == "predicted" else matrix


def per_class_counts(y_true: Any, y_pred: Any, *, labels: Any = None) -> dict[str, np.ndarray]:
    """True and false positives and negatives of each class, one class against the rest.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        True and predicted labels.
    labels : array-like of shape (n_classes,), default=None
        Classes to report, in this order. Samples of other classes count as negatives. By
        default, the sorted labels found in either argument.

    Returns
    -------
    counts : dict of ndarray
        ``"labels"`` and, per class, ``"tp"``, ``"fp"``, ``"fn"``, ``"tn"`` and ``"support"``
        (samples of the class in ``y_true``, ``tp + fn``). They equal scikit-learn's
        ``multilabel_confusion_matrix`` entries ``[:, 1, 1]``, ``[:, 0, 1]``, ``[:, 1, 0]``,
        ``[:, 0, 0]``.

    Examples
    --------
    >>> c = per_class_counts(["cat", "dog", "dog"], ["cat", "cat", "dog"])
    >>> c["tp"].tolist(), c["fp"].tolist(), c["fn"].tolist(), c["tn"].tolist()
    ([1, 1], [1, 0], [0, 1], [1, 1])
    """
    totals = class_totals(y_true, y_pred, labels=labels)
    fp = totals.pred - totals.tp
    fn = totals.true - totals.tp
    return {
        "labels": totals.labels,
        "tp": totals.tp,
        "fp": fp,
        "fn": fn,
        "tn": totals.n_samples - totals.tp - fp - fn,
        "support": totals.true,
    }


def per_class_rates(
    y_true: Any, y_pred: Any, *, labels: Any = None, zero_division: float = 0.0
) -> dict[str, np.ndarray]:
    """Rates of each class against the rest, from :func:`per_class_counts`.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        True and predicted labels.
    labels : array-like of shape (n_classes,), default=None
        Classes to report, in this order (see :func:`per_class_counts`).
    zero_division : {0.0, 1.0, nan}, default=0.0
        The value of a rate whose denominator is zero (e.g. the FPR of a class when every sample
        belongs to it). No warning is issued.

    Returns
    -------
    rates : dict of ndarray
        ``"labels"`` and, per class:

        - ``"tpr"`` = TP / (TP + FN): recall, sensitivity;
        - ``"tnr"`` = TN / (TN + FP): specificity;
        - ``"fpr"`` = FP / (FP + TN) = 1 - TNR;
        - ``"fnr"`` = FN / (FN + TP) = 1 - TPR;
        - ``"ppv"`` = TP / (TP + FP): precision;
        - ``"npv"`` = TN / (TN + FN);
        - ``"accuracy"`` = (TP + TN) / n_samples, the class against the rest. The accuracy of
          the whole labelling is :func:`accuracy`.
    """
    zero = check_zero_division(zero_division)
    c = per_class_counts(y_true, y_pred, labels=labels)
    tp, fp, fn, tn = c["tp"], c["fp"], c["fn"], c["tn"]
    return {
        "labels": c["labels"],
        "tpr": divide(tp, tp + fn, zero),
        "tnr": divide(tn, tn + fp, zero),
        "fpr": divide(fp, fp + tn, zero),
        "fnr": divide(fn, fn + tp, zero),
        "ppv": divide(tp, tp + fp, zero),
        "npv": divide(tn, tn + fn, zero),
        "accuracy": divide(tp + tn, tp + fp + fn + tn, zero),
    }


def accuracy(y_true: Any, y_pred: Any) -> float:
    """Fraction of samples whose predicted label equals the true label.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        True and predicted labels.

    Returns
    -------
    float

    Examples
    --------
    >>> accuracy([0, 1, 2, 2], [0, 2, 2, 2])
    0.75
    """
    yt = check_labels(y_true, name="y_true")
    yp = check_labels(y_pred, name="y_pred")
    check_same_length(yt, yp, names=("y_true", "y_pred"))
    check_same_kind(yt, yp, names=("y_true", "y_pred"))
    return float(np.count_nonzero(yt == yp) / yt.shape[0])
