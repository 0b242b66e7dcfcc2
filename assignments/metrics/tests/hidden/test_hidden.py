"""Hidden tests of the metrics assignment: cases the public tests do not show (absent classes,
zero divisions, other averages, ties, two classes, plain lists, a large problem)."""

import pytest


@pytest.fixture(scope="module")
def cases(load_cases):
    return load_cases("hidden")


@pytest.mark.points(10)
def test_confusion_matrix_edge_cases(student, cases, check, credit):
    absent, imb = cases["absent"], cases["imbalanced"]
    with credit.part(1, "a class that never occurs"):
        got = student.metrics.confusion_matrix(absent["y_true"], absent["y_pred"], 4)
        check.confusion(got, absent["y_true"], absent["y_pred"], 4, "absent classes")
    with credit.part(1, "imbalanced classes"):
        got = student.metrics.confusion_matrix(imb["y_true"], imb["y_pred"], 6)
        check.confusion(got, imb["y_true"], imb["y_pred"], 6, "imbalanced")
    with credit.part(1, "plain Python lists"):
        got = student.metrics.confusion_matrix(absent["y_true"].tolist(), absent["y_pred"].tolist(), 4)
        check.confusion(got, absent["y_true"], absent["y_pred"], 4, "lists")


@pytest.mark.points(15)
def test_precision_recall_f1_averages(student, cases, check, credit):
    imb, absent = cases["imbalanced"], cases["absent"]
    for average in ("micro", "weighted", None):
        with credit.part(1, f"average={average}"):
            got = student.metrics.precision_recall_f1(imb["y_true"], imb["y_pred"], 6, average=average)
            check.prf(got, imb["y_true"], imb["y_pred"], 6, average, f"average={average}")
    for average in ("macro", None):
        with credit.part(1, f"zero divisions, average={average}"):
            got = student.metrics.precision_recall_f1(absent["y_true"], absent["y_pred"], 4, average=average)
            check.prf(got, absent["y_true"], absent["y_pred"], 4, average, "zero division")


@pytest.mark.points(10)
def test_top_k_edge_cases(student, cases, check, credit):
    imb = cases["imbalanced"]
    for k in (1, 2, 6):
        with credit.part(1, f"k={k}"):
            got = student.metrics.top_k_accuracy(imb["y_true"], imb["scores"], k)
            check.top_k(got, imb["y_true"], imb["scores"], k, f"k={k}")


@pytest.mark.points(15)
def test_roc_auc_ties_and_two_classes(student, cases, check, credit):
    for name in ("ties", "binary", "imbalanced"):
        case = cases[name]
        with credit.part(1, name):
            check.auc(student.metrics.roc_auc_ovr(case["y_true"], case["scores"]),
                      case["y_true"], case["scores"], name)


@pytest.mark.points(10)
@pytest.mark.visibility("after_due_date")
def test_large_problem(student, cases, check, credit):
    large = cases["large"]
    y_true, y_pred, scores = large["y_true"], large["y_pred"], large["scores"]
    with credit.part(1, "confusion_matrix"):
        check.confusion(student.metrics.confusion_matrix(y_true, y_pred, 10), y_true, y_pred, 10,
                        "confusion_matrix")
    with credit.part(1, "precision_recall_f1"):
        check.prf(student.metrics.precision_recall_f1(y_true, y_pred, 10, average="macro"),
                  y_true, y_pred, 10, "macro", "precision_recall_f1")
    with credit.part(1, "top_k_accuracy"):
        check.top_k(student.metrics.top_k_accuracy(y_true, scores, 5), y_true, scores, 5, "top_k_accuracy")
    with credit.part(1, "roc_auc_ovr"):
        check.auc(student.metrics.roc_auc_ovr(y_true, scores), y_true, scores, "roc_auc_ovr")
