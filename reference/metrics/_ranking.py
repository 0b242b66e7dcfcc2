"""Metrics of ranked scores: top-k accuracy, ROC curves and the area under them.

Results equal scikit-learn's ``top_k_accuracy_score``, ``roc_curve`` and ``roc_auc_score``,
including how ties are resolved. The deliberate differences: a class with no positive (or no
negative) samples raises ``ValueError`` where scikit-learn warns and returns NaN; so does ``k``
above the number of classes; logits are accepted where scikit-learn demands probabilities (they
go through a softmax first); and two score columns are accepted for a binary problem.

The areas are computed from rank counts (the Mann-Whitney statistic, ties counting one half),
which equals the trapezoidal area under the ROC curve: one sort per class, no curve built.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cnnlab.errors import UsageError

from .._validation import check_choice, check_int
from ._labels import (
    check_given_labels,
    check_labels,
    check_same_kind,
    check_same_length,
    check_scores,
    encode,
)

ROC_AVERAGE_CHOICES = ("macro", "micro", "weighted", None)
MULTI_CLASS_CHOICES = ("ovr",)

# Elements per block when a score matrix is processed piecewise: bounded temporaries (32 MB of
# float64) whatever the input size.
_BLOCK = 1 << 22


def _column_classes(y_true: np.ndarray, labels: Any, scores: np.ndarray) -> np.ndarray:
    """The class of each score column: ``labels`` or the sorted classes of ``y_true``.

    1-D scores stand for the greater of two classes, so they count as two columns.
    """
    n_columns = 2 if scores.ndim == 1 else scores.shape[1]
    width = "is 1-D (two classes)" if scores.ndim == 1 else f"has {n_columns} columns"
    if labels is not None:
        classes = check_given_labels(labels, like=y_true)
        if classes.shape[0] != n_columns:
            raise UsageError(
                f"labels has {_classes(classes.shape[0])} but scores {width}; give the class "
                "of every score column, in column order"
            )
        return classes
    classes = np.unique(y_true)
    if classes.shape[0] != n_columns:
        raise UsageError(
            f"y_true holds {_classes(classes.shape[0])} but scores {width}; pass labels= "
            "listing the class of every score column, in column order"
        )
    return classes


def _classes(n: int) -> str:
    return f"{n} class" if n == 1 else f"{n} classes"


def _true_index(y_true: np.ndarray, classes: np.ndarray) -> np.ndarray:
    index, found = encode(y_true, classes)
    if found is not None:
        missing = np.unique(y_true[~found]).tolist()
        raise UsageError(f"y_true holds {missing[:10]}, which labels does not list")
    return index


def _as_probabilities(scores: np.ndarray) -> np.ndarray:
    """Rows that sum to one are probabilities; anything outside [0, 1] is a logit: softmax."""
    if scores.min() >= 0 and scores.max() <= 1:
        sums = scores.sum(axis=1, dtype=np.float64)
        if np.allclose(sums, 1.0, rtol=1e-5, atol=1e-8):
            return scores
        raise UsageError(
            f"scores are all in [0, 1] but their rows sum to {sums.min():.6g} ... "
            f"{sums.max():.6g}, not 1; pass probabilities (softmax outputs) or raw logits"
        )
    shifted = scores - scores.max(axis=1, keepdims=True)
    np.exp(shifted, out=shifted)
    shifted /= shifted.sum(axis=1, keepdims=True)
    return shifted


# --------------------------------------------------------------------------------- top-k


def _top_k_hits(scores: np.ndarray, true_index: np.ndarray, k: int) -> int:
    """Count rows whose true class is among the ``k`` highest scores.

    Class j ranks ahead of the true class t when s_j > s_t, or s_j == s_t and j > t: ties go to
    the higher column, the order of scikit-learn's stable ascending sort read backwards. The
    rank is counted, not sorted for, block by block.
    """
    n, n_classes = scores.shape
    columns = np.arange(n_classes)
    rows = max(1, _BLOCK // n_classes)
    hits = 0
    for start in range(0, n, rows):
        block = scores[start : start + rows]
        t = true_index[start : start + rows]
        own = block[np.arange(block.shape[0]), t][:, None]
        ahead = np.count_nonzero(block > own, axis=1)
        tied = block == own
        n_tied = np.count_nonzero(tied, axis=1)
        rank = ahead
        if (n_tied > 1).any():  # only rows with ties need the column order
            some = np.flatnonzero(n_tied > 1)
            after = tied[some] & (columns > t[some, None])
            rank[some] += np.count_nonzero(after, axis=1)
        hits += int(np.count_nonzero(rank < k))
    return hits


def top_k_accuracy(y_true: Any, scores: Any, *, k: int = 5, labels: Any = None) -> float:
    """Fraction of samples whose true class is among the ``k`` highest-scored classes.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels (integers or strings).
    scores : array-like of shape (n_samples, n_classes) or (n_samples,)
        Probabilities or logits, one column per class (a softmax changes no ranking). A 1-D
        array is the score of the greater class of a binary problem: with ``k=1`` it predicts
        that class above 0.5 for probabilities in [0, 1], above 0 otherwise.
    k : int, default=5
        Number of top-ranked classes that count as a hit; 1 <= k <= n_classes.
    labels : array-like of shape (n_classes,), default=None
        The class of each score column, in column order; by default the sorted classes of
        ``y_true`` (which must then hold every class).

    Returns
    -------
    float

    Raises
    ------
    ValueError
        On mismatched lengths, NaN or infinite scores, a score width that does not match the
        classes, labels of ``y_true`` missing from ``labels``, or ``k`` out of range.

    Notes
    -----
    Tied scores are ranked by column, the later column first, as scikit-learn's
    ``top_k_accuracy_score`` does.

    Examples
    --------
    The lecture example: Cat .25, Dog .40, Fox .20, Wolf .10, Tiger .05 and the truth is Fox.

    >>> scores = [[0.25, 0.40, 0.20, 0.10, 0.05]]
    >>> top_k_accuracy([2], scores, k=1, labels=[0, 1, 2, 3, 4])
    0.0
    >>> top_k_accuracy([2], scores, k=3, labels=[0, 1, 2, 3, 4])
    1.0
    """
    yt = check_labels(y_true, name="y_true")
    s = check_scores(scores)
    check_same_length(yt, s, names=("y_true", "scores"))
    if s.ndim == 2 and s.shape[1] == 1:
        s = s[:, 0]
    n_columns = 2 if s.ndim == 1 else s.shape[1]
    classes = _column_classes(yt, labels, s)
    k = check_int(k, name="k", low=1, high=n_columns, why=f" (scores has {n_columns} classes)")
    index = _true_index(yt, classes)
    if s.ndim == 1:
        if k >= 2:
            return 1.0
        threshold = 0.5 if s.min() >= 0 and s.max() <= 1 else 0.0
        return float(np.count_nonzero((s > threshold) == (index == 1)) / yt.shape[0])
    return float(_top_k_hits(s, index, k) / yt.shape[0])


# ----------------------------------------------------------------------------- ROC curve


def _positive_mask(y_true: np.ndarray, pos_label: Any) -> np.ndarray:
    classes = np.unique(y_true)
    if pos_label is None:
        implied = classes.dtype.kind != "U" and (
            set(classes.tolist()) <= {0, 1} or set(classes.tolist()) <= {-1, 1}
        )
        if not implied:
            raise UsageError(
                f"y_true holds the classes {classes.tolist()[:10]}; pass pos_label= the "
                "positive class (it is implied only for {0, 1} and {-1, 1})"
            )
        pos_label = 1
    else:
        check_same_kind(classes, np.asarray([pos_label]), names=("y_true", "pos_label"))
    positive = y_true == pos_label
    n_pos = int(np.count_nonzero(positive))
    if n_pos == 0:
        raise UsageError(
            f"y_true has no sample of the positive class pos_label={pos_label!r}, so the true "
            "positive rate (and the ROC curve) is undefined"
        )
    if n_pos == y_true.shape[0]:
        raise UsageError(
            f"every sample of y_true is of the positive class pos_label={pos_label!r}, so the "
            "false positive rate (and the ROC curve) is undefined"
        )
    return positive


def _roc_points(positive: np.ndarray, scores: np.ndarray, drop_intermediate: bool = True):
    order = np.argsort(scores)[::-1]  # tie order is irrelevant: ties form one threshold
    ranked = scores[order]
    # The last index of every run of equal scores is a threshold.
    ends = np.append(np.flatnonzero(ranked[1:] != ranked[:-1]), ranked.shape[0] - 1)
    tps = np.cumsum(positive[order], dtype=np.float64)[ends]
    fps = (ends + 1) - tps
    thresholds = ranked[ends].astype(np.float64)
    if drop_intermediate and tps.shape[0] > 2:
        # A point where neither count bends lies on a straight segment: it changes no area.
        corner = (np.diff(fps, 2) != 0) | (np.diff(tps, 2) != 0)
        keep = np.concatenate([[True], corner, [True]])
        tps, fps, thresholds = tps[keep], fps[keep], thresholds[keep]
    fpr = np.concatenate([[0.0], fps]) / fps[-1]
    tpr = np.concatenate([[0.0], tps]) / tps[-1]
    return fpr, tpr, np.concatenate([[np.inf], thresholds])


def roc_curve(y_true: Any, scores: Any, *, pos_label: Any = None, drop_intermediate: bool = True):
    """Receiver operating characteristic of a binary (or one-vs-rest) problem.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    scores : array-like of shape (n_samples,)
        Score of the positive class (probability, logit or any monotone score). For class ``j``
        of a score matrix pass ``scores[:, j]`` with ``pos_label=`` that class.
    pos_label : int or str, default=None
        The positive class; may be left out only when the classes are {0, 1} or {-1, 1}.
    drop_intermediate : bool, default=True
        Drop thresholds that lie on a straight segment of the curve (they change no area), as
        scikit-learn does.

    Returns
    -------
    fpr, tpr : ndarray of shape (n_thresholds,)
        False and true positive rates, from (0, 0) to (1, 1).
    thresholds : ndarray of shape (n_thresholds,)
        Decreasing score thresholds; the first is ``inf`` (nothing predicted positive).

    Raises
    ------
    ValueError
        On mismatched lengths, NaN or infinite scores, a 2-D score matrix, a missing
        ``pos_label``, or a ``y_true`` without positive or without negative samples (where
        scikit-learn returns NaN rates with a warning).

    Examples
    --------
    >>> fpr, tpr, thresholds = roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> fpr.tolist(), tpr.tolist(), thresholds.tolist()
    ([0.0, 0.0, 0.5, 0.5, 1.0], [0.0, 0.5, 0.5, 1.0, 1.0], [inf, 0.8, 0.4, 0.35, 0.1])
    """
    yt = check_labels(y_true, name="y_true")
    s = check_scores(scores)
    if s.ndim == 2:
        if s.shape[1] != 1:
            raise UsageError(
                f"scores must be 1-D for roc_curve, got shape {s.shape}; for class j of a "
                "score matrix pass scores[:, j] and pos_label= that class"
            )
        s = s[:, 0]
    check_same_length(yt, s, names=("y_true", "scores"))
    return _roc_points(_positive_mask(yt, pos_label), s, drop_intermediate)


# ------------------------------------------------------------------------------- ROC AUC


def _auc_from_counts(sorted_pos, below_all, upto_all, n_neg: int) -> float:
    # Negatives ranked below each positive, and tied with it (each tie counts one half).
    below_pos = np.searchsorted(sorted_pos, sorted_pos, "left")
    upto_pos = np.searchsorted(sorted_pos, sorted_pos, "right")
    neg_below = int((below_all - below_pos).sum())
    neg_tied = int(((upto_all - below_all) - (upto_pos - below_pos)).sum())
    n_pos = sorted_pos.shape[0]
    return (2 * neg_below + neg_tied) / (2 * n_pos * n_neg)  # exact ints, one rounding


def _binary_auc(positive: np.ndarray, scores: np.ndarray, name: str) -> float:
    n_pos = int(np.count_nonzero(positive))
    _check_both_sides(n_pos, scores.shape[0], name)
    ranked = np.sort(scores)
    pos = np.sort(scores[positive])
    below = np.searchsorted(ranked, pos, "left")
    upto = np.searchsorted(ranked, pos, "right")
    return _auc_from_counts(pos, below, upto, scores.shape[0] - n_pos)


def _check_both_sides(n_pos: int, n: int, name: str) -> None:
    if n_pos == 0:
        raise UsageError(
            f"class {name} has no positive samples in y_true, so its ROC curve and AUC are "
            "undefined; drop its score column (and its label) or use average='micro'"
        )
    if n_pos == n:
        raise UsageError(
            f"every sample of y_true is of class {name}, so the false positive rate is "
            "undefined and ROC AUC cannot be computed"
        )


def _ovr_aucs(
    index: np.ndarray, probs: np.ndarray, classes: np.ndarray, *, skip_absent: bool = False
) -> np.ndarray:
    """Per-class AUCs; with ``skip_absent``, a class absent from ``y_true`` gets 0 (weight 0)."""
    n, n_classes = probs.shape
    support = np.bincount(index, minlength=n_classes)
    undefined = np.flatnonzero(((support == 0) & (not skip_absent)) | (support == n))
    if undefined.size:
        c = int(undefined[0])
        _check_both_sides(int(support[c]), n, f"{classes[c].item()!r} (column {c} of scores)")
    by_class = np.argsort(index, kind="stable")
    starts = np.concatenate([[0], np.cumsum(support)])
    aucs = np.empty(n_classes)
    width = max(1, _BLOCK // n)
    for c0 in range(0, n_classes, width):
        # One sort per class: a block of columns, copied transposed so that each column sorts
        # contiguously (always a copy: the caller's array must not be sorted in place).
        block = np.array(probs[:, c0 : c0 + width].T, order="C", copy=True)
        block.sort(axis=1)
        for j, ranked in enumerate(block):
            c = c0 + j
            if support[c] == 0:
                aucs[c] = 0.0
                continue
            pos = np.sort(probs[by_class[starts[c] : starts[c + 1]], c])
            below = np.searchsorted(ranked, pos, "left")
            upto = np.searchsorted(ranked, pos, "right")
            aucs[c] = _auc_from_counts(pos, below, upto, n - int(support[c]))
    return aucs


def _micro_auc(index: np.ndarray, probs: np.ndarray) -> float:
    """AUC of all (sample, class) pairs pooled: one positive per row, the rest negatives."""
    n, n_classes = probs.shape
    pos = np.sort(probs[np.arange(n), index])
    below = np.zeros(n, dtype=np.int64)
    upto = np.zeros(n, dtype=np.int64)
    rows = max(1, _BLOCK // n_classes)
    for start in range(0, n, rows):  # counts add up over blocks; no sort of the whole matrix
        ranked = np.sort(probs[start : start + rows], axis=None)
        below += np.searchsorted(ranked, pos, "left")
        upto += np.searchsorted(ranked, pos, "right")
    return _auc_from_counts(pos, below, upto, n * (n_classes - 1))


def _prepare_auc(y_true, scores, labels):
    yt = check_labels(y_true, name="y_true")
    s = check_scores(scores)
    check_same_length(yt, s, names=("y_true", "scores"))
    if s.ndim == 2 and s.shape[1] == 1:
        s = s[:, 0]
    if s.ndim == 1 and labels is None and np.unique(yt).shape[0] > 2:
        raise UsageError(
            f"y_true holds {np.unique(yt).shape[0]} classes but scores is 1-D; pass one score "
            "column per class, shape (n_samples, n_classes)"
        )
    if s.ndim == 1 and labels is None and np.unique(yt).shape[0] < 2:
        _check_both_sides(yt.shape[0], yt.shape[0], repr(yt[0].item()))
    classes = _column_classes(yt, labels, s)
    if classes.shape[0] < 2:
        raise UsageError("ROC AUC needs at least two classes; scores has one column")
    return s, classes, _true_index(yt, classes)


def roc_auc(
    y_true: Any,
    scores: Any,
    *,
    multi_class: str = "ovr",
    average: str | None = "macro",
    labels: Any = None,
):
    """Area under the ROC curve, binary or one-vs-rest for several classes.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    scores : array-like of shape (n_samples, n_classes) or (n_samples,)
        One column per class: probabilities (rows summing to 1) or logits (anything outside
        [0, 1]; a softmax turns them into probabilities first, since one-vs-rest ranks samples
        by the probability of each class). A 1-D array is the score of the greater class of a
        binary problem, and may be any monotone score.
    multi_class : {"ovr"}, default="ovr"
        One class against the rest (one-vs-one is not provided).
    average : {"macro", "micro", "weighted", None}, default="macro"
        With more than two classes: the mean of the per-class AUCs, the AUC of all
        (sample, class) pairs pooled, the mean weighted by support (a class absent from
        ``y_true`` weighs nothing), or the per-class AUCs.
        A binary problem always returns one AUC, that of the greater class.
    labels : array-like of shape (n_classes,), default=None
        The class of each score column, in column order; by default the sorted classes of
        ``y_true``.

    Returns
    -------
    float, or ndarray of shape (n_classes,) when ``average=None``

    Raises
    ------
    ValueError
        On mismatched lengths, NaN or infinite scores, a score width that does not match the
        classes, probabilities whose rows do not sum to one, or a class with no positive
        samples (where scikit-learn returns NaN with a warning) unless ``average`` is
        ``"micro"`` or ``"weighted"``.

    Examples
    --------
    >>> roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    """
    check_choice(multi_class, name="multi_class", choices=MULTI_CLASS_CHOICES)
    check_choice(average, name="average", choices=ROC_AVERAGE_CHOICES)
    s, classes, index = _prepare_auc(y_true, scores, labels)
    if s.ndim == 1:
        return _binary_auc(index == 1, s, repr(classes[1].item()))
    probs = _as_probabilities(s)
    if classes.shape[0] == 2:
        return _binary_auc(index == 1, probs[:, 1], repr(classes[1].item()))
    if average == "micro":
        return _micro_auc(index, probs)
    aucs = _ovr_aucs(index, probs, classes, skip_absent=average == "weighted")
    if average is None:
        return aucs
    if average == "macro":
        return float(aucs.mean())
    support = np.bincount(index, minlength=classes.shape[0]).astype(np.float64)
    return float((aucs * support).sum() / support.sum())


def ovr_roc_curves(
    y_true: Any, scores: Any, *, labels: Any = None, skip_undefined: bool = False
) -> dict:
    """ROC curves of every class against the rest, and their micro and macro averages.

    The record the ROC plot draws (``cnnlab.reports.plots_metrics.plot_roc_curves``).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    scores : array-like of shape (n_samples, n_classes) or (n_samples,)
        As for :func:`roc_auc`.
    labels : array-like of shape (n_classes,), default=None
        The class of each score column; by default the sorted classes of ``y_true``.
    skip_undefined : bool, default=False
        Leave out classes with no positive (or no negative) sample instead of raising; the
        macro average is then over the remaining classes and its name says how many.

    Returns
    -------
    dict
        ``{"labels": [...], "undefined": [...], "curves": [{"name", "fpr", "tpr", "auc"}, ...]}``:
        one curve per class (for a binary problem, the greater class alone), then
        ``"micro-average"`` (all (sample, class) pairs pooled) and ``"macro-average"`` (the
        per-class TPRs averaged on the union of their FPRs; its ``auc`` is the mean of the
        per-class AUCs, the number ``roc_auc(average="macro")`` returns).
    """
    s, classes, index = _prepare_auc(y_true, scores, labels)
    names = [str(c) for c in classes.tolist()]
    if s.ndim == 1 or classes.shape[0] == 2:
        positive_scores = s if s.ndim == 1 else _as_probabilities(s)[:, 1]
        auc = _binary_auc(index == 1, positive_scores, repr(classes[1].item()))
        fpr, tpr, _ = _roc_points(index == 1, positive_scores)
        curve = {"name": names[1], "fpr": fpr, "tpr": tpr, "auc": auc}
        return {"labels": names, "undefined": [], "curves": [curve]}
    probs = _as_probabilities(s)
    n, n_classes = probs.shape
    support = np.bincount(index, minlength=n_classes)
    defined = (support > 0) & (support < n)
    if not skip_undefined and not defined.all():
        c = int(np.flatnonzero(~defined)[0])
        _check_both_sides(int(support[c]), n, f"{classes[c].item()!r} (column {c} of scores)")
    curves = []
    for c in np.flatnonzero(defined):
        positive = index == c
        fpr, tpr, _ = _roc_points(positive, probs[:, c])
        auc = _binary_auc(positive, probs[:, c], names[c])
        curves.append({"name": names[c], "fpr": fpr, "tpr": tpr, "auc": auc})
    onehot = np.zeros(probs.shape, dtype=bool)
    onehot[np.arange(n), index] = True
    fpr, tpr, _ = _roc_points(onehot.ravel(), probs.ravel())
    micro = {"name": "micro-average", "fpr": fpr, "tpr": tpr, "auc": _micro_auc(index, probs)}
    curves_out = list(curves)
    curves_out.append(micro)
    if curves:
        grid = np.unique(np.concatenate([curve["fpr"] for curve in curves]))
        mean_tpr = np.mean([np.interp(grid, cv["fpr"], cv["tpr"]) for cv in curves], axis=0)
        name = "macro-average"
        if len(curves) < n_classes:
            name += f" ({len(curves)} of {n_classes} classes)"
        macro_auc = float(np.mean([cv["auc"] for cv in curves]))
        curves_out.append({"name": name, "fpr": grid, "tpr": mean_tpr, "auc": macro_auc})
    undefined = [names[c] for c in np.flatnonzero(~defined)]
    return {"labels": names, "undefined": undefined, "curves": curves_out}
