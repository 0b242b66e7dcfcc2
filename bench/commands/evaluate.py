"""``cnnlab evaluate``: classification report, top-k accuracy, ROC AUC and plots from a CSV.

The CSV has a ``y_true`` column and either a ``y_pred`` column or one score column per class,
named by its class (``0, 1, 2`` or ``cat, dog, fox``), or both. Without ``y_pred`` the predicted
class is the highest-scored one; a tie goes to the later column, the rule top-k accuracy uses,
so that accuracy and top-1 accuracy agree.
"""

from __future__ import annotations

import json
from pathlib import Path

from cnnlab.errors import UsageError

NAME = "evaluate"
HELP = "classification report, top-k accuracy, ROC AUC and plots from a predictions CSV"
DEFAULT_K = (1, 5)


def configure(parser) -> None:
    parser.add_argument(
        "predictions",
        type=Path,
        metavar="PREDICTIONS.csv",
        help="columns y_true and y_pred, or y_true and one score column per class",
    )
    parser.add_argument(
        "--out",
        default=str(Path("out") / "evaluate"),
        metavar="DIR",
        help="folder for the plots and evaluation.json (default: out/evaluate)",
    )
    parser.add_argument(
        "--k",
        type=int,
        nargs="+",
        metavar="K",
        help="top-k accuracies to report (default: 1 and 5, those not above the classes)",
    )
    parser.add_argument(
        "--digits",
        type=int,
        default=2,
        metavar="N",
        help="decimal places in the classification report (default: 2)",
    )
    parser.add_argument("--json", action="store_true", help="print the record as JSON")


def _read(path: Path):
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


def evaluate(path: Path, *, ks=None, digits: int = 2) -> dict:
    """Compute the evaluation record of one predictions CSV (plain data, JSON-ready)."""
    import numpy as np

    from cnnlab.reference import metrics

    y_true, y_pred, scores, score_labels = _read(path)
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
    report_text = metrics.classification_report(y_true, y_pred, digits=digits)
    labels = np.unique(np.concatenate([np.unique(y_true), np.unique(y_pred)]))
    if score_labels is not None:
        labels = np.unique(np.concatenate([labels, score_labels]))
    record = {
        "source": str(path),
        "n_samples": int(y_true.shape[0]),
        "labels": labels.tolist(),
        "accuracy": metrics.accuracy(y_true, y_pred),
        "classification_report": metrics.classification_report(
            y_true, y_pred, digits=digits, output_dict=True
        ),
        "report_text": report_text,
        "confusion_matrix": metrics.confusion_matrix(y_true, y_pred, labels=labels).tolist(),
        "confusion_matrix_normalized": metrics.confusion_matrix(
            y_true, y_pred, labels=labels, normalize="true"
        ).tolist(),
        "top_k": {},
        "roc_auc": None,
    }
    if scores is not None:
        record["top_k"] = {
            str(k): metrics.top_k_accuracy(y_true, scores, k=k, labels=score_labels) for k in ks
        }
        record["roc_auc"], record["roc"] = _aucs(metrics, y_true, scores, score_labels)
    return record


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


def _tables(record: dict, digits: int) -> str:
    from tabulate import tabulate

    def number(value, undefined="undefined"):
        return undefined if value is None else f"{value:.{digits + 2}f}"

    parts = [record["report_text"]]
    if record["top_k"]:
        rows = [[f"top-{k}", number(v)] for k, v in record["top_k"].items()]
        parts.append(
            tabulate(
                rows, headers=["", "accuracy"], disable_numparse=True, colalign=("left", "right")
            )
        )
    aucs = record["roc_auc"]
    if aucs is not None:
        if "binary" in aucs:
            rows = [[f"class {aucs['positive_class']} vs rest", number(aucs["binary"])]]
        else:
            rows = [
                [f"class {name} vs rest", number(v, "undefined (no positive samples)")]
                for name, v in aucs["per_class"].items()
            ]
            rows += [[f"{avg} avg", number(aucs[avg])] for avg in ("macro", "weighted", "micro")]
        parts.append(
            tabulate(
                rows, headers=["ROC", "AUC"], disable_numparse=True, colalign=("left", "right")
            )
        )
    return "\n\n".join(p.rstrip("\n") for p in parts) + "\n"


def run(args) -> int:
    from cnnlab.reference._validation import check_int
    from cnnlab.reports.plots_metrics import plot_confusion_matrix, plot_roc_curves

    from ._common import output_folder

    check_int(args.digits, name="--digits", low=0, high=10)
    ks = None if args.k is None else [check_int(k, name="--k", low=1) for k in args.k]
    output_folder(args.out, create=False)  # before the work: an empty or file --out
    record = evaluate(args.predictions, ks=ks, digits=args.digits)
    out: Path = output_folder(args.out)
    plots = [out / "confusion_matrix.png"]
    plot_confusion_matrix(
        record["confusion_matrix"],
        labels=record["labels"],
        normalized=record["confusion_matrix_normalized"],
        path=plots[0],
    )
    roc = record.pop("roc", None)
    if roc is not None:
        plots.append(out / "roc_curves.png")
        plot_roc_curves(roc, path=plots[-1])
    record["plots"] = [str(p) for p in plots]
    text = json.dumps(record, indent=2)
    (out / "evaluation.json").write_text(text + "\n")
    if args.json:
        print(text)
    else:
        print(_tables(record, args.digits), end="")
        print("\nwrote " + ", ".join(record["plots"] + [str(out / "evaluation.json")]))
    return 0
