"""Random inputs (hypothesis), each routine against scikit-learn computed on the same input."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.special import softmax
from sklearn import metrics as skm
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.utils.multiclass import unique_labels

from cnnlab.reference import metrics

from ._compare import assert_matches

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NAMES = ["ant", "bee", "cat", "dog", "eel", "fox"]


@st.composite
def labellings(draw, max_classes=6):
    """y_true and y_pred over a few classes, as ints or strings; some classes may be missing."""
    n_classes = draw(st.integers(1, max_classes))
    n = draw(st.integers(1, 40))
    y_true = np.array(draw(st.lists(st.integers(0, n_classes - 1), min_size=n, max_size=n)))
    y_pred = np.array(draw(st.lists(st.integers(0, n_classes - 1), min_size=n, max_size=n)))
    if draw(st.booleans()):
        names = np.array(NAMES)
        return names[y_true], names[y_pred]
    return y_true, y_pred


@st.composite
def scored(draw, min_classes=3, max_classes=6):
    """y_true holding every class, and a probability matrix with many ties."""
    n_classes = draw(st.integers(min_classes, max_classes))
    extra = draw(st.integers(1, 30))
    y_true = np.array(
        list(range(n_classes))
        + draw(st.lists(st.integers(0, n_classes - 1), min_size=extra, max_size=extra))
    )
    y_true = np.array(draw(st.permutations(y_true.tolist())))
    levels = draw(st.sampled_from([2, 4, 8, 1000]))  # few levels mean many ties
    counts = np.array(
        draw(
            st.lists(
                st.lists(st.integers(1, levels), min_size=n_classes, max_size=n_classes),
                min_size=len(y_true),
                max_size=len(y_true),
            )
        )
    )
    return y_true, counts / counts.sum(axis=1, keepdims=True)


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        warnings.filterwarnings("ignore", "A single label", UserWarning)
        return fn(*args, **kwargs)


@SETTINGS
@given(labellings(), st.sampled_from([None, "true", "pred", "all"]))
def test_confusion_matrix(pair, normalize):
    y_true, y_pred = pair
    expected = _quiet(skm.confusion_matrix, y_true, y_pred, normalize=normalize)
    assert_matches(metrics.confusion_matrix(y_true, y_pred, normalize=normalize), expected)


@SETTINGS
@given(labellings())
def test_per_class_counts_and_rates(pair):
    y_true, y_pred = pair
    mcm = skm.multilabel_confusion_matrix(y_true, y_pred)
    tn, fp, fn, tp = (mcm[:, i // 2, i % 2] for i in range(4))
    counts = metrics.per_class_counts(y_true, y_pred)
    assert_matches(
        {k: counts[k] for k in ("tp", "fp", "fn", "tn")}, {"tp": tp, "fp": fp, "fn": fn, "tn": tn}
    )
    assert_matches(counts["labels"], unique_labels(y_true, y_pred))
    rates = metrics.per_class_rates(y_true, y_pred)
    # recall is the TPR and precision the PPV: scikit-learn's own functions check those two.
    assert_matches(rates["tpr"], skm.recall_score(y_true, y_pred, average=None, zero_division=0))
    assert_matches(rates["ppv"], skm.precision_score(y_true, y_pred, average=None, zero_division=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        tnr = np.where(tn + fp > 0, tn / (tn + fp), 0.0)
    assert_matches(rates["tnr"], tnr)
    assert_matches(rates["fpr"], np.where(tn + fp > 0, 1 - tnr, 0.0))


@SETTINGS
@given(
    labellings(),
    st.sampled_from([None, "micro", "macro", "weighted"]),
    st.sampled_from([0.0, 1.0, float("nan")]),
)
def test_precision_recall_f1(pair, average, zero_division):
    y_true, y_pred = pair
    expected = skm.precision_recall_fscore_support(
        y_true, y_pred, average=average, zero_division=zero_division
    )
    actual = metrics.precision_recall_f1(
        y_true, y_pred, average=average, zero_division=zero_division
    )
    assert_matches(list(actual), list(expected))
    assert metrics.accuracy(y_true, y_pred) == skm.accuracy_score(y_true, y_pred)


@SETTINGS
@given(labellings(max_classes=2), st.sampled_from([0.0, 1.0]))
def test_binary_average(pair, zero_division):
    y_true, y_pred = pair
    pos_label = y_true[0]
    expected = skm.precision_recall_fscore_support(
        y_true, y_pred, average="binary", pos_label=pos_label, zero_division=zero_division
    )
    actual = metrics.precision_recall_f1(
        y_true, y_pred, average="binary", pos_label=pos_label.item(), zero_division=zero_division
    )
    assert_matches(list(actual), list(expected))


@SETTINGS
@given(labellings(), st.integers(0, 5), st.booleans(), st.sampled_from([0.0, 1.0, float("nan")]))
def test_classification_report_text_and_dict(pair, digits, output_dict, zero_division):
    y_true, y_pred = pair
    expected = skm.classification_report(
        y_true, y_pred, digits=digits, output_dict=output_dict, zero_division=zero_division
    )
    actual = metrics.classification_report(
        y_true, y_pred, digits=digits, output_dict=output_dict, zero_division=zero_division
    )
    assert_matches(actual, expected)


@SETTINGS
@given(labellings(), st.data())
def test_classification_report_with_labels_and_names(pair, data):
    y_true, y_pred = pair
    present = np.unique(np.concatenate([y_true, y_pred])).tolist()
    labels = data.draw(st.lists(st.sampled_from(present), min_size=1, unique=True))
    names = [f"class {i} is long" * (i % 2 + 1) for i in range(len(labels))]
    expected = skm.classification_report(
        y_true, y_pred, labels=labels, target_names=names, zero_division=0.0
    )
    assert (
        metrics.classification_report(y_true, y_pred, labels=labels, target_names=names) == expected
    )


@SETTINGS
@given(scored(), st.data())
def test_top_k_accuracy(case, data):
    y_true, scores = case
    n_classes = scores.shape[1]
    k = data.draw(st.integers(1, n_classes - 1))
    labels = list(range(n_classes))
    expected = skm.top_k_accuracy_score(y_true, scores, k=k, labels=labels)
    assert metrics.top_k_accuracy(y_true, scores, k=k, labels=labels) == expected
    assert metrics.top_k_accuracy(y_true, scores, k=n_classes) == 1.0


@SETTINGS
@given(scored(min_classes=2, max_classes=2))
def test_top_1_of_two_columns(case):
    """scikit-learn refuses (n, 2) scores for two classes; a third column below every score
    (label 2, never true) leaves the ranking of the first two, ties included, unchanged."""
    y_true, scores = case
    padded = np.concatenate([scores, np.full((len(y_true), 1), -1.0)], axis=1)
    expected = skm.top_k_accuracy_score(y_true, padded, k=1, labels=[0, 1, 2])
    assert metrics.top_k_accuracy(y_true, scores, k=1) == expected


@SETTINGS
@given(
    st.lists(st.tuples(st.booleans(), st.integers(0, 6)), min_size=2, max_size=60), st.booleans()
)
def test_binary_roc_curve_and_auc(points, drop_intermediate):
    y_true = np.array([int(t) for t, _ in points])
    scores = np.array([s / 6 for _, s in points])
    if y_true.min() == y_true.max():
        y_true[0] = 1 - y_true[0]
    expected = skm.roc_curve(y_true, scores, drop_intermediate=drop_intermediate)
    actual = metrics.roc_curve(y_true, scores, drop_intermediate=drop_intermediate)
    assert_matches(list(actual), list(expected))
    assert_matches(metrics.roc_auc(y_true, scores), skm.roc_auc_score(y_true, scores))
    assert_matches(
        metrics.top_k_accuracy(y_true, scores, k=1), skm.top_k_accuracy_score(y_true, scores, k=1)
    )


@SETTINGS
@given(scored(), st.sampled_from(["macro", "weighted", "micro", None]))
def test_multiclass_roc_auc(case, average):
    y_true, scores = case
    expected = skm.roc_auc_score(y_true, scores, multi_class="ovr", average=average)
    assert_matches(metrics.roc_auc(y_true, scores, average=average), expected)


@SETTINGS
@given(scored())
def test_ovr_roc_curves_equal_sklearn_curves(case):
    y_true, scores = case
    record = metrics.ovr_roc_curves(y_true, scores)
    per_class = record["curves"][:-2]
    aucs = skm.roc_auc_score(y_true, scores, multi_class="ovr", average=None)
    for c, curve in enumerate(per_class):
        fpr, tpr, _ = skm.roc_curve(y_true, scores[:, c], pos_label=c)
        assert_matches([curve["fpr"], curve["tpr"]], [fpr, tpr])
        assert_matches(curve["auc"], aucs[c])
    micro, macro = record["curves"][-2:]
    assert micro["name"] == "micro-average" and macro["name"] == "macro-average"
    onehot = np.eye(scores.shape[1])[y_true]
    fpr, tpr, _ = skm.roc_curve(onehot.ravel(), scores.ravel())
    assert_matches([micro["fpr"], micro["tpr"]], [fpr, tpr])
    assert_matches(
        micro["auc"], skm.roc_auc_score(y_true, scores, multi_class="ovr", average="micro")
    )
    assert_matches(
        macro["auc"], skm.roc_auc_score(y_true, scores, multi_class="ovr", average="macro")
    )


@settings(max_examples=25, deadline=None)
@given(st.integers(3, 6), st.integers(0, 2**32 - 1))
def test_logits_are_ranked_by_their_softmax(n_classes, seed):
    """scikit-learn accepts only probabilities; logits give what it gives on softmax(logits)."""
    rng = np.random.default_rng(seed)
    y_true = rng.permutation(np.arange(40) % n_classes)
    logits = rng.normal(0, 3, size=(40, n_classes))
    for average in ("macro", "weighted", "micro"):
        expected = skm.roc_auc_score(
            y_true, softmax(logits, axis=1), multi_class="ovr", average=average
        )
        assert metrics.roc_auc(y_true, logits, average=average) == pytest.approx(
            expected, abs=1e-12
        )
    expected = skm.top_k_accuracy_score(y_true, logits, k=2)
    assert metrics.top_k_accuracy(y_true, logits, k=2) == expected


def test_two_column_scores_score_the_greater_class():
    rng = np.random.default_rng(7)
    y_true = rng.integers(0, 2, 50)
    p = rng.random(50)
    expected = skm.roc_auc_score(y_true, p)
    assert metrics.roc_auc(y_true, np.stack([1 - p, p], axis=1)) == pytest.approx(
        expected, abs=1e-12
    )
    logit = rng.normal(size=(50, 2))  # logits: column 1 against column 0
    expected = skm.roc_auc_score(y_true, logit[:, 1] - logit[:, 0])
    assert metrics.roc_auc(y_true, logit) == pytest.approx(expected, abs=1e-12)
