"""Each ``cnnlab.reference.metrics`` routine against scikit-learn on 100,000 samples x 1,000 classes.

Not part of the default test run. Run it alone (it needs about 6 GB of memory, most of it for
scikit-learn's micro-averaged ROC AUC, and several minutes, nearly all of them scikit-learn's)::

    python -m pytest benchmarks/bench_metrics.py -q -s --benchmark-columns=min,mean,rounds

The last test prints the ratio cnnlab / scikit-learn of the fastest rounds measured in the same
run, and fails where cnnlab is slower (the goal is a ratio below 1).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn import metrics as skm

from cnnlab.reference import metrics

N_SAMPLES, N_CLASSES = 100_000, 1_000
RESULTS: dict[str, dict[str, float]] = {}
ANSWERS: dict[str, dict[str, object]] = {}


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, N_CLASSES, N_SAMPLES)
    y_true[:N_CLASSES] = np.arange(N_CLASSES)  # every class has positives
    logits = rng.standard_normal((N_SAMPLES, N_CLASSES), dtype=np.float32)
    logits[np.arange(N_SAMPLES), y_true] += 3.0
    logits -= logits.max(axis=1, keepdims=True)
    np.exp(logits, out=logits)
    logits /= logits.sum(axis=1, keepdims=True)  # float32 softmax probabilities, 400 MB
    y_pred = logits.argmax(axis=1)
    return {"y_true": y_true, "y_pred": y_pred, "scores": logits}


def _sk_rates(y_true, y_pred):
    mcm = skm.multilabel_confusion_matrix(y_true, y_pred)
    tn, fp, fn, tp = mcm[:, 0, 0], mcm[:, 0, 1], mcm[:, 1, 0], mcm[:, 1, 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        return [
            tp / (tp + fn),
            tn / (tn + fp),
            fp / (fp + tn),
            fn / (fn + tp),
            tp / (tp + fp),
            tn / (tn + fn),
            (tp + tn) / len(y_true),
        ]


# name: (cnnlab call, scikit-learn call, rounds (cnnlab, scikit-learn)); calls take the data.
PAIRS = {
    "confusion_matrix": (
        lambda d: metrics.confusion_matrix(d["y_true"], d["y_pred"]),
        lambda d: skm.confusion_matrix(d["y_true"], d["y_pred"]),
        (5, 5),
    ),
    "per_class_counts": (
        lambda d: metrics.per_class_counts(d["y_true"], d["y_pred"]),
        lambda d: skm.multilabel_confusion_matrix(d["y_true"], d["y_pred"]),
        (5, 5),
    ),
    "per_class_rates": (
        lambda d: metrics.per_class_rates(d["y_true"], d["y_pred"]),
        lambda d: _sk_rates(d["y_true"], d["y_pred"]),
        (5, 5),
    ),
    "accuracy": (
        lambda d: metrics.accuracy(d["y_true"], d["y_pred"]),
        lambda d: skm.accuracy_score(d["y_true"], d["y_pred"]),
        (5, 5),
    ),
    "precision_recall_f1(macro)": (
        lambda d: metrics.precision_recall_f1(d["y_true"], d["y_pred"], average="macro"),
        lambda d: skm.precision_recall_fscore_support(d["y_true"], d["y_pred"], average="macro"),
        (5, 5),
    ),
    "classification_report": (
        lambda d: metrics.classification_report(d["y_true"], d["y_pred"]),
        lambda d: skm.classification_report(d["y_true"], d["y_pred"], zero_division=0.0),
        (5, 5),
    ),
    "top_k_accuracy(k=5)": (
        lambda d: metrics.top_k_accuracy(d["y_true"], d["scores"], k=5),
        lambda d: skm.top_k_accuracy_score(d["y_true"], d["scores"], k=5),
        (3, 1),
    ),
    "roc_curve(one class)": (
        lambda d: metrics.roc_curve(d["y_true"], d["scores"][:, 7], pos_label=7),
        lambda d: skm.roc_curve(d["y_true"], d["scores"][:, 7], pos_label=7),
        (5, 5),
    ),
    "roc_auc(ovr, macro)": (
        lambda d: metrics.roc_auc(d["y_true"], d["scores"], average="macro"),
        lambda d: skm.roc_auc_score(d["y_true"], d["scores"], multi_class="ovr", average="macro"),
        (3, 1),
    ),
    "roc_auc(ovr, micro)": (
        lambda d: metrics.roc_auc(d["y_true"], d["scores"], average="micro"),
        lambda d: skm.roc_auc_score(d["y_true"], d["scores"], multi_class="ovr", average="micro"),
        (3, 1),
    ),
}


@pytest.mark.parametrize("impl", ["cnnlab", "sklearn"])
@pytest.mark.parametrize("name", list(PAIRS))
def test_routine(benchmark, data, name, impl):
    ours, theirs, rounds = PAIRS[name]
    fn, rounds = (ours, rounds[0]) if impl == "cnnlab" else (theirs, rounds[1])
    benchmark.group = name
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        answer = benchmark.pedantic(fn, args=(data,), rounds=rounds, iterations=1)
    RESULTS.setdefault(name, {})[impl] = benchmark.stats.stats.min
    ANSWERS.setdefault(name, {})[impl] = answer


def test_same_numbers_on_the_benchmark_data():
    """The timings compare equal work: both sides gave the same answer on this input."""
    for name in ("accuracy", "top_k_accuracy(k=5)", "roc_auc(ovr, macro)", "roc_auc(ovr, micro)"):
        answers = ANSWERS.get(name, {})
        if len(answers) == 2:
            assert answers["cnnlab"] == pytest.approx(answers["sklearn"], abs=1e-12), name
    if "confusion_matrix" in ANSWERS and len(ANSWERS["confusion_matrix"]) == 2:
        assert np.array_equal(*ANSWERS["confusion_matrix"].values())


def test_ratios_in_this_run():
    if not RESULTS:
        pytest.skip("run together with the timing tests (benchmarks disabled?)")
    rows = []
    for name, times in RESULTS.items():
        if {"cnnlab", "sklearn"} <= set(times):
            ratio = times["cnnlab"] / times["sklearn"]
            rows.append((name, times["cnnlab"], times["sklearn"], ratio))
    print(f"\n{'routine':<28}{'cnnlab s':>11}{'sklearn s':>11}{'ratio':>8}")
    for name, ours, theirs, ratio in rows:
        print(f"{name:<28}{ours:>11.4f}{theirs:>11.4f}{ratio:>8.3f}")
    slower = [name for name, *_, ratio in rows if ratio >= 1]
    assert not slower, f"slower than scikit-learn: {slower}"
