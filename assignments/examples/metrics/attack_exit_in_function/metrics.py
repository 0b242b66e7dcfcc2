"""Attack: end the process from inside each function, in four different ways."""

import os
import signal
import sys


def confusion_matrix(y_true, y_pred, num_classes):
    os._exit(0)  # no clean-up, no exception: the process is simply gone


def precision_recall_f1(y_true, y_pred, num_classes, average="macro"):
    sys.exit(0)


def top_k_accuracy(y_true, scores, k):
    raise SystemExit(0)


def roc_auc_ovr(y_true, scores):
    os.kill(os.getpid(), signal.SIGKILL)
