"""Broken: a syntax error, so nothing can be imported."""

import numpy as np


def confusion_matrix(y_true, y_pred, num_classes)
    return np.zeros((num_classes, num_classes), dtype=int)
