"""Evaluation metrics that agree with scikit-learn to the last digit, without needing it.

Inputs may be Python lists, numpy arrays, torch tensors or TensorFlow tensors; they are converted
without importing a framework the caller did not pass. Labels are integers or strings; scores are
probabilities or logits of shape ``(n_samples, n_classes)``.

>>> from cnnlab.reference.metrics import confusion_matrix, top_k_accuracy
>>> confusion_matrix(["cat", "dog", "dog"], ["cat", "cat", "dog"]).tolist()
[[1, 0], [1, 1]]
"""

from __future__ import annotations

from ._classification import classification_report, precision_recall_f1
from ._confusion import accuracy, confusion_matrix, per_class_counts, per_class_rates
from ._fixtures import call_arguments, fixture_names, load_fixture
from ._ranking import ovr_roc_curves, roc_auc, roc_curve, top_k_accuracy

__all__ = [
    "accuracy",
    "call_arguments",
    "classification_report",
    "confusion_matrix",
    "fixture_names",
    "load_fixture",
    "ovr_roc_curves",
    "per_class_counts",
    "per_class_rates",
    "precision_recall_f1",
    "roc_auc",
    "roc_curve",
    "top_k_accuracy",
]
