"""Partly wrong: averages only over the classes that occur, and top-k is off by one."""

import numpy as np


def confusion_matrix(y_true, y_pred, num_classes):
    cm = np.zeros((num_classes, num_classes), dtype=int)
    np.add.at(cm, (np.asarray(y_true), np.asarray(y_pred)), 1)
    return cm


def precision_recall_f1(y_true, y_pred, num_classes, average="macro"):
    cm = confusion_matrix(y_true, y_pred, num_classes)
    present = (cm.sum(0) + cm.sum(1)) > 0
    tp = np.diag(cm).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.nan_to_num(tp / cm.sum(0))
        r = np.nan_to_num(tp / cm.sum(1))
        f = np.nan_to_num(2 * p * r / (p + r))
    if average is None:
        return p, r, f
    # wrong: classes that never occur are left out, and micro/weighted are treated as macro
    return float(p[present].mean()), float(r[present].mean()), float(f[present].mean())


def top_k_accuracy(y_true, scores, k):
    top = np.argsort(-np.asarray(scores), axis=1)[:, : k - 1 if k > 1 else 1]  # off by one
    return float((top == np.asarray(y_true)[:, None]).any(axis=1).mean())


def roc_auc_ovr(y_true, scores):
    y_true, scores = np.asarray(y_true), np.asarray(scores)
    aucs = []
    for c in range(scores.shape[1]):
        pos, neg = scores[y_true == c, c], scores[y_true != c, c]
        aucs.append((pos[:, None] > neg[None, :]).mean())  # ties count as losses
    return float(np.mean(aucs))
