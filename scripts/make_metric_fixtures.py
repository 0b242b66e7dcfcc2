"""Write the metric fixtures: inputs and scikit-learn's outputs for them.

Every expected number comes from scikit-learn (``sklearn.metrics``), never from
``cnnlab.reference.metrics``; the per-class rates are arithmetic on scikit-learn's
``multilabel_confusion_matrix``. Where cnnlab deliberately raises (a ROC for a class without
positive samples, ``k`` above the number of classes) the call records the error and the source
says what scikit-learn does instead.

Usage::

    python scripts/make_metric_fixtures.py            # rewrite reference/fixtures/metrics/
    python scripts/make_metric_fixtures.py --check    # regenerate in memory, compare, exit 1 if stale

Bump ``VERSION`` whenever a case or an expected value changes.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
import warnings
from pathlib import Path

import numpy as np
import sklearn
from sklearn import metrics as skm
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.utils.multiclass import unique_labels

VERSION = 1
OUT = Path(__file__).resolve().parent.parent / "reference" / "fixtures" / "metrics"
INLINE_LIMIT = 2048  # arrays with more elements go to the case's .npz
AVERAGES = (None, "micro", "macro", "weighted")
ZERO_DIVISIONS = (0.0, 1.0, float("nan"))


class Case:
    """One fixture case: named inputs and the calls made on them."""

    def __init__(self, name: str, description: str, covers: list[str]):
        self.name, self.description, self.covers = name, description, covers
        self.inputs: dict[str, np.ndarray] = {}
        self.calls: list[dict] = []
        self.arrays: dict[str, np.ndarray] = {}

    def add(self, routine, args, kwargs=None, *, expected=None, raises=None, source):
        spec = ",".join(a if isinstance(a, str) else f"{a['input']}[:,{a['column']}]" for a in args)
        options = ",".join(f"{k}={_short(v)}" for k, v in (kwargs or {}).items())
        call = {
            "id": f"{routine}({spec}{',' if options else ''}{options})",
            "routine": routine,
            "args": args,
            "kwargs": kwargs or {},
            "source": source,
        }
        if raises is None:
            call["expected"] = expected
        else:
            call["raises"] = {"type": "ValueError", "match": raises}
        self.calls.append(call)

    def to_json(self) -> dict:
        def encode(value, key):
            if isinstance(value, np.ndarray):
                if value.size > INLINE_LIMIT:
                    self.arrays[key] = value
                    return {"npz": key}
                return value.tolist()
            if isinstance(value, np.generic):
                return value.item()
            if isinstance(value, dict):
                return {k: encode(v, f"{key}.{k}") for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return [encode(v, f"{key}.{i}") for i, v in enumerate(value)]
            return value

        calls = []
        for i, call in enumerate(self.calls):
            call = dict(call)
            if "expected" in call:
                call["expected"] = encode(call["expected"], f"call{i}")
            call["kwargs"] = encode(call["kwargs"], f"call{i}.kwargs")
            calls.append(call)
        return {
            "name": self.name,
            "description": self.description,
            "covers": self.covers,
            "inputs": {k: encode(v, k) for k, v in self.inputs.items()},
            "calls": calls,
        }


def _short(value) -> str:
    if isinstance(value, (list, tuple, np.ndarray)) and len(value) > 6:
        return f"[{len(value)} items]"
    if isinstance(value, float) and value != value:
        return "nan"
    return repr(value.tolist() if isinstance(value, np.ndarray) else value)


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _probabilities(rng, y_index, n_classes, signal):
    z = rng.normal(size=(y_index.shape[0], n_classes))
    z[np.arange(y_index.shape[0]), y_index] += signal
    return _softmax(z)


# ------------------------------------------------------------------- expected values


def _rates(tn, fp, fn, tp, zero):
    def ratio(a, b):
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        return np.where(b == 0, zero, a / np.where(b == 0, 1.0, b))

    return {
        "tpr": ratio(tp, tp + fn),
        "tnr": ratio(tn, tn + fp),
        "fpr": ratio(fp, fp + tn),
        "fnr": ratio(fn, fn + tp),
        "ppv": ratio(tp, tp + fp),
        "npv": ratio(tn, tn + fn),
        "accuracy": ratio(tp + tn, tp + fp + fn + tn),
    }


def add_label_calls(case: Case, *, labels=None, target_names=None, pos_label=None, big=False):
    """Every label-based routine on ``y_true``/``y_pred``, with scikit-learn's results."""
    yt, yp = case.inputs["y_true"], case.inputs["y_pred"]
    with_labels = [{}] if labels is None else [{}, {"labels": labels}]
    normalizations = (None, "true") if big else (None, "true", "pred", "all")
    for extra in with_labels:
        lab = extra.get("labels")
        for normalize in normalizations:
            kw = dict(extra, **({} if normalize is None else {"normalize": normalize}))
            case.add(
                "confusion_matrix",
                ["y_true", "y_pred"],
                kw,
                expected=skm.confusion_matrix(yt, yp, labels=lab, normalize=normalize),
                source="sklearn.metrics.confusion_matrix",
            )
        mcm = skm.multilabel_confusion_matrix(yt, yp, labels=lab)
        tn, fp, fn, tp = mcm[:, 0, 0], mcm[:, 0, 1], mcm[:, 1, 0], mcm[:, 1, 1]
        used = np.asarray(lab) if lab is not None else unique_labels(yt, yp)
        case.add(
            "per_class_counts",
            ["y_true", "y_pred"],
            dict(extra),
            expected={"labels": used, "tp": tp, "fp": fp, "fn": fn, "tn": tn, "support": tp + fn},
            source="sklearn.metrics.multilabel_confusion_matrix",
        )
        for zero in (0.0,) if big else ZERO_DIVISIONS:
            kw = dict(extra, **({} if zero == 0.0 else {"zero_division": zero}))
            case.add(
                "per_class_rates",
                ["y_true", "y_pred"],
                kw,
                expected={"labels": used, **_rates(tn, fp, fn, tp, zero)},
                source="ratios of sklearn.metrics.multilabel_confusion_matrix counts",
            )
        for average in AVERAGES:
            for zero in (0.0,) if big else ZERO_DIVISIONS:
                kw = dict(extra, average=average)
                if zero != 0.0:
                    kw["zero_division"] = zero
                p, r, f, s = skm.precision_recall_fscore_support(
                    yt, yp, labels=lab, average=average, zero_division=zero
                )
                case.add(
                    "precision_recall_f1",
                    ["y_true", "y_pred"],
                    kw,
                    expected=[p, r, f, s],
                    source="sklearn.metrics.precision_recall_fscore_support",
                )
        names = target_names if lab is not None or labels is None else None
        for digits, output_dict in ((2, False), (4, False), (2, True)):
            kw = dict(extra, digits=digits, output_dict=output_dict)
            if names is not None:
                kw["target_names"] = names
            case.add(
                "classification_report",
                ["y_true", "y_pred"],
                kw,
                expected=skm.classification_report(
                    yt,
                    yp,
                    labels=lab,
                    target_names=names,
                    digits=digits,
                    output_dict=output_dict,
                    zero_division=0.0,
                ),
                source="sklearn.metrics.classification_report",
            )
        if not big:
            kw = dict(extra, zero_division=float("nan"))
            case.add(
                "classification_report",
                ["y_true", "y_pred"],
                kw,
                expected=skm.classification_report(yt, yp, labels=lab, zero_division=float("nan")),
                source="sklearn.metrics.classification_report",
            )
    case.add(
        "accuracy",
        ["y_true", "y_pred"],
        expected=skm.accuracy_score(yt, yp),
        source="sklearn.metrics.accuracy_score",
    )
    if pos_label is not None:
        for zero in ZERO_DIVISIONS:
            kw = {"average": "binary", "pos_label": pos_label}
            if zero != 0.0:
                kw["zero_division"] = zero
            p, r, f, s = skm.precision_recall_fscore_support(
                yt, yp, average="binary", pos_label=pos_label, zero_division=zero
            )
            case.add(
                "precision_recall_f1",
                ["y_true", "y_pred"],
                kw,
                expected=[p, r, f, s],
                source="sklearn.metrics.precision_recall_fscore_support",
            )


