"""Public tests of the metrics assignment: students get these with the starter code."""

import pytest


@pytest.mark.points(10)
def test_confusion_matrix(student, public_cases, check, credit):
    """confusion_matrix counts (true, predicted) pairs: rows true, columns predicted."""
    for name, n in (("small", 3), ("random5", 5)):
        case = public_cases[name]
        with credit.part(1, name):
            got = student.metrics.confusion_matrix(case["y_true"], case["y_pred"], n)
            check.confusion(got, case["y_true"], case["y_pred"], n, name)


@pytest.mark.points(10)
def test_precision_recall_f1_macro(student, public_cases, check, credit):
    """Macro-averaged precision, recall and F1."""
    for name, n in (("small", 3), ("random5", 5)):
        case = public_cases[name]
        with credit.part(1, name):
            got = student.metrics.precision_recall_f1(case["y_true"], case["y_pred"], n, average="macro")
            check.prf(got, case["y_true"], case["y_pred"], n, "macro", name)


@pytest.mark.points(10)
def test_top_k_accuracy(student, public_cases, check, credit):
    """Top-1, top-2 and top-3 accuracy."""
    for name, k in (("small", 1), ("small", 2), ("random5", 3)):
        case = public_cases[name]
        with credit.part(1, f"{name} k={k}"):
            got = student.metrics.top_k_accuracy(case["y_true"], case["scores"], k)
            check.top_k(got, case["y_true"], case["scores"], k, f"{name} k={k}")


@pytest.mark.points(10)
def test_roc_auc_ovr(student, public_cases, check, credit):
    """Macro one-vs-rest ROC AUC."""
    for name in ("small", "random5"):
        case = public_cases[name]
        with credit.part(1, name):
            got = student.metrics.roc_auc_ovr(case["y_true"], case["scores"])
            check.auc(got, case["y_true"], case["scores"], name)
