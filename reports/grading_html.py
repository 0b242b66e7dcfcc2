"""``report.html``: the class table and two PNG plots (score histogram, per-test pass rates).

Rendered with matplotlib's Agg backend (no display needed); every piece of text is escaped.
"""

from __future__ import annotations

import html
from pathlib import Path

from .grading import _short, class_stats, fmt, test_names


def _plots(records: list[dict], folder: Path) -> dict[str, Path]:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    stats = class_stats(records)
    scores = [r["score"] for r in records if r["status"] in ("graded", "error")]
    paths = {}

    fig, ax = plt.subplots(figsize=(6, 3.2), dpi=100)
    top = stats["max_score"] or 1.0
    ax.hist(scores, bins=min(20, max(5, len(scores))), range=(0, top), color="#4c72b0", edgecolor="white")
    ax.set_xlabel("score")
    ax.set_ylabel("students")
    ax.set_title(f"Scores (mean {stats['mean']:.1f}, median {stats['median']:.1f} of {fmt(top)})")
    fig.tight_layout()
    paths["scores"] = folder / "scores.png"
    fig.savefig(paths["scores"])
    plt.close(fig)

    rates = stats["pass_rate"]
    names = list(rates)
    fig, ax = plt.subplots(figsize=(6, 0.5 + 0.35 * max(len(names), 1)), dpi=100)
    ax.barh([_short(n) for n in names][::-1], [100 * rates[n] for n in names][::-1], color="#55a868")
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of submissions passing in full")
    ax.set_title("Pass rate per test")
    fig.tight_layout()
    paths["pass_rates"] = folder / "pass_rates.png"
    fig.savefig(paths["pass_rates"])
    plt.close(fig)
    return paths


def write_html(records: list[dict], path: str | Path, *, title: str = "",
               names: dict[str, str] | None = None) -> Path:
    """Write ``report.html`` with its plots in ``plots/`` next to it; return the path."""
    path = Path(path)
    plots = _plots(records, path.parent / "plots")
    tests = test_names(records)
    esc = html.escape
    head = "".join(f"<th>{esc(_short(t))}</th>" for t in tests)
    rows = []
    for r in records:
        by_name = {t["test"]: t for t in r.get("tests", [])}
        cells = []
        for t in tests:
            x = by_name.get(t)
            if x is None:
                cells.append("<td></td>")
            else:
                cells.append(f'<td class="{esc(x["status"])}" title="{esc(x.get("message") or "")}">'
                             f"{fmt(x['points'])}</td>")
        who = esc(r["student"]) + (f" ({esc(names[r['student']])})" if names and names.get(r["student"]) else "")
        rows.append(f"<tr><td>{who}</td>{''.join(cells)}<td>{fmt(r['score'])} / {fmt(r['max_score'])}</td>"
                    f"<td>{esc(r['status'])}</td><td>{esc(r.get('isolation') or '')}</td></tr>")
    stats = class_stats(records)
    rates = "".join(f"<td>{100 * stats['pass_rate'].get(t, 0):.0f}%</td>" for t in tests)
    doc = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{esc(title or 'Grades')}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; }}
td, th {{ border: 1px solid #ccc; padding: 0.2em 0.5em; text-align: right; }}
td:first-child {{ text-align: left; }}
.passed {{ background: #dff0d8; }} .partial {{ background: #fcf8e3; }}
.failed, .error {{ background: #f2dede; }}
</style></head><body>
<h1>{esc(title or 'Grades')}</h1>
<p>{stats['submissions']} submissions, {stats['missing']} missing; mean {stats['mean']:.1f},
median {stats['median']:.1f} of {fmt(stats['max_score'])} points.</p>
<table><thead><tr><th>student</th>{head}<th>total</th><th>status</th><th>sandbox</th></tr></thead>
<tbody>{''.join(rows)}
<tr><td>passed</td>{rates}<td></td><td></td><td></td></tr></tbody></table>
<h2>Scores</h2><img src="plots/{plots['scores'].name}" alt="score histogram">
<h2>Pass rates</h2><img src="plots/{plots['pass_rates'].name}" alt="pass rate per test">
</body></html>
"""
    path.write_text(doc, encoding="utf-8")
    return path
