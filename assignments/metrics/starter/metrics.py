"""Classification metrics with numpy only. Replace each ``raise NotImplementedError``.

Labels are integers in ``range(num_classes)``; see README.md for the exact definitions.
"""

import numpy as np  # noqa: F401  (numpy is all you need)


def confusion_matrix(y_true, y_pred, num_classes):
    """Counts of (true class, predicted class) pairs: an int array (num_classes, num_classes),
    rows are true classes, columns predicted classes."""
    raise NotImplementedError


def precision_recall_f1(y_true, y_pred, num_classes, average="macro"):
    """(precision, recall, f1): floats for average in {"macro", "micro", "weighted"}, arrays of
    shape (num_classes,) for average=None. A ratio with a zero denominator is 0."""
    raise NotImplementedError


def top_k_accuracy(y_true, scores, k):
    """Fraction of samples whose true class is among the k highest scores of its row."""
    raise NotImplementedError


def roc_auc_ovr(y_true, scores):
    """Macro average over classes of the one-vs-rest ROC AUC; scores are probabilities of shape
    (n_samples, num_classes)."""
    raise NotImplementedError