def add_score_calls(case: Case, *, labels=None, ks=(1, 2, 3, 5), per_class_roc=True):
    """Every score-based routine on ``y_true``/``scores``, with scikit-learn's results."""
    yt, scores = case.inputs["y_true"], case.inputs["scores"]
    classes = np.asarray(labels) if labels is not None else np.unique(yt)
    n_classes = 2 if scores.ndim == 1 else scores.shape[1]
    kw_labels = {} if labels is None else {"labels": labels}
    for k in ks:
        if k <= n_classes:
            case.add(
                "top_k_accuracy",
                ["y_true", "scores"],
                dict(kw_labels, k=k),
                expected=skm.top_k_accuracy_score(yt, scores, k=k, labels=labels),
                source="sklearn.metrics.top_k_accuracy_score",
            )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        beyond = skm.top_k_accuracy_score(yt, scores, k=n_classes + 1, labels=labels)
    case.add(
        "top_k_accuracy",
        ["y_true", "scores"],
        dict(kw_labels, k=n_classes + 1),
        raises="out of range",
        source=f"sklearn warns that k >= n_classes is meaningless and returns {beyond}; "
        "cnnlab raises",
    )
    if scores.ndim == 1:
        case.add(
            "roc_auc",
            ["y_true", "scores"],
            expected=skm.roc_auc_score(yt, scores),
            source="sklearn.metrics.roc_auc_score",
        )
        return
    support = np.array([np.count_nonzero(yt == c) for c in classes])
    defined = bool(np.all((support > 0) & (support < yt.shape[0])))
    weighted_defined = bool(np.all(support < yt.shape[0]))  # absent classes weigh nothing
    for average in ("macro", "weighted", "micro", None):
        kw = dict(kw_labels, average=average)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UndefinedMetricWarning)
            value = skm.roc_auc_score(yt, scores, multi_class="ovr", average=average, labels=labels)
        if defined or average == "micro" or (average == "weighted" and weighted_defined):
            case.add(
                "roc_auc",
                ["y_true", "scores"],
                kw,
                expected=value,
                source="sklearn.metrics.roc_auc_score(multi_class='ovr')",
            )
        else:
            assert np.any(np.isnan(value)), value
            case.add(
                "roc_auc",
                ["y_true", "scores"],
                kw,
                raises="undefined",
                source="sklearn warns (UndefinedMetricWarning) and returns nan; cnnlab raises",
            )
    if per_class_roc:
        for j, label in enumerate(classes.tolist()):
            arg = [{"input": "scores", "column": j}]
            if 0 < support[j] < yt.shape[0]:
                fpr, tpr, thr = skm.roc_curve(yt, scores[:, j], pos_label=label)
                case.add(
                    "roc_curve",
                    ["y_true", *arg],
                    {"pos_label": label},
                    expected=[fpr, tpr, thr],
                    source="sklearn.metrics.roc_curve",
                )
            else:
                case.add(
                    "roc_curve",
                    ["y_true", *arg],
                    {"pos_label": label},
                    raises="no sample of the positive class" if support[j] == 0 else "every sample",
                    source="sklearn warns and returns nan rates; cnnlab raises",
                )


