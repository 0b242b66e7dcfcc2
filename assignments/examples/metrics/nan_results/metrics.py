"""NaN everywhere: divisions by zero left unguarded, and results that are NaN on purpose."""

import numpy as np


def confusion_matrix(y_true, y_pred, num_classes):
    return np.full((num_classes, num_classes), np.nan)


def precision_recall_f1(y_true, y_pred, num_classes, average="macro"):
    return float("nan"), float("nan"), float("nan")


def top_k_accuracy(y_true, scores, k):
    return np.float64("nan")


def roc_auc_ovr(y_true, scores):
    return np.array(np.nan)
