"""Precision, recall, F1 and the classification report, all from one pass of class counts.

The numbers and the report text equal scikit-learn's (``precision_recall_fscore_support`` and
``classification_report``) for the same input. One behaviour differs on purpose: where
scikit-learn warns that a ratio is ill-defined (a class never predicted, a class absent from
``y_true``), cnnlab returns ``zero_division`` silently; its default, 0.0, is the number
scikit-learn returns with the warning.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cnnlab.errors import UsageError

from .._validation import check_choice, check_int
from ._confusion import ClassTotals, class_totals
from ._labels import check_zero_division, divide

AVERAGE_CHOICES = (None, "micro", "macro", "weighted", "binary")
_HEADERS = ("precision", "recall", "f1-score", "support")


def _scores(totals: ClassTotals, *, micro: bool, zero: float):
    tp, pred, true = totals.tp, totals.pred, totals.true
    if micro:
        tp, pred, true = tp.sum(keepdims=True), pred.sum(keepdims=True), true.sum(keepdims=True)
    precision = divide(tp, pred, zero)
    recall = divide(tp, true, zero)
    # F1 from the counts, 2TP / (2TP + FP + FN): defined even where precision is not.
    f1 = divide(2.0 * tp, true + pred, zero)
    return precision, recall, f1


def _average(values: np.ndarray, weights: np.ndarray | None) -> float:
    # NaN entries (zero_division=nan) are left out; all-zero weights fall back to a plain mean.
    keep = ~np.isnan(values)
    if not keep.any():
        return float("nan")
    values = values[keep]
    if weights is not None:
        weights = np.asarray(weights, dtype=np.float64)[keep]
        if weights.sum() != 0:
            return float((values * weights).sum() / weights.sum())
    return float(values.mean())


def _summarise(totals: ClassTotals, average: str | None, zero: float):
    precision, recall, f1 = _scores(totals, micro=average == "micro", zero=zero)
    if average is None:
        return precision, recall, f1, totals.true
    weights = totals.true if average == "weighted" else None
    return (
        _average(precision, weights),
        _average(recall, weights),
        _average(f1, weights),
        None,
    )


def _binary_labels(present: np.ndarray, pos_label: Any) -> list:
    if present.shape[0] > 2:
        raise UsageError(
            f"average='binary' needs at most two classes, but y_true and y_pred hold "
            f"{present.shape[0]} ({present.tolist()[:10]}); choose average=None, 'micro', "
            "'macro' or 'weighted'"
        )
    wrong_kind = isinstance(pos_label, str) != (present.dtype.kind == "U")
    if wrong_kind or (present.shape[0] == 2 and pos_label not in present.tolist()):
        raise UsageError(
            f"pos_label={pos_label!r} is not one of the classes {present.tolist()}; "
            "pass pos_label= the positive class"
        )
    return [pos_label]


def precision_recall_f1(
    y_true: Any,
    y_pred: Any,
    *,
    average: str | None = None,
    labels: Any = None,
    pos_label: Any = 1,
    zero_division: float = 0.0,
):
    """Precision, recall, F1 score and support of each class, or their average.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        True and predicted labels (integers or strings); lists, numpy arrays, torch or
        TensorFlow tensors.
    average : {None, "micro", "macro", "weighted", "binary"}, default=None
        ``None`` returns one value per class. ``"micro"`` pools the counts of all classes,
        ``"macro"`` is the unweighted mean over classes, ``"weighted"`` the mean weighted by
        support, ``"binary"`` the scores of ``pos_label`` alone (two classes at most).
    labels : array-like, default=None
        Classes to score, in this order; by default the sorted labels of both arguments.
    pos_label : int or str, default=1
        The positive class when ``average="binary"``.
    zero_division : {0.0, 1.0, nan}, default=0.0
        Value of a ratio whose denominator is zero: the precision of a class never predicted,
        the recall of a class absent from ``y_true``, the F1 of a class in neither. NaN values
        are left out of averages. No warning is issued.

    Returns
    -------
    precision, recall, f1 : float or ndarray of shape (n_classes,)
    support : ndarray of shape (n_classes,) or None
        Samples of each class in ``y_true``; ``None`` when averaged (as in scikit-learn's
        ``precision_recall_fscore_support``).

    Raises
    ------
    ValueError
        On mismatched lengths, an unknown ``average``, ``average="binary"`` with more than two
        classes or an absent ``pos_label``, or an invalid ``zero_division``.

    Examples
    --------
    >>> p, r, f, s = precision_recall_f1([0, 1, 1, 2], [0, 1, 2, 2])
    >>> p.tolist(), r.tolist(), s.tolist()
    ([1.0, 1.0, 0.5], [1.0, 0.5, 1.0], [1, 2, 1])
    >>> precision_recall_f1([0, 1, 1, 2], [0, 1, 2, 2], average="macro")[0]
    0.8333333333333334
    """
    check_choice(average, name="average", choices=AVERAGE_CHOICES)
    zero = check_zero_division(zero_division)
    if average == "binary":
        present = class_totals(y_true, y_pred).present
        labels = _binary_labels(present, pos_label)
    totals = class_totals(y_true, y_pred, labels=labels)
    return _summarise(totals, average, zero)


def classification_report(
    y_true: Any,
    y_pred: Any,
    *,
    labels: Any = None,
    target_names: Any = None,
    digits: int = 2,
    output_dict: bool = False,
    zero_division: float = 0.0,
):
    """Precision, recall, F1 and support per class, with accuracy and the averages.

    The text and the dict equal scikit-learn's ``classification_report`` for the same input,
    character for character.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        True and predicted labels.
    labels : array-like, default=None
        Classes to report, in this order. When they leave out a class found in the data, the
        ``accuracy`` row becomes ``micro avg`` over the listed classes.
    target_names : sequence of str, default=None
        Display names of the classes, one per label; by default ``str(label)``.
    digits : int, default=2
        Decimal places of the floats in the text (the dict is not rounded).
    output_dict : bool, default=False
        Return a dict ``{name: {"precision", "recall", "f1-score", "support"}, "accuracy": x,
        "macro avg": {...}, "weighted avg": {...}}`` instead of text. Supports are floats there,
        as in scikit-learn.
    zero_division : {0.0, 1.0, nan}, default=0.0
        See :func:`precision_recall_f1`.

    Returns
    -------
    str or dict

    Raises
    ------
    ValueError
        On mismatched lengths, a ``target_names`` whose length differs from the number of
        classes, or a negative ``digits``.

    Examples
    --------
    >>> print(classification_report(["cat", "dog", "dog"], ["cat", "cat", "dog"]))
                  precision    recall  f1-score   support
    <BLANKLINE>
             cat       0.50      1.00      0.67         1
             dog       1.00      0.50      0.67         2
    <BLANKLINE>
        accuracy                           0.67         3
       macro avg       0.75      0.75      0.67         3
    weighted avg       0.83      0.67      0.67         3
    <BLANKLINE>
    """
    digits = check_int(digits, name="digits", low=0)
    zero = check_zero_division(zero_division)
    totals = class_totals(y_true, y_pred, labels=labels)
    if target_names is None:
        names = [str(label) for label in totals.labels.tolist()]
    else:
        names = [str(name) for name in target_names]
        if len(names) != totals.labels.shape[0]:
            raise UsageError(
                f"target_names has {len(names)} names but there are {totals.labels.shape[0]} "
                f"classes ({totals.labels.tolist()[:10]}); give one name per class, or pass "
                "labels= to choose the classes"
            )
    # The pooled row is the accuracy unless labels= leaves out a class found in the data.
    micro_name = "accuracy"
    if labels is not None and not set(totals.present.tolist()) <= set(totals.labels.tolist()):
        micro_name = "micro avg"

    per_class = _summarise(totals, None, zero)
    total_support = int(totals.true.sum())
    summary = {
        micro_name: _summarise(totals, "micro", zero)[:3],
        "macro avg": _summarise(totals, "macro", zero)[:3],
        "weighted avg": _summarise(totals, "weighted", zero)[:3],
    }
    if output_dict:
        return _report_dict(names, per_class, summary, total_support)
    # scikit-learn's supports turn into floats ("1.0") when no prediction at all is right; the
    # text follows suit so that it stays identical.
    support_type = float if totals.n_correct == 0 else int
    return _report_text(
        names, per_class, summary, support_type(total_support), digits, support_type
    )


def _report_dict(names, per_class, summary, total_support) -> dict:
    report = {}
    for name, *values in zip(names, *per_class, strict=True):
        report[name] = {h: float(v) for h, v in zip(_HEADERS, values, strict=True)}
    for name, (p, r, f) in summary.items():
        if name == "accuracy":
            report[name] = float(p)
        else:
            report[name] = dict(zip(_HEADERS, (p, r, f, float(total_support)), strict=True))
    return report


def _report_text(names, per_class, summary, total_support, digits, support_type) -> str:
    # Column layout: names right-aligned to the longest name (at least "weighted avg"), then
    # four columns of width 9, each preceded by one space, after one more space.
    width = max([len(n) for n in names] + [len("weighted avg"), digits])

    def line(name, cells):
        return f"{name:>{width}} " + "".join(f" {cell:>9}" for cell in cells) + "\n"

    def number(x):
        return f"{x:.{digits}f}"

    text = line("", _HEADERS) + "\n"
    for name, p, r, f, s in zip(names, *per_class, strict=True):
        text += line(name, [number(p), number(r), number(f), support_type(s)])
    text += "\n"
    for name, (p, r, f) in summary.items():
        if name == "accuracy":
            text += line(name, ["", "", number(f), total_support])
        else:
            text += line(name, [number(p), number(r), number(f), total_support])
    return text