def add_binary_roc(case: Case, *, pos_label=None):
    yt, scores = case.inputs["y_true"], case.inputs["scores"]
    kw = {} if pos_label is None else {"pos_label": pos_label}
    fpr, tpr, thr = skm.roc_curve(yt, scores, pos_label=pos_label)
    case.add(
        "roc_curve",
        ["y_true", "scores"],
        kw,
        expected=[fpr, tpr, thr],
        source="sklearn.metrics.roc_curve",
    )
    fpr, tpr, thr = skm.roc_curve(yt, scores, pos_label=pos_label, drop_intermediate=False)
    case.add(
        "roc_curve",
        ["y_true", "scores"],
        dict(kw, drop_intermediate=False),
        expected=[fpr, tpr, thr],
        source="sklearn.metrics.roc_curve",
    )


# ---------------------------------------------------------------------------- cases


def balanced_3class():
    rng = np.random.default_rng(101)
    case = Case(
        "balanced_3class",
        "60 samples, 3 classes of 20, softmax probabilities",
        ["balanced classes", "probabilities"],
    )
    yt = rng.permutation(np.repeat(np.arange(3), 20))
    scores = _probabilities(rng, yt, 3, signal=1.5)
    case.inputs.update(y_true=yt, y_pred=scores.argmax(axis=1), scores=scores)
    add_label_calls(case, target_names=["ant", "bee", "cicada"])
    add_score_calls(case)
    return case


def imbalanced_4class():
    rng = np.random.default_rng(202)
    case = Case(
        "imbalanced_4class",
        "200 samples, classes in proportions 70/20/8/2 %; labels= a subset gives the "
        "'micro avg' row",
        ["imbalanced classes", "labels subset"],
    )
    yt = rng.permutation(np.repeat(np.arange(4), [140, 40, 16, 4]))
    scores = _probabilities(rng, yt, 4, signal=1.0)
    case.inputs.update(y_true=yt, y_pred=scores.argmax(axis=1), scores=scores)
    add_label_calls(case, labels=[0, 1, 3])
    add_score_calls(case)
    return case


