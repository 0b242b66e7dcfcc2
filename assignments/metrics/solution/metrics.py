"""Instructor solution of the metrics assignment (numpy only)."""

import numpy as np


def confusion_matrix(y_true, y_pred, num_classes):
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    flat = y_true * num_classes + y_pred
    return np.bincount(flat, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def _ratio(numerator, denominator):
    numerator = np.asarray(numerator, dtype=np.float64)
    denominator = np.asarray(denominator, dtype=np.float64)
    out = np.zeros_like(numerator)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def precision_recall_f1(y_true, y_pred, num_classes, average="macro"):
    cm = confusion_matrix(y_true, y_pred, num_classes)
    tp = np.diag(cm)
    predicted = cm.sum(axis=0)
    support = cm.sum(axis=1)
    if average == "micro":
        p = r = _ratio(tp.sum(), predicted.sum())
        return float(p), float(r), float(_ratio(2 * p * r, p + r))
    precision = _ratio(tp, predicted)
    recall = _ratio(tp, support)
    f1 = _ratio(2 * precision * recall, precision + recall)
    if average is None:
        return precision, recall, f1
    if average == "macro":
        return float(precision.mean()), float(recall.mean()), float(f1.mean())
    if average == "weighted":
        w = support / support.sum()
        return float(precision @ w), float(recall @ w), float(f1 @ w)
    raise ValueError(f"average must be None, 'micro', 'macro' or 'weighted', got {average!r}")


def top_k_accuracy(y_true, scores, k):
    y_true = np.asarray(y_true)
    scores = np.asarray(scores, dtype=np.float64)
    top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return float((top == y_true[:, None]).any(axis=1).mean())


def _binary_auc(positive, score):
    # Mann-Whitney U with average ranks: ties between a positive and a negative count 1/2.
    order = np.argsort(score, kind="mergesort")
    ranks = np.empty(len(score), dtype=np.float64)
    sorted_scores = score[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_scores)) + 1]
    ends = np.r_[starts[1:], len(score)]
    for start, end in zip(starts, ends, strict=True):
        ranks[order[start:end]] = (start + end + 1) / 2.0
    n_pos = positive.sum()
    n_neg = len(score) - n_pos
    return (ranks[positive].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg)


def roc_auc_ovr(y_true, scores):
    y_true = np.asarray(y_true)
    scores = np.asarray(scores, dtype=np.float64)
    aucs = [_binary_auc(y_true == c, scores[:, c]) for c in range(scores.shape[1])]
    return float(np.mean(aucs))
