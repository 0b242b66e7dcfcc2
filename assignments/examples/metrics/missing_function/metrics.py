"""Broken in part: roc_auc_ovr is missing; the other three are correct."""

import numpy as np


def confusion_matrix(y_true, y_pred, num_classes):
    idx = np.asarray(y_true) * num_classes + np.asarray(y_pred)
    return np.bincount(idx, minlength=num_classes**2).reshape(num_classes, num_classes)


def precision_recall_f1(y_true, y_pred, num_classes, average="macro"):
    cm = confusion_matrix(y_true, y_pred, num_classes)
    tp, pred, true = np.diag(cm).astype(float), cm.sum(0), cm.sum(1)
    if average == "micro":
        p = r = tp.sum() / max(pred.sum(), 1)
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)
    p = np.divide(tp, pred, out=np.zeros_like(tp), where=pred > 0)
    r = np.divide(tp, true, out=np.zeros_like(tp), where=true > 0)
    f = np.divide(2 * p * r, p + r, out=np.zeros_like(tp), where=(p + r) > 0)
    if average is None:
        return p, r, f
    w = np.full(num_classes, 1 / num_classes) if average == "macro" else true / true.sum()
    return float(p @ w), float(r @ w), float(f @ w)


def top_k_accuracy(y_true, scores, k):
    top = np.argsort(-np.asarray(scores), axis=1)[:, :k]
    return float((top == np.asarray(y_true)[:, None]).any(axis=1).mean())