def never_predicted():
    rng = np.random.default_rng(303)
    case = Case(
        "never_predicted",
        "40 samples of 4 classes; class 3 is never predicted, so its precision divides by zero",
        ["class never predicted", "zero division"],
    )
    yt = rng.permutation(np.repeat(np.arange(4), 10))
    yp = np.where(rng.random(40) < 0.6, yt, rng.integers(0, 3, 40))
    yp[yp == 3] = 2
    case.inputs.update(y_true=yt, y_pred=yp, scores=_probabilities(rng, yt, 4, signal=1.0))
    add_label_calls(case)
    add_score_calls(case)
    return case


def absent_from_true():
    rng = np.random.default_rng(404)
    case = Case(
        "absent_from_true",
        "30 samples; class 3 is predicted but never true (recall divides by zero), "
        "labels= adds class 4 found nowhere; scores have a column for class 3, whose "
        "ROC is undefined",
        ["class absent from y_true", "zero division", "labels given"],
    )
    yt = rng.permutation(np.repeat(np.arange(3), 10))
    yp = np.where(rng.random(30) < 0.5, yt, rng.integers(0, 4, 30))
    yp[:2] = 3
    case.inputs.update(y_true=yt, y_pred=yp, scores=_probabilities(rng, yt, 4, signal=1.0))
    add_label_calls(
        case, labels=[0, 1, 2, 3, 4], target_names=["zero", "one", "two", "three", "four"]
    )
    add_score_calls(case, labels=[0, 1, 2, 3])
    return case


def string_labels():
    rng = np.random.default_rng(505)
    names = np.array(["cat", "dog", "fox", "tiger", "wolf"])
    case = Case(
        "string_labels",
        "50 samples with string labels; score columns in sorted label order",
        ["string labels"],
    )
    idx = rng.integers(0, 5, 50)
    idx[:5] = np.arange(5)
    scores = _probabilities(rng, idx, 5, signal=1.2)
    case.inputs.update(y_true=names[idx], y_pred=names[scores.argmax(axis=1)], scores=scores)
    add_label_calls(case, labels=["wolf", "cat", "dog"])
    add_score_calls(case)
    return case


def tied_scores():
    rng = np.random.default_rng(606)
    case = Case(
        "tied_scores",
        "80 samples, 5 classes, probabilities in eighths (many exact ties in every row and column)",
        ["ties in scores"],
    )
    yt = rng.integers(0, 5, 80)
    yt[:5] = np.arange(5)
    eighths = np.array([rng.multinomial(8, np.full(5, 0.2)) for _ in range(80)])
    scores = eighths / 8.0
    case.inputs.update(y_true=yt, y_pred=scores.argmax(axis=1), scores=scores)
    add_label_calls(case)
    add_score_calls(case)
    return case


def lecture_top_k():
    case = Case(
        "lecture_top_k",
        "The lecture example: classes Cat, Dog, Fox, Wolf, Tiger (0-4) scored .25, .40, "
        ".20, .10, .05; the truth is Fox, the prediction Dog. Top-1 and top-2 are wrong, "
        "top-3 is right.",
        ["lecture example", "single sample", "labels given"],
    )
    labels = [0, 1, 2, 3, 4]
    case.inputs.update(
        y_true=np.array([2]),
        y_pred=np.array([1]),
        scores=np.array([[0.25, 0.40, 0.20, 0.10, 0.05]]),
    )
    add_score_calls(case, labels=labels, ks=(1, 2, 3, 4, 5))
    add_label_calls(case, labels=labels, target_names=["Cat", "Dog", "Fox", "Wolf", "Tiger"])
    return case


def single_sample():
    case = Case(
        "single_sample",
        "One sample, predicted right; its ROC is undefined (no negatives)",
        ["single sample"],
    )
    case.inputs.update(y_true=np.array([1]), y_pred=np.array([1]), scores=np.array([0.9]))
    add_label_calls(case)
    case.add(
        "top_k_accuracy",
        ["y_true", "scores"],
        {"k": 1, "labels": [0, 1]},
        expected=skm.top_k_accuracy_score([1], [0.9], k=1, labels=[0, 1]),
        source="sklearn.metrics.top_k_accuracy_score",
    )
    case.add(
        "roc_curve",
        ["y_true", "scores"],
        raises="every sample",
        source="sklearn warns and returns nan false positive rates; cnnlab raises",
    )
    case.add(
        "roc_auc",
        ["y_true", "scores"],
        raises="every sample",
        source="sklearn warns and returns nan; cnnlab raises",
    )
    return case


