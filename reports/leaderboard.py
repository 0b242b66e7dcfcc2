"""Leaderboards: rank students or teams by the metrics their records carry.

A record's ``leaderboard`` is a list of ``{"name", "value", "order"}`` (Gradescope's format;
``order`` ``"desc"`` ranks higher values first). Ranking uses the metrics in the order they are
declared: the first decides, the next break ties. Records without the first metric are listed
last, unranked.
"""

from __future__ import annotations

import csv
from pathlib import Path

from cnnlab.errors import UsageError


def metrics_of(records: list[dict]) -> list[tuple[str, str]]:
    """``(name, order)`` of every metric in ``records``, in the order they first appear."""
    seen: dict[str, str] = {}
    for record in records:
        for entry in record.get("leaderboard") or []:
            seen.setdefault(entry["name"], entry.get("order", "desc"))
    return list(seen.items())


def ranking(records: list[dict], *, key: str = "student",
            metrics: list[tuple[str, str]] | None = None) -> list[dict]:
    """Rows ``{"rank", key, <metric>: value ...}``, best first.

    Parameters
    ----------
    records : list of dict
        Student records (gradebook) or team records; each may carry ``leaderboard``.
    key : {"student", "team"}, default="student"
        The field that names a row.
    metrics : list of (name, order), optional
        Declared metrics (default: those found in ``records``).

    Returns
    -------
    list of dict
        Equal values share a rank (1, 2, 2, 4); ``rank`` is None without the first metric.

    Raises
    ------
    ValueError
        If ``key`` is not ``"student"`` or ``"team"``, or an order is not ``"desc"``/``"asc"``.
    """
    if key not in ("student", "team"):
        raise UsageError(f"key must be 'student' or 'team', got {key!r}")
    metrics = metrics_of(records) if metrics is None else list(metrics)
    for name, order in metrics:
        if order not in ("desc", "asc"):
            raise UsageError(f"order of {name!r} must be 'desc' or 'asc', got {order!r}")
    rows = []
    for record in records:
        values = {e["name"]: e["value"] for e in record.get("leaderboard") or []}
        rows.append({key: record[key], **{name: values.get(name) for name, _ in metrics}})
    if not metrics:
        return [dict(row, rank=None) for row in rows]

    def sort_key(row):
        keys = []
        for name, order in metrics:
            value = row[name]
            keys += [value is None, 0.0 if value is None else (-value if order == "desc" else value)]
        return (*keys, row[key])

    rows.sort(key=sort_key)
    first, previous, rank = metrics[0][0], None, 0
    for position, row in enumerate(rows, start=1):
        if row[first] is None:
            row["rank"] = None
            continue
        current = tuple(row[name] for name, _ in metrics)
        if current != previous:
            rank, previous = position, current
        row["rank"] = rank
    return [{"rank": row.pop("rank"), **row} for row in rows]


def table(rows: list[dict], *, tablefmt: str = "simple") -> str:
    """A ranking (from :func:`ranking`) as a text table."""
    from tabulate import tabulate

    if not rows:
        return "(no leaderboard entries)"
    headers = list(rows[0])
    cells = [["-" if row[h] is None else (f"{row[h]:.4g}" if isinstance(row[h], float) else row[h])
              for h in headers] for row in rows]
    return tabulate(cells, headers=headers, tablefmt=tablefmt, disable_numparse=True)


def write_csv(rows: list[dict], path: str | Path) -> Path:
    """``leaderboard.csv``: the ranking, one row per student or team."""
    path = Path(path)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        if rows:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return path
