"""Wrong return types: lists, strings and a dict instead of arrays and floats."""

import numpy as np


def confusion_matrix(y_true, y_pred, num_classes):
    cm = np.zeros((num_classes, num_classes), dtype=int)
    np.add.at(cm, (np.asarray(y_true), np.asarray(y_pred)), 1)
    return cm.tolist()  # a list of lists, not an array


def precision_recall_f1(y_true, y_pred, num_classes, average="macro"):
    return {"precision": 0.5, "recall": 0.5, "f1": 0.5}


def top_k_accuracy(y_true, scores, k):
    return "0.75"


def roc_auc_ovr(y_true, scores):
    return None