def binary_probabilities():
    rng = np.random.default_rng(707)
    case = Case(
        "binary_probabilities",
        "2 classes (0/1), 100 samples, 1-D probabilities of "
        "class 1 in steps of 0.05 (ties); scores_2col holds [1 - p, p]",
        ["2 classes", "ties in scores", "binary average"],
    )
    yt = (rng.random(100) < 0.4).astype(np.int64)
    p = np.clip(np.round((0.35 + 0.3 * yt + rng.normal(0, 0.2, 100)) * 20) / 20, 0, 1)
    case.inputs.update(
        y_true=yt,
        y_pred=(p > 0.5).astype(np.int64),
        scores=p,
        scores_2col=np.stack([1 - p, p], axis=1),
    )
    add_label_calls(case, pos_label=1)
    add_score_calls(case, ks=(1, 2))
    add_binary_roc(case)
    case.add(
        "roc_auc",
        ["y_true", "scores_2col"],
        expected=skm.roc_auc_score(yt, p),
        source="sklearn.metrics.roc_auc_score on column 1 (the greater class)",
    )
    return case


def binary_strings():
    rng = np.random.default_rng(808)
    case = Case(
        "binary_strings",
        "2 string classes ('neg', 'pos'), 60 samples, 1-D logits",
        ["2 classes", "string labels", "logits", "binary average"],
    )
    yt = np.where(rng.random(60) < 0.5, "pos", "neg")
    logit = np.round(rng.normal(0, 1.5, 60) + 1.2 * (yt == "pos"), 2)
    case.inputs.update(y_true=yt, y_pred=np.where(logit > 0, "pos", "neg"), scores=logit)
    add_label_calls(case, pos_label="pos")
    add_score_calls(case, ks=(1, 2))
    add_binary_roc(case, pos_label="pos")
    return case


def thousand_classes_labels():
    rng = np.random.default_rng(909)
    case = Case(
        "thousand_classes_labels",
        "100,000 samples of 1,000 classes, 60 % predicted right",
        ["1,000 classes", "100,000 samples"],
    )
    yt = rng.integers(0, 1000, 100_000)
    yt[:1000] = np.arange(1000)
    yp = np.where(rng.random(100_000) < 0.6, yt, rng.integers(0, 1000, 100_000))
    case.inputs.update(y_true=yt.astype(np.int16), y_pred=yp.astype(np.int16))
    add_label_calls(case, big=True)
    return case


def thousand_classes_scores():
    rng = np.random.default_rng(1010)
    case = Case(
        "thousand_classes_scores",
        "1,200 samples of 1,000 classes; probabilities are "
        "multiples of 1/4096 summing exactly to 1 (float32), so ties are common",
        ["1,000 classes", "ties in scores", "float32 scores"],
    )
    yt = np.concatenate([np.arange(1000), rng.integers(0, 1000, 200)])
    yt = rng.permutation(yt)
    pvals = _probabilities(rng, yt, 1000, signal=4.0)
    counts = np.array([rng.multinomial(4096, row / row.sum()) for row in pvals])
    scores = (counts / 4096).astype(np.float32)
    case.inputs.update(
        y_true=yt.astype(np.int16), y_pred=scores.argmax(axis=1).astype(np.int16), scores=scores
    )
    add_label_calls(case, big=True)
    add_score_calls(case, ks=(1, 5, 10, 1000), per_class_roc=False)
    for j in (0, 999):
        fpr, tpr, thr = skm.roc_curve(yt, scores[:, j], pos_label=j)
        case.add(
            "roc_curve",
            ["y_true", {"input": "scores", "column": j}],
            {"pos_label": j},
            expected=[fpr, tpr, thr],
            source="sklearn.metrics.roc_curve",
        )
    return case


