"""Terminal and markdown tables of plain records (dicts), via tabulate."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from tabulate import tabulate


def _cell(value):
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value != value:  # NaN
            return "nan"
        if value == 0 or 1e-3 <= abs(value) < 1e6:
            return f"{value:.4g}" if abs(value) < 1 else f"{value:,.3f}".rstrip("0").rstrip(".")
        return f"{value:.2e}"
    if isinstance(value, (tuple, list)):
        return "x".join(str(v) for v in value)
    if value is None:
        return "-"
    return str(value)


def table(
    records: Iterable[dict],
    columns: Sequence[str],
    *,
    headers: Sequence[str] | None = None,
    tablefmt: str = "simple",
) -> str:
    """Render ``records`` (dicts) as a table of ``columns``; numbers get thousands separators."""
    rows = [[_cell(r.get(c)) for c in columns] for r in records]
    numeric = ("right",) * len(columns)
    return tabulate(rows, headers=list(headers or columns), tablefmt=tablefmt, colalign=numeric)


def to_json(records: Iterable[dict]) -> str:
    """Records as a JSON array (tuples become lists)."""
    return json.dumps(list(records), indent=2, default=str)
