"""Renderers of ``cnnlab bench`` records: tables, side-by-side comparison, CSV, chart, baseline check.

A record is the JSON of a ``cnnlab.bench.jobs.bench.BenchRecord`` (a flat dict); nothing here
recomputes a measurement, it only selects, formats and divides records by each other.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cnnlab.errors import UsageError

from .tables import table

#: Label of the column every other framework is held against in the side-by-side table.
REFERENCE_LABEL = "torch"
#: Column order of framework labels; labels not listed follow in the order they appear.
LABEL_ORDER = ("torch", "torch+compile", "keras-tensorflow", "keras-tensorflow+compile",
               "keras-jax", "keras-jax+compile", "keras-torch", "keras-torch+compile")

#: (column in the terminal table, record field or function of a record).
_COLUMNS = (
    ("arch", "arch"),
    ("framework", "label"),
    ("device", "device_name"),
    ("prec", "precision"),
    ("mode", "mode"),
    ("layout", "layout"),
    ("batch", lambda r: _batch_cell(r)),
    ("img/s", "images_per_s"),
    ("IQR", "images_per_s_iqr"),
    ("p50 ms", "step_ms_p50"),
    ("p90 ms", "step_ms_p90"),
    ("p99 ms", "step_ms_p99"),
    ("GMACs", "gmacs"),
    ("TFLOP/s", "achieved_tflops"),
    ("util", lambda r: _percent(r.get("utilisation"))),
    ("util mm", lambda r: _percent(r.get("utilisation_matmul"))),
    ("mem MiB", lambda r: r["peak_memory_bytes"] / 2**20 if r.get("peak_memory_bytes") else None),
    ("params", "params"),
)


def _batch_cell(record) -> str:
    if record.get("batch_size") != record.get("batch_size_requested"):
        return f"{record['batch_size']} (OOM at {record['batch_size_requested']})"
    return str(record.get("batch_size"))


def _percent(value) -> str | None:
    return None if value is None else f"{100 * value:.1f}%"


def run_key(record: dict) -> tuple:
    """What identifies a run across files: everything asked for, nothing measured."""
    return (record["arch"], record["label"], record["device"], record["precision"], record["mode"],
            record["layout"], record["batch_size_requested"])


def bench_table(records: Iterable[dict], *, tablefmt: str = "simple") -> str:
    """One row per record with the timing, utilisation and memory columns.

    Parameters
    ----------
    records : iterable of dict
        ``cnnlab bench`` records.
    tablefmt : str, default="simple"
        Any tabulate format; ``"github"`` gives markdown.

    Returns
    -------
    str
    """
    rows = [
        {name: (field(r) if callable(field) else r.get(field)) for name, field in _COLUMNS}
        for r in records
    ]
    names = [name for name, _ in _COLUMNS]
    return table(rows, names, tablefmt=tablefmt)


def _ordered_labels(records: Sequence[dict]) -> list[str]:
    seen = list(dict.fromkeys(r["label"] for r in records))
    return [label for label in LABEL_ORDER if label in seen] + [
        label for label in seen if label not in LABEL_ORDER
    ]


def side_by_side_rows(records: Sequence[dict]) -> tuple[list[dict], list[str]]:
    """Rows of images/s with one column per framework label and its ratio to PyTorch eager.

    Returns
    -------
    rows, columns : (list of dict, list of str)
        A row per (arch, machine, device, precision, mode, requested batch), with a ``machine``
        column where the records come from more than one host; the ratio columns are named
        ``"<label> / torch"`` and are absent when no PyTorch eager run is in ``records``.
    """
    records = list(records)
    labels = _ordered_labels(records)
    # a sweep over several machines (cnnlab bench --scheduler): one row per machine, side by side
    machines = sorted({_machine(r) for r in records})
    groups: dict[tuple, dict] = {}
    for r in records:
        key = (r["arch"], _machine(r), r["device_name"], r["precision"], r["mode"], r["batch_size_requested"])
        groups.setdefault(key, {})[r["label"]] = r["images_per_s"]
    with_reference = REFERENCE_LABEL in labels
    rows = []
    for (arch, machine, device, precision, mode, batch), speeds in groups.items():
        row = {"arch": arch, "machine": machine, "device": device, "precision": precision, "mode": mode,
               "batch": batch}
        reference = speeds.get(REFERENCE_LABEL)
        for label in labels:
            row[label] = speeds.get(label)
            if with_reference and label != REFERENCE_LABEL:
                ratio = speeds.get(label) / reference if reference and speeds.get(label) else None
                row[f"{label} / torch"] = None if ratio is None else f"{ratio:.2f}x"
        rows.append(row)
    columns = ["arch", *(["machine"] if len(machines) > 1 else []), "device", "precision", "mode", "batch",
               *labels]
    if with_reference:
        columns += [f"{label} / torch" for label in labels if label != REFERENCE_LABEL]
    return rows, columns


def _machine(record: dict) -> str:
    """The host a record was measured on (its hostname; records from before hosts were kept: "")."""
    host = record.get("host")
    return (host.get("hostname") if isinstance(host, dict) else host) or ""


def side_by_side(records: Iterable[dict], *, tablefmt: str = "simple") -> str:
    """Images per second, one column per framework, and each framework's ratio to PyTorch eager."""
    rows, columns = side_by_side_rows(list(records))
    return table(rows, columns, tablefmt=tablefmt)