def hundred_thousand_binary():
    rng = np.random.default_rng(1111)
    case = Case(
        "hundred_thousand_binary",
        "100,000 samples, 2 classes, 1-D scores rounded to "
        "3 decimals (1,001 distinct values, heavy ties)",
        ["100,000 samples", "2 classes", "ties in scores"],
    )
    yt = (rng.random(100_000) < 0.3).astype(np.int8)
    p = np.clip(np.round(0.35 + 0.3 * yt + rng.normal(0, 0.2, 100_000), 3), 0, 1)
    case.inputs.update(y_true=yt, y_pred=(p > 0.5).astype(np.int8), scores=p)
    add_label_calls(case, pos_label=1, big=True)
    add_score_calls(case, ks=(1, 2))
    add_binary_roc(case)
    return case


CASES = (
    balanced_3class,
    imbalanced_4class,
    never_predicted,
    absent_from_true,
    string_labels,
    tied_scores,
    lecture_top_k,
    single_sample,
    binary_probabilities,
    binary_strings,
    thousand_classes_labels,
    thousand_classes_scores,
    hundred_thousand_binary,
)


# ------------------------------------------------------------------------------ files


def arrays_digest(arrays: dict[str, np.ndarray]) -> str:
    """A digest of array contents (npz bytes carry timestamps, so they are not hashed)."""
    h = hashlib.sha256()
    for key in sorted(arrays):
        a = np.ascontiguousarray(arrays[key])
        h.update(f"{key}|{a.dtype.str}|{a.shape}|".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def render(case: Case) -> tuple[str, dict[str, np.ndarray]]:
    """JSON with one line per input and per call: readable, and small diffs on regeneration."""
    data = case.to_json()
    lines = ["{"]
    for key in ("name", "description", "covers"):
        lines.append(f" {json.dumps(key)}: {json.dumps(data[key])},")
    lines.append(' "inputs": {')
    inputs = [f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in data["inputs"].items()]
    lines.append(",\n".join(inputs))
    lines.append(" },")
    lines.append(' "calls": [')
    lines.append(",\n".join(f"  {json.dumps(call)}" for call in data["calls"]))
    lines.append(" ]")
    lines.append("}")
    return "\n".join(lines) + "\n", case.arrays


def build() -> tuple[dict, dict[str, tuple[str, dict]]]:
    files, entries = {}, []
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning from scikit-learn means a case is ill-posed
        warnings.filterwarnings("ignore", "A single label was found", UserWarning)
        warnings.filterwarnings("ignore", ".*'k' .* greater than or equal", UndefinedMetricWarning)
        for make in CASES:
            case = make()
            text, arrays = render(case)
            files[case.name] = (text, arrays)
            entries.append(
                {
                    "name": case.name,
                    "description": case.description,
                    "covers": case.covers,
                    "calls": len(case.calls),
                    "json_sha256": hashlib.sha256(text.encode()).hexdigest(),
                    "npz_arrays_sha256": arrays_digest(arrays) if arrays else None,
                }
            )
    manifest = {
        "version": VERSION,
        "generator": "scripts/make_metric_fixtures.py",
        "expected_values_from": f"scikit-learn {sklearn.__version__}",
        "numpy": np.__version__,
        "tolerance": "floats: absolute 1e-12; counts, labels and text: exact",
        "cases": entries,
    }
    return manifest, files


def write(out: Path) -> None:
    manifest, files = build()
    out.mkdir(parents=True, exist_ok=True)
    for name, (text, arrays) in files.items():
        (out / f"{name}.json").write_text(text)
        npz = out / f"{name}.npz"
        if arrays:
            buffer = io.BytesIO()
            np.savez_compressed(buffer, **arrays)
            npz.write_bytes(buffer.getvalue())
        elif npz.exists():
            npz.unlink()
    (out / "MANIFEST.json").write_text(json.dumps(manifest, indent=1) + "\n")
    total = sum(p.stat().st_size for p in out.iterdir())
    print(f"wrote {len(files)} cases to {out} ({total / 1e6:.1f} MB)")


def check(out: Path) -> int:
    manifest, _ = build()
    stored = json.loads((out / "MANIFEST.json").read_text())
    fresh = {c["name"]: c for c in manifest["cases"]}
    old = {c["name"]: c for c in stored["cases"]}
    stale = [n for n in fresh if fresh[n] != old.get(n)] + [n for n in old if n not in fresh]
    if stale:
        print(f"stale fixtures: {', '.join(stale)}; rerun scripts/make_metric_fixtures.py")
        return 1
    print(f"{len(fresh)} fixture cases up to date")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"folder (default: {OUT})")
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    if args.check:
        return check(args.out)
    write(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
