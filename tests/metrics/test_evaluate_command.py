"""``cnnlab evaluate PREDICTIONS.csv``: its tables and JSON equal scikit-learn's numbers."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from ..conftest import run_cli as run

RNG = np.random.default_rng(11)
Y_TRUE = np.tile(np.arange(4), 15)
SCORES = RNG.dirichlet(np.ones(4), size=60) + 1.5 * np.eye(4)[Y_TRUE] * RNG.random((60, 1))
SCORES /= SCORES.sum(axis=1, keepdims=True)




@pytest.fixture
def scores_csv(tmp_path):
    frame = pd.DataFrame(SCORES, columns=[str(c) for c in range(4)])
    frame.insert(0, "y_true", Y_TRUE)
    path = tmp_path / "predictions.csv"
    frame.to_csv(path, index=False, float_format="%.17g")
    return path


def test_scores_csv_prints_report_top_k_and_aucs(capsys, scores_csv, tmp_path):
    out_dir = tmp_path / "eval"
    code, out, err = run(
        capsys, "evaluate", scores_csv, "--out", out_dir, "--k", "1", "2", "3", "--digits", "3"
    )
    assert code == 0, err
    y_pred = SCORES.argmax(axis=1)  # no ties in these scores
    assert skm.classification_report(Y_TRUE, y_pred, digits=3) in out
    for k in (1, 2, 3):
        assert re.search(rf"top-{k} +{skm.top_k_accuracy_score(Y_TRUE, SCORES, k=k):.5f}\n", out)
    aucs = skm.roc_auc_score(Y_TRUE, SCORES, multi_class="ovr", average=None)
    for c, auc in enumerate(aucs):
        assert re.search(rf"class {c} vs rest +{auc:.5f}\n", out)
    macro = skm.roc_auc_score(Y_TRUE, SCORES, multi_class="ovr", average="macro")
    assert re.search(rf"macro avg +{macro:.5f}\n", out)
    for name in ("confusion_matrix.png", "roc_curves.png", "evaluation.json"):
        assert (out_dir / name).stat().st_size > 1000 or name.endswith(".json")


def test_json_record(capsys, scores_csv, tmp_path):
    code, out, _ = run(capsys, "evaluate", scores_csv, "--out", tmp_path / "e", "--json")
    assert code == 0
    record = json.loads(out)
    assert record == json.loads((tmp_path / "e" / "evaluation.json").read_text())
    y_pred = SCORES.argmax(axis=1)
    assert record["classification_report"] == skm.classification_report(
        Y_TRUE, y_pred, output_dict=True
    )
    assert record["confusion_matrix"] == skm.confusion_matrix(Y_TRUE, y_pred).tolist()
    assert record["top_k"] == {"1": skm.top_k_accuracy_score(Y_TRUE, SCORES, k=1)}  # 5 > 4
    for average in ("macro", "weighted", "micro"):
        expected = skm.roc_auc_score(Y_TRUE, SCORES, multi_class="ovr", average=average)
        assert record["roc_auc"][average] == pytest.approx(expected, abs=1e-12)


def test_label_csv_with_strings(capsys, tmp_path):
    y_true = np.array(["cat", "dog", "fox", "dog"] * 5)
    y_pred = np.roll(y_true, 3)
    path = tmp_path / "labels.csv"
    pd.DataFrame({"y_true": y_true, "y_pred": y_pred}).to_csv(path, index=False)
    code, out, _ = run(capsys, "evaluate", path, "--out", tmp_path / "e")
    assert code == 0
    assert skm.classification_report(y_true, y_pred) in out
    assert "ROC" not in out and not (tmp_path / "e" / "roc_curves.png").exists()


@pytest.mark.filterwarnings("ignore:Only one class is present")  # scikit-learn's, for class 3
def test_class_without_samples_has_an_undefined_auc(capsys, tmp_path):
    path = tmp_path / "p.csv"
    frame = pd.DataFrame(SCORES[Y_TRUE != 3], columns=["0", "1", "2", "3"])
    frame.insert(0, "y_true", Y_TRUE[Y_TRUE != 3])
    frame.to_csv(path, index=False, float_format="%.17g")
    code, out, _ = run(capsys, "evaluate", path, "--out", tmp_path / "e")
    assert code == 0
    assert re.search(r"class 3 vs rest +undefined \(no positive samples\)\n", out)
    assert re.search(r"macro avg +undefined\n", out)
    weighted = skm.roc_auc_score(
        Y_TRUE[Y_TRUE != 3],
        SCORES[Y_TRUE != 3],
        multi_class="ovr",
        average="weighted",
        labels=[0, 1, 2, 3],
    )
    assert re.search(rf"weighted avg +{weighted:.4f}\n", out)


@pytest.mark.parametrize(
    ("content", "argv", "needle"),
    [
        (None, [], "no such file"),
        ("a,b\n1,2\n", [], "has no y_true column; its columns are ['a', 'b']"),
        ("y_true\n1\n", [], "needs a y_pred column or one score column per class"),
        ("y_true,y_pred\n1,1\n,0\n", [], "y_true is empty on line 3"),
        ("y_true,0,1\n0,0.2,0.8\n1,0.6,0.4\n", ["--k", "0"], "--k must be a positive int; 0 is out of range"),
        ("y_true,0,1\n0,0.2,0.8\n1,0.6,0.4\n", ["--k", "3"], "k must be an int between 1 and 2 (scores has 2 classes); 3 is out of range"),
        ("y_true,0,1\n0,nan,0.8\n1,0.6,0.4\n", [], "scores contains 1 non-finite value(s)"),
        (
            "y_true,cat,dog\n0,0.2,0.8\n1,0.6,0.4\n",
            [],
            "score columns must be named by class number",
        ),
        ("y_true,y_pred\n0,1\n", ["--k", "1"], "--k needs score columns"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(capsys, tmp_path, content, argv, needle):
    path = tmp_path / "bad.csv"
    if content is not None:
        path.write_text(content)
    code, _, err = run(capsys, "evaluate", path, "--out", tmp_path / "e", *argv)
    assert code == 2
    assert needle in err and err.startswith("cnnlab evaluate: error:")
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
