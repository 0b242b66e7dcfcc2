"""Attack (issue 19): modules and configuration that shadow what the grader imports or reads.

Next to this file: numpy.py, pytest.py, json.py, sitecustomize.py, usercustomize.py, shadow.pth,
conftest.py (makes every test pass), pytest.ini (drops the hidden tests), and packages bench/,
reference/ and cnnlab/. Each leaves a trace in /tmp/cnnlab-issue19-shadow when imported by a
process outside the sandbox. Only this student's own worker may see them, and it imports none:
numpy comes from the installation, before the submission is on the worker's path. The functions
return zeros, so it earns nothing unless the grader is fooled.
"""

import numpy as np


def confusion_matrix(y_true, y_pred, num_classes):
    return np.zeros((num_classes, num_classes), dtype=np.int64)


def precision_recall_f1(y_true, y_pred, num_classes, average="macro"):
    if average is None:
        return tuple(np.zeros(num_classes) for _ in range(3))
    return 0.0, 0.0, 0.0


def top_k_accuracy(y_true, scores, k):
    return 0.0


def roc_auc_ovr(y_true, scores):
    return 0.0
