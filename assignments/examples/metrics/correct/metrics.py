"""A correct submission, written differently from the instructor's solution (loops, sorting)."""

import numpy as np


def confusion_matrix(y_true, y_pred, num_classes):
    cm = np.zeros((num_classes, num_classes), dtype=np.int64)
    for t, p in zip(np.asarray(y_true), np.asarray(y_pred)):
        cm[int(t), int(p)] += 1
    return cm


def _safe_div(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return np.where(b > 0, a / np.where(b > 0, b, 1), 0.0)


def precision_recall_f1(y_true, y_pred, num_classes, average="macro"):
    cm = confusion_matrix(y_true, y_pred, num_classes)
    tp, pred, true = np.diag(cm), cm.sum(0), cm.sum(1)
    if average == "micro":
        p = float(_safe_div(tp.sum(), pred.sum()))
        r = float(_safe_div(tp.sum(), true.sum()))
        return p, r, float(_safe_div(2 * p * r, p + r))
    p, r = _safe_div(tp, pred), _safe_div(tp, true)
    f = _safe_div(2 * p * r, p + r)
    if average is None:
        return p, r, f
    weights = np.ones(num_classes) / num_classes if average == "macro" else true / true.sum()
    return float(p @ weights), float(r @ weights), float(f @ weights)


def top_k_accuracy(y_true, scores, k):
    scores = np.asarray(scores)
    y_true = np.asarray(y_true)
    true_score = scores[np.arange(len(y_true)), y_true]
    # the true class is in the top k when fewer than k classes score strictly higher
    higher = (scores > true_score[:, None]).sum(axis=1)
    return float(np.mean(higher < k))


def roc_auc_ovr(y_true, scores):
    y_true, scores = np.asarray(y_true), np.asarray(scores)
    aucs = []
    for c in range(scores.shape[1]):
        pos, neg = scores[y_true == c, c], scores[y_true != c, c]
        greater = (pos[:, None] > neg[None, :]).sum()
        equal = (pos[:, None] == neg[None, :]).sum()
        aucs.append((greater + 0.5 * equal) / (len(pos) * len(neg)))
    return float(np.mean(aucs))
