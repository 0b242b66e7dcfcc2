"""What ``cnnlab evaluate`` prints: the classification report, top-k accuracies and ROC AUCs of
one evaluation record (its ``to_json()`` form), or the record as JSON."""

from __future__ import annotations

import json


def evaluation_tables(record: dict, *, digits: int = 2) -> str:
    """The report text, then a top-k table and a ROC AUC table where the record has them."""
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


def render_evaluation(record: dict, *, digits: int = 2, as_json: bool = False,
                      record_file: str | None = None) -> str:
    """The JSON record, or the tables and the line naming the files written."""
    if as_json:
        return json.dumps(record, indent=2)
    written = record["plots"] + ([record_file] if record_file else [])
    return evaluation_tables(record, digits=digits) + "\nwrote " + ", ".join(written)
