"""The ``cnnlab evaluate`` job: classification report, top-k accuracy, ROC AUC and plots of one
predictions CSV.

The CSV has a ``y_true`` column and either a ``y_pred`` column or one score column per class,
named by its class (``0, 1, 2`` or ``cat, dog, fox``), or both. Without ``y_pred`` the predicted
class is the highest-scored one; a tie goes to the later column, the rule top-k accuracy uses,
so that accuracy and top-1 accuracy agree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

from cnnlab.errors import UsageError

from .record import JobRecord

SCHEMA_VERSION = 1
#: Top-k accuracies reported when none are asked for (those not above the number of classes).
DEFAULT_K = (1, 5)
#: The file in ``out`` that holds the record.
RECORD_FILE = "evaluation.json"


@dataclass(frozen=True)
class EvaluationRecord(JobRecord):
    """The evaluation of one predictions CSV.

    Attributes
    ----------
    source : str
        the CSV read
    n_samples : int
        its rows
    labels : list
        every class seen in ``y_true``, ``y_pred`` or the score columns, sorted
    accuracy : float
        share of rows whose prediction equals ``y_true``
    classification_report : dict
        precision, recall, F1 and support per class and averaged (scikit-learn's
        ``output_dict`` layout)
    report_text : str
        the same report as text, with ``--digits`` decimals
    confusion_matrix, confusion_matrix_normalized : list of list
        counts (rows: true class, columns: predicted class, in the order of ``labels``), and the
        rows divided by their sums
    top_k : dict
        top-k accuracy by ``k`` (a string); empty without score columns
    roc_auc : dict or None
        ``binary`` and ``positive_class`` for two classes; otherwise ``per_class`` (None where a
        class has no positive samples), ``undefined`` and the ``macro``, ``weighted`` and ``micro``
        averages; None without score columns
    plots : list of str
        the PNG files written (confusion matrix, ROC curves)
    """

    SCHEMA = f"cnnlab.evaluate/{SCHEMA_VERSION}"

    source: str
    n_samples: int
    labels: list
    accuracy: float
    classification_report: dict
    report_text: str
    confusion_matrix: list
    confusion_matrix_normalized: list
    top_k: dict
    roc_auc: dict | None
    plots: list


def read_predictions(path: Path):
    """Labels, predictions, score matrix and score labels from the CSV (validated)."""
    import numpy as np
    import pandas as pd

    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    try:
        frame = pd.read_csv(path)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path} is not a readable CSV file: {exc}") from None
    columns = [str(c).strip() for c in frame.columns]
    frame.columns = columns
    if "y_true" not in columns:
        raise UsageError(f"{path} has no y_true column; its columns are {columns}")
    score_columns = [c for c in columns if c not in ("y_true", "y_pred")]
    if "y_pred" not in columns and not score_columns:
        raise UsageError(
            f"{path} needs a y_pred column or one score column per class; found only y_true"
        )
    y_true = _labels(frame["y_true"], "y_true", path)
    y_pred = _labels(frame["y_pred"], "y_pred", path) if "y_pred" in columns else None
    if not score_columns:
        return y_true, y_pred, None, None
    if y_true.dtype.kind == "U":
        score_labels = np.asarray(score_columns)
    else:
        try:
            score_labels = np.asarray([int(float(c)) for c in score_columns])
        except ValueError:
            raise UsageError(
                f"y_true holds numbers, so the score columns must be named by class number; "
                f"got {score_columns}"
            ) from None
    try:
        scores = frame[score_columns].to_numpy(dtype=np.float64)
    except ValueError as exc:
        raise UsageError(f"score columns of {path} must hold numbers: {exc}") from None
    return y_true, y_pred, scores, score_labels


def _labels(column, name: str, path: Path):
    import numpy as np

    if column.isna().any():
        row = int(np.flatnonzero(column.isna().to_numpy())[0]) + 2  # 1-based, after the header
        raise UsageError(f"{path}: {name} is empty on line {row}")
    values = column.to_numpy()
    if values.dtype.kind == "f" and np.all(values == np.round(values)):
        return values.astype(np.int64)
    if values.dtype.kind == "O":
        return values.astype(str)
    return values


def evaluate(path: Path, *, ks=None, digits: int = 2) -> tuple[EvaluationRecord, dict | None]:
    """The record of one predictions CSV (without plots) and its ROC curves (None without scores)."""
    import numpy as np

    from cnnlab.reference import metrics

    y_true, y_pred, scores, score_labels = read_predictions(path)
    if scores is not None:
        n_classes = score_labels.shape[0]
        if ks is None:
            ks = [k for k in DEFAULT_K if k <= n_classes]
        if y_pred is None:
            # argmax with ties to the later column, as top-k accuracy ranks them
            last = n_classes - 1 - np.argmax(scores[:, ::-1], axis=1)
            y_pred = score_labels[last]
    elif ks:
        raise UsageError("--k needs score columns (one per class) in the CSV")
    labels = np.unique(np.concatenate([np.unique(y_true), np.unique(y_pred)]))
    if score_labels is not None:
        labels = np.unique(np.concatenate([labels, score_labels]))
    top_k, aucs, curves = {}, None, None
    if scores is not None:
        top_k = {str(k): metrics.top_k_accuracy(y_true, scores, k=k, labels=score_labels) for k in ks}
        aucs, curves = _aucs(metrics, y_true, scores, score_labels)
    record = EvaluationRecord(
        source=str(path),
        n_samples=int(y_true.shape[0]),
        labels=labels.tolist(),
        accuracy=metrics.accuracy(y_true, y_pred),
        classification_report=metrics.classification_report(
            y_true, y_pred, digits=digits, output_dict=True
        ),
        report_text=metrics.classification_report(y_true, y_pred, digits=digits),
        confusion_matrix=metrics.confusion_matrix(y_true, y_pred, labels=labels).tolist(),
        confusion_matrix_normalized=metrics.confusion_matrix(
            y_true, y_pred, labels=labels, normalize="true"
        ).tolist(),
        top_k=top_k,
        roc_auc=aucs,
        plots=[],
    )
    return record, curves


def _aucs(metrics, y_true, scores, score_labels):
    """Per-class and averaged AUCs; a class without positive samples is reported undefined."""
    curves = metrics.ovr_roc_curves(y_true, scores, labels=score_labels, skip_undefined=True)
    by_name = {c["name"]: c for c in curves["curves"]}
    if score_labels.shape[0] == 2:
        name = curves["curves"][0]["name"]
        return {"binary": by_name[name]["auc"], "positive_class": name}, curves
    per_class = {n: (by_name[n]["auc"] if n in by_name else None) for n in curves["labels"]}
    aucs = {"per_class": per_class, "undefined": curves["undefined"]}
    for average in ("macro", "weighted", "micro"):
        try:
            aucs[average] = metrics.roc_auc(y_true, scores, average=average, labels=score_labels)
        except ValueError:
            aucs[average] = None  # undefined: a class has no positive samples
    return aucs, curves


def run(*, predictions: Path, out: Path, ks=None, digits: int = 2) -> EvaluationRecord:
    """Evaluate ``predictions``, draw its plots into ``out`` and write ``out/evaluation.json``.

    Parameters
    ----------
    predictions : Path
        The CSV (see the module's docstring).
    out : Path
        The folder for ``confusion_matrix.png``, ``roc_curves.png`` (with scores) and
        ``evaluation.json``; created if missing.
    ks : list of int, optional
        Top-k accuracies (default :data:`DEFAULT_K`, those not above the classes).
    digits : int, default=2
        Decimal places of ``report_text``.

    Returns
    -------
    EvaluationRecord
    """
    from cnnlab.bench.jobs.common import output_folder
    from cnnlab.reports.plots_metrics import plot_confusion_matrix, plot_roc_curves

    record, curves = evaluate(Path(predictions), ks=ks, digits=digits)
    out = output_folder(out)
    plots = [out / "confusion_matrix.png"]
    plot_confusion_matrix(record.confusion_matrix, labels=record.labels,
                          normalized=record.confusion_matrix_normalized, path=plots[0])
    if curves is not None:
        plots.append(out / "roc_curves.png")
        plot_roc_curves(curves, path=plots[-1])
    record = replace(record, plots=[str(p) for p in plots])
    (out / RECORD_FILE).write_text(json.dumps(record.to_json(), indent=2) + "\n")
    return record