def to_markdown(records: Iterable[dict]) -> str:
    """The side-by-side table and the full table, as GitHub markdown."""
    records = list(records)
    return (
        "Images per second (median of repeats) and ratio to PyTorch eager:\n\n"
        + side_by_side(records, tablefmt="github")
        + "\n\nAll measurements:\n\n"
        + bench_table(records, tablefmt="github")
        + "\n"
    )


def flatten(record: dict) -> dict:
    """A record with nested values turned into strings, one CSV cell each."""
    flat = {}
    for key, value in record.items():
        if isinstance(value, dict):
            flat[key] = ";".join(f"{k}={v}" for k, v in value.items())
        elif isinstance(value, (list, tuple)):
            flat[key] = ";".join(str(v) for v in value)
        else:
            flat[key] = value
    return flat


def write_csv(records: Iterable[dict], path: str | Path) -> Path:
    """Every field of every record, one row per record (nested fields joined with ``;``)."""
    import pandas as pd

    path = Path(path)
    pd.DataFrame([flatten(r) for r in records]).to_csv(path, index=False)
    return path


def write_files(records: Sequence[dict], out: str | Path) -> list[Path]:
    """``bench.csv`` (every field), ``bench.md`` (the tables) and ``bench.png`` (the chart) in ``out``."""
    out = Path(out)
    (out / "bench.md").write_text(to_markdown(records), encoding="utf-8")
    return [write_csv(records, out / "bench.csv"), out / "bench.md", bar_chart(records, out / "bench.png")]


def bar_chart(records: Iterable[dict], path: str | Path) -> Path:
    """A PNG of grouped bars: images per second per run, one colour per framework, IQR as error bars."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    records = list(records)
    if not records:
        raise UsageError("no records to plot")
    labels = _ordered_labels(records)
    groups = list(dict.fromkeys(
        f"{r['arch']}\n{r['precision']} {r['mode']} b{r['batch_size_requested']}" for r in records
    ))
    width = 0.8 / len(labels)
    fig, ax = plt.subplots(figsize=(max(6.0, 1.2 * len(groups) * max(1, len(labels)) ** 0.5), 4.5))
    for i, label in enumerate(labels):
        xs, ys, low, high = [], [], [], []
        for r in records:
            if r["label"] != label:
                continue
            group = f"{r['arch']}\n{r['precision']} {r['mode']} b{r['batch_size_requested']}"
            xs.append(groups.index(group) + (i - (len(labels) - 1) / 2) * width)
            ys.append(r["images_per_s"])
            low.append(r["images_per_s"] - r.get("images_per_s_q1", r["images_per_s"]))
            high.append(r.get("images_per_s_q3", r["images_per_s"]) - r["images_per_s"])
        ax.bar(xs, ys, width, yerr=[low, high], label=label, capsize=2)
    speeds = [r["images_per_s"] for r in records if r["images_per_s"] > 0]
    if speeds and max(speeds) > 30 * min(speeds):
        ax.set_yscale("log")  # small and large networks on one chart
    ax.set_xticks(range(len(groups)), groups, fontsize=8)
    ax.set_ylabel("images / s (median; bars: quartiles)")
    devices = sorted({r["device_name"] for r in records})
    ax.set_title(f"cnnlab bench on {', '.join(devices)}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def load_records(path: str | Path) -> list[dict]:
    """Records from a ``cnnlab bench --json`` file (an object with ``records``, or a bare list)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"baseline file {str(path)!r} does not exist")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path} is not JSON: {exc}") from None
    records = data.get("records") if isinstance(data, dict) else data
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise UsageError(f"{path} holds no cnnlab bench records (expected {{'records': [...]}})")
    missing = [f for f in ("arch", "label", "images_per_s") if records and f not in records[0]]
    if missing:
        raise UsageError(f"{path} records lack the fields {', '.join(missing)}")
    return records


