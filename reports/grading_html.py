"""``report.html``: the class table, the teams and the leaderboard where there are any, and two
PNG plots (score histogram, per-test pass rates).

The page fits a 1024 px window: test columns are headed by their readable names (parameters
kept, ``architecture[lenet5-torch]``), which wrap at ``_``, ``[`` and ``-``; the sandbox is stated
once above the table (per student only where students differ). Statuses carry a word and a
colour each (``graded``, ``error``, ``missing``), and every student links to their feedback.
Rendered with matplotlib's Agg backend (no display needed); every piece of text is escaped.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import quote

from .grading_late import late_cell, long_duration, was_late
from .grading_stats import class_stats, fmt, short_name, test_names

esc = html.escape

_CSS = """
body { font-family: system-ui, sans-serif; margin: 1.5em; max-width: 100%; box-sizing: border-box; }
h1 { font-size: 1.5em; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
td, th { border: 1px solid #ccc; padding: 0.25em 0.45em; text-align: right; vertical-align: bottom;
         white-space: nowrap; }
th { background: #f4f4f4; font-weight: 600; font-size: 0.9em; }
th.test { padding: 0.4em 0.2em; }
th.test span { writing-mode: vertical-rl; transform: rotate(180deg); font-weight: 500;
               max-height: 16em; white-space: normal; text-align: left; }
td.who, th.who { text-align: left; max-width: 16em; white-space: normal; }
td.who small { color: #555; }
.passed { background: #dff0d8; } .partial { background: #fcf8e3; }
.failed, .error { background: #f2dede; } .skipped { background: #eef; }
tr.st-missing td { color: #777; font-style: italic; background: #f7f7f7; }
tr.st-error td:first-child { border-left: 4px solid #c9302c; }
tr.st-missing td:first-child { border-left: 4px dashed #999; }
tr.st-graded td:first-child { border-left: 4px solid #3c763d; }
.badge { display: inline-block; padding: 0 0.5em; border-radius: 0.7em; font-size: 0.85em;
         font-style: normal; font-weight: 600; }
.badge.graded { background: #3c763d; color: #fff; }
.badge.error { background: #c9302c; color: #fff; }
.badge.missing { background: #fff; color: #555; border: 1px dashed #777; }
tr.summary td { background: #f4f4f4; font-weight: 600; }
td.late { color: #8a4b08; }
td.why { text-align: left; white-space: normal; color: #555; }
.note { color: #555; font-size: 0.9em; max-width: 60em; }
img { max-width: 100%; height: auto; }
"""


def _wrappable(name: str) -> str:
    """An escaped name with break opportunities after ``_``, ``[``, ``-`` and ``,``."""
    return re.sub(r"([_\[\-,])", r"\1<wbr>", esc(name))


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
    names = list(rates)[::-1]
    fig, ax = plt.subplots(figsize=(6.5, 0.6 + 0.35 * max(len(names), 1)), dpi=100)
    # one bar per position: two tests with the same label would otherwise share a bar
    ax.barh(range(len(names)), [100 * rates[n] for n in names], color="#55a868")
    ax.set_yticks(range(len(names)), [short_name(n) for n in names])
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of submissions passing in full")
    ax.set_title("Pass rate per test")
    fig.tight_layout()
    paths["pass_rates"] = folder / "pass_rates.png"
    fig.savefig(paths["pass_rates"])
    plt.close(fig)
    return paths


def _badge(status: str) -> str:
    return f'<span class="badge {esc(status)}">{esc(status)}</span>'


def _cell(x: dict | None) -> str:
    if x is None:
        return "<td></td>"
    if x["max_points"] == 0:  # worth nothing: say whether it passed
        text = {"passed": "pass", "failed": "FAIL", "error": "FAIL"}.get(x["status"], x["status"])
    else:
        text = fmt(x["points"])
    return f'<td class="{esc(x["status"])}" title="{esc(x.get("message") or x["status"])}">{text}</td>'


def _late_cell(r: dict) -> str:
    """The penalty and how late; its title says when and from what (a record's own fields)."""
    if not was_late(r):
        return "<td></td>"
    why = (f"submitted {r.get('submitted_at') or '?'} ({r.get('submitted_from') or 'unknown source'}), "
           f"{long_duration(r['late_seconds'])} late; {fmt(r.get('raw_score'))} before the penalty")
    return f'<td class="late" title="{esc(why)}">{esc(late_cell(r))}</td>'


def _class_table(records, tests, names, feedback: str | None, per_row_sandbox: bool) -> str:
    late = any(was_late(r) for r in records)  # a column only where someone was late
    head = "".join(f'<th class="test" title="{esc(t)}"><span>{_wrappable(short_name(t))}</span></th>'
                   for t in tests)
    rows = []
    for r in records:
        by_name = {t["test"]: t for t in r.get("tests", [])}
        cells = "".join(_cell(by_name.get(t)) for t in tests)
        if not by_name and tests and r.get("message"):  # not graded: say why across the test columns
            cells = f'<td colspan="{len(tests)}" class="why">{esc(r["message"])}</td>'

        student = _wrappable(r["student"])
        if feedback:
            student = f'<a href="{esc(feedback)}/{quote(r["student"])}.md">{student}</a>'
        if names and names.get(r["student"]):
            student += f"<br><small>{esc(names[r['student']])}</small>"
        why = f' title="{esc(r.get("message") or "")}"' if r["status"] != "graded" else ""
        sandbox = f"<td>{esc(r.get('isolation') or '')}</td>" if per_row_sandbox else ""
        late_td = _late_cell(r) if late else ""
        rows.append(f'<tr class="st-{esc(r["status"])}"><td class="who">{student}</td>{cells}'
                    f"<td>{fmt(r['score'])} / {fmt(r['max_score'])}</td>{late_td}<td{why}>{_badge(r['status'])}</td>"
                    f"{sandbox}</tr>")
    stats = class_stats(records)
    maxima = {t: max(x["max_points"] for r in records for x in r.get("tests", []) if x["test"] == t)
              for t in tests}
    extra = "<td></td>" if per_row_sandbox else ""
    late_blank = "<td></td>" if late else ""
    rows.append('<tr class="summary"><td class="who">max points</td>'
                + "".join(f"<td>{fmt(maxima[t])}</td>" for t in tests)
                + f"<td>{fmt(stats['max_score'])}</td>{late_blank}<td></td>{extra}</tr>")
    rows.append('<tr class="summary"><td class="who">passed</td>'
                + "".join(f"<td>{100 * stats['pass_rate'].get(t, 0):.0f}%</td>" for t in tests)
                + f"<td></td>{late_blank}<td></td>{extra}</tr>")
    sandbox_head = "<th>sandbox</th>" if per_row_sandbox else ""
    late_head = '<th title="late penalty in points (how late); total is after it">late</th>' if late else ""
    return (f'<div class="scroll"><table id="class"><thead><tr><th class="who">student</th>{head}'
            f"<th>total</th>{late_head}<th>status</th>{sandbox_head}</tr></thead><tbody>{''.join(rows)}"
            "</tbody></table></div>")


def _team_table(teams: list[dict]) -> str:
    rows = []
    for t in teams:
        members = ", ".join(esc(m["name"] or m["student"]) for m in t["members"])
        note = f"also submitted: {esc(', '.join(t['also']))}" if t.get("also") else ""
        rows.append(f'<tr class="st-{esc(t["status"])}"><td class="who">{esc(t["team"])}</td>'
                    f"<td>{fmt(t['score'])} / {fmt(t['max_score'])}</td><td>{_badge(t['status'])}</td>"
                    f'<td class="who">{esc(t["submitted_by"] or "-")}</td><td class="who">{members}</td>'
                    f'<td class="who">{note}</td></tr>')
    return ('<div class="scroll"><table id="teams"><thead><tr><th class="who">team</th><th>score</th>'
            '<th>status</th><th class="who">submission</th><th class="who">members</th>'
            f'<th class="who">note</th></tr></thead><tbody>{"".join(rows)}</tbody></table></div>')


def _leaderboard_table(rows: list[dict]) -> str:
    if not rows:
        return '<p class="note">(no leaderboard entries)</p>'
    headers = list(rows[0])

    def cell(value):
        if value is None:
            return "-"
        return f"{value:.4g}" if isinstance(value, float) else esc(str(value))

    body = "".join("<tr>" + "".join(f'<td{" class=who" if h in ("team", "student") else ""}>{cell(row[h])}</td>'
                                    for h in headers) + "</tr>" for row in rows)
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    return f'<div class="scroll"><table id="leaderboard"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def write_html(records: list[dict], path: str | Path, *, title: str = "",
               names: dict[str, str] | None = None, teams: list[dict] | None = None,
               leaderboard: list[dict] | None = None, feedback: str | None = "feedback") -> Path:
    """Write ``report.html`` with its plots in ``plots/`` next to it; return the path.

    Parameters
    ----------
    records : list of dict
        Gradebook records.
    path : str or Path
    title : str, optional
    names : dict, optional
        student -> display name (from the roster).
    teams : list of dict, optional
        Team records (:func:`cnnlab.bench.grading.teams.team_view`): a team table when given.
    leaderboard : list of dict, optional
        A ranking (:func:`cnnlab.reports.leaderboard.ranking`): a leaderboard when given.
    feedback : str or None, default="feedback"
        The feedback folder, relative to the page; each student links to ``<folder>/<id>.md``.
    """
    path = Path(path)
    plots = _plots(records, path.parent / "plots")
    tests = test_names(records)
    stats = class_stats(records)
    sandboxes = sorted({r["isolation"] for r in records if r.get("isolation")})
    per_row = len(sandboxes) > 1
    sandbox = ("sandbox: " + esc(sandboxes[0]) if len(sandboxes) == 1
               else "sandboxes differ (see the last column)" if sandboxes else "no student code ran")
    legend = "".join(f"<li><code>{esc(t)}</code></li>" for t in tests)
    sections = [
        f"<h1>{esc(title or 'Grades')}</h1>",
        f"<p>{stats['submissions']} submissions, {stats['missing']} missing; mean {stats['mean']:.1f}, "
        f"median {stats['median']:.1f} of {fmt(stats['max_score'])} points; {sandbox}.</p>",
        '<p class="note">Each cell is the points a test earned (a test worth 0 points says pass or '
        "FAIL); hover over a cell for its message. Students link to their feedback."
        + (" <em>late</em>: the late penalty in points and how late; the total is after it."
           if any(was_late(r) for r in records) else "") + "</p>",
        _class_table(records, tests, names, feedback, per_row),
        f'<details><summary>Tests ({len(tests)})</summary><ol>{legend}</ol></details>',
    ]
    if teams:
        sections += [f"<h2>Teams ({len(teams)})</h2>", _team_table(teams)]
    if leaderboard is not None:
        key = "teams" if leaderboard and "team" in leaderboard[0] else "students"
        sections += [f"<h2>Leaderboard ({key})</h2>", _leaderboard_table(leaderboard)]
    sections += [
        f'<h2>Scores</h2><img src="plots/{plots["scores"].name}" alt="score histogram">',
        f'<h2>Pass rates</h2><img src="plots/{plots["pass_rates"].name}" alt="pass rate per test">',
    ]
    doc = (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
           f'<meta name="viewport" content="width=device-width, initial-scale=1">'
           f"<title>{esc(title or 'Grades')}</title>\n<style>{_CSS}</style></head><body>\n"
           + "\n".join(sections) + "\n</body></html>\n")
    path.write_text(doc, encoding="utf-8")
    return path
