"""Inputs from every source give the same numbers, and no framework is imported for numpy."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from cnnlab.reference import metrics

from ._compare import assert_matches

RNG = np.random.default_rng(3)
Y_TRUE = np.tile(np.arange(4), 10)
Y_PRED = np.where(RNG.random(40) < 0.7, Y_TRUE, RNG.integers(0, 4, 40))
SCORES = RNG.dirichlet(np.ones(4), size=40).astype(np.float32)


def _everything(y_true, y_pred, scores, column):
    """One call of every routine; plain numbers to compare across input types. ``column`` is
    the score column of class 1, in the same type as ``scores``."""
    return {
        "confusion": metrics.confusion_matrix(y_true, y_pred),
        "counts": metrics.per_class_counts(y_true, y_pred)["tp"],
        "rates": metrics.per_class_rates(y_true, y_pred)["tnr"],
        "accuracy": metrics.accuracy(y_true, y_pred),
        "prf": np.array(metrics.precision_recall_f1(y_true, y_pred, average="macro")[:3]),
        "report": metrics.classification_report(y_true, y_pred, digits=4),
        "top2": metrics.top_k_accuracy(y_true, scores, k=2),
        "auc": metrics.roc_auc(y_true, scores, average=None),
        "roc": np.concatenate(metrics.roc_curve(y_true, column, pos_label=1)[:2]),
    }


EXPECTED = _everything(Y_TRUE, Y_PRED, SCORES, SCORES[:, 1])


def test_numpy_results_equal_sklearn():
    assert_matches(EXPECTED["confusion"], skm.confusion_matrix(Y_TRUE, Y_PRED))
    assert EXPECTED["report"] == skm.classification_report(Y_TRUE, Y_PRED, digits=4)
    assert EXPECTED["top2"] == skm.top_k_accuracy_score(Y_TRUE, SCORES, k=2)
    assert_matches(
        EXPECTED["auc"], skm.roc_auc_score(Y_TRUE, SCORES, multi_class="ovr", average=None)
    )


@pytest.mark.parametrize(
    "kind", ["list", "pandas", "column", "float labels", "fortran", "read-only"]
)
def test_python_and_numpy_variants(kind):
    y_true, y_pred, scores = Y_TRUE, Y_PRED, SCORES
    column = scores[:, 1]
    if kind == "list":
        y_true, y_pred, scores = y_true.tolist(), y_pred.tolist(), scores.tolist()
        column = [row[1] for row in scores]
    elif kind == "pandas":
        y_true, y_pred = pd.Series(y_true), pd.Series(y_pred, dtype=object)
        scores = pd.DataFrame(scores)
        column = scores[1]
    elif kind == "column":
        y_true, y_pred = y_true[:, None], y_pred[:, None]
    elif kind == "float labels":
        y_true, y_pred = y_true.astype(float), y_pred.astype(float)
    elif kind == "fortran":
        scores = np.asfortranarray(scores)
    elif kind == "read-only":  # a routine that wrote into its input would fail here
        y_true, y_pred, scores = (a.copy() for a in (y_true, y_pred, scores))
        for a in (y_true, y_pred, scores):
            a.flags.writeable = False
        column = scores[:, 1]
    result = _everything(y_true, y_pred, scores, column)
    if kind == "float labels":  # the report names classes "0.0", as scikit-learn does
        assert result.pop("report") == skm.classification_report(y_true, y_pred, digits=4)
        EXPECTED_ = {k: v for k, v in EXPECTED.items() if k != "report"}
        assert_matches(result, EXPECTED_)
    else:
        assert_matches(result, EXPECTED)


def test_inputs_are_left_untouched():
    scores = np.asfortranarray(SCORES.astype(np.float64))
    before = scores.copy()
    metrics.roc_auc(Y_TRUE, scores, average="macro")
    metrics.roc_auc(Y_TRUE, scores, average="micro")
    metrics.top_k_accuracy(Y_TRUE, scores, k=3)
    metrics.ovr_roc_curves(Y_TRUE, scores)
    assert np.array_equal(scores, before)


def test_torch_tensors():
    torch = pytest.importorskip("torch")
    y_true, y_pred = torch.from_numpy(Y_TRUE), torch.from_numpy(Y_PRED)
    scores = torch.from_numpy(SCORES).requires_grad_(True)  # needs .detach()
    assert_matches(_everything(y_true, y_pred, scores, scores[:, 1]), EXPECTED)
    # bfloat16 has no numpy twin: it is widened, the ranking kept
    half = torch.tensor([[0.5, 0.25, 0.25], [0.125, 0.75, 0.125]], dtype=torch.bfloat16)
    assert metrics.top_k_accuracy(torch.tensor([0, 2]), half, k=1, labels=[0, 1, 2]) == 0.5


def test_tensorflow_tensors():
    tf = pytest.importorskip("tensorflow")
    y_true, y_pred = tf.constant(Y_TRUE), tf.constant(Y_PRED)
    scores = tf.Variable(SCORES)
    assert_matches(_everything(y_true, y_pred, scores, scores[:, 1]), EXPECTED)
    names = np.array(["ant", "bee", "cat", "dog"])
    report = metrics.classification_report(tf.constant(names[Y_TRUE]), tf.constant(names[Y_PRED]))
    assert report == skm.classification_report(names[Y_TRUE], names[Y_PRED])


def test_numpy_user_imports_no_framework():
    """Importing reference.metrics and calling every routine on numpy input leaves torch,
    tensorflow, keras, jax, scikit-learn and matplotlib out of sys.modules; drawing the plots
    then adds matplotlib and still no framework (in a fresh interpreter)."""
    code = textwrap.dedent(
        """
        import json, sys
        import numpy as np
        import cnnlab.reference.metrics as m

        WATCH = ("torch", "tensorflow", "keras", "jax", "sklearn", "matplotlib")
        y = np.tile(np.arange(3), 5)
        p = np.roll(y, 1)
        s = np.random.default_rng(0).dirichlet(np.ones(3), size=15)
        m.confusion_matrix(y, p, normalize="true"); m.per_class_counts(y, p)
        m.per_class_rates(y, p); m.accuracy(y, p); m.precision_recall_f1(y, p, average="macro")
        m.classification_report(y, p); m.classification_report(y, p, output_dict=True)
        m.top_k_accuracy(y, s, k=2); m.roc_curve(y == 1, s[:, 1]); m.roc_auc(y, s)
        m.roc_auc(y, s, average="micro"); record = m.ovr_roc_curves(y, s)
        m.load_fixture("lecture_top_k")
        after_metrics = sorted(n for n in WATCH if n in sys.modules)

        from cnnlab.reports.plots_metrics import plot_confusion_matrix, plot_roc_curves
        plot_confusion_matrix(m.confusion_matrix(y, p), labels=[0, 1, 2])
        plot_roc_curves(record)
        after_plots = sorted(n for n in WATCH if n in sys.modules)
        print(json.dumps([after_metrics, after_plots]))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    after_metrics, after_plots = json.loads(out.stdout.strip().splitlines()[-1])
    assert after_metrics == []
    assert after_plots == ["matplotlib"]