@dataclass
class Comparison:
    """Current records against a baseline: a row per run and the runs past the threshold."""

    rows: list[dict]
    regressions: list[dict]
    fail_over: float

    def table(self, *, tablefmt: str = "simple") -> str:
        columns = ["arch", "framework", "precision", "mode", "batch", "baseline img/s",
                   "img/s", "change", "status"]
        return table(self.rows, columns, tablefmt=tablefmt)


def check_fail_over(fail_over) -> float:
    """``fail_over`` as a float if it is a percentage in [0, 100), else a ``ValueError``."""
    if isinstance(fail_over, bool) or not isinstance(fail_over, (int, float)) or not 0 <= fail_over < 100:
        raise UsageError(f"--fail-over must be a percentage in [0, 100), got {fail_over!r}")
    return float(fail_over)


def compare(records: Iterable[dict], baseline: Iterable[dict], *, fail_over: float) -> Comparison:
    """Change in images per second of each run against the same run in ``baseline``.

    Parameters
    ----------
    records, baseline : iterable of dict
        Current and baseline records; runs are matched by :func:`run_key`.
    fail_over : float
        A run whose images per second dropped by more than this percentage is a regression.

    Returns
    -------
    Comparison
    """
    check_fail_over(fail_over)
    base = {run_key(r): r for r in baseline}
    rows, regressions = [], []
    for r in records:
        old = base.get(run_key(r))
        row = {"arch": r["arch"], "framework": r["label"], "precision": r["precision"],
               "mode": r["mode"], "batch": r["batch_size_requested"], "img/s": r["images_per_s"],
               "baseline img/s": None, "change": None, "status": "new (not in baseline)"}
        if old is not None:
            change = 100.0 * (r["images_per_s"] / old["images_per_s"] - 1.0)
            row.update({"baseline img/s": old["images_per_s"], "change": f"{change:+.1f}%"})
            row["status"] = "REGRESSION" if change < -fail_over else "ok"
            if old.get("device_name") != r.get("device_name"):
                row["status"] += f" (baseline on {old.get('device_name')})"
            if change < -fail_over:
                regressions.append(row)
        rows.append(row)
    return Comparison(rows, regressions, float(fail_over))


def describe_run(run: dict) -> str:
    """A run of a plan in a few words: ``resnet50 torch+compile b32 fp32 infer``."""
    compiled = "+compile" if run["compile"] else ""
    return f"{run['arch']} {run['label']}{compiled} b{run['batch_size']} {run['precision']} {run['mode']}"


def render_run(result, *, out: str | Path, baseline: Sequence[dict] | None = None,
               fail_over: float = 5.0, text=None, notes=None) -> Comparison | None:
    """Everything ``cnnlab bench`` shows of one :class:`~cnnlab.bench.throughput.runner.BenchResult`.

    Parameters
    ----------
    result : BenchResult
        ``records``, ``skipped`` and ``failed`` of the run.
    out : str or Path
        Folder for the CSV, Markdown and chart (:func:`write_files`), written where a run was
        measured.
    baseline : sequence of dict, optional
        Records to compare with (:func:`compare`).
    fail_over : float, default=5.0
        The regression threshold in percent.
    text, notes : file, optional
        Where the tables go (default stdout) and the notes on skipped, failed and regressed runs
        (default stderr).

    Returns
    -------
    Comparison or None
        The comparison with ``baseline``, where one was given.
    """
    text = sys.stdout if text is None else text
    notes = sys.stderr if notes is None else notes
    for reason in sorted({note["reason"] for note in result.skipped}):
        print(f"skipped {reason}", file=notes)
    for note in result.failed:
        print(f"failed {describe_run(note['run'])}: {note['reason']}", file=notes)
    if result.records:
        print(bench_table(result.records), file=text)
        if len({r["label"] for r in result.records}) > 1:
            print("\n" + side_by_side(result.records), file=text)
        write_files(result.records, out)
    elif result.skipped and not result.failed:
        print("nothing was measured: every requested run was skipped", file=notes)
    if baseline is None:
        return None
    comparison = compare(result.records, baseline, fail_over=fail_over)
    print("\n" + comparison.table(), file=text)
    if comparison.regressions:
        print(f"{len(comparison.regressions)} run(s) slower than the baseline by more than "
              f"{fail_over:g}%", file=notes)
    return comparison

