"""Teams: which submission is a team's, and the team view of a graded class.

The teams are the ``team`` column of the roster (:mod:`cnnlab.bench.grading.roster`). A team
hands in one submission, filed under any member's id or under the team's name; its score is that
submission's score, and every member is listed with it. When several members submitted, the
best-scoring submission counts and the others are reported. A member without a submission of
their own is not missing when their team has one.

The bundled example class graded with its roster is :mod:`cnnlab.bench.grading.example_class`.
"""

from __future__ import annotations

from pathlib import Path

from .roster import Roster
from .submissions import student_id


def team_view(records: list[dict], roster: Roster) -> list[dict]:
    """One record per team, from the students' gradebook records.

    Returns
    -------
    list of dict
        ``team``, ``members`` (list of ``{"student", "name"}``), ``submitted_by`` (the student
        or team id whose submission counts, or ``""``), ``also`` (other members who submitted),
        ``score``, ``max_score``, ``status`` (``graded``, ``error`` or ``missing``),
        ``message`` and ``leaderboard`` (of the submission that counts).
    """
    by_student = {r["student"]: r for r in records}
    view = []
    for team, members in roster.teams().items():
        ids = [m.student for m in members] + [student_id(team)]
        handed = [by_student[i] for i in dict.fromkeys(ids)
                  if i in by_student and by_student[i]["status"] in ("graded", "error")]
        handed.sort(key=lambda r: (r["status"] != "graded", -r["score"], r["student"]))
        best = handed[0] if handed else None
        graded = [r["max_score"] for r in records if r["status"] == "graded"]
        max_score = best["max_score"] if best else max(graded or [r["max_score"] for r in records] or [0.0])
        view.append({
            "team": team,
            "members": [{"student": m.student, "name": m.name} for m in members],
            "submitted_by": best["student"] if best else "",
            "also": [r["student"] for r in handed[1:]],
            "score": best["score"] if best else 0.0,
            "max_score": max_score,
            "status": best["status"] if best else "missing",
            "message": best.get("message", "") if best else "no submission from any member",
            "leaderboard": list(best.get("leaderboard") or []) if best else [],
        })
    return view


def write_reports(summary, metrics) -> dict[str, Path]:
    """Write the team reports (``teams.csv``, ``teams.txt``) where the roster has teams, and
    the leaderboard (``leaderboard.csv``, ``leaderboard.txt``: teams where there are teams, else
    students) where the assignment declares metrics, into ``summary.out``.

    Parameters
    ----------
    summary : bench.grading.Summary
    metrics : tuple of bench.grading.leaderboard.Metric
    """
    from cnnlab.reports import leaderboard as board
    from cnnlab.reports import teams as team_report

    out, written = Path(summary.out), {}
    if summary.teams:
        written.update(team_report.write_all(summary.teams, out))
    if metrics:
        key = "team" if summary.teams else "student"
        rows = board.ranking(summary.teams or summary.records, key=key,
                             metrics=[(m.name, m.order) for m in metrics])
        written["leaderboard.csv"] = board.write_csv(rows, out / "leaderboard.csv")
        (out / "leaderboard.txt").write_text(board.table(rows) + "\n", encoding="utf-8")
        written["leaderboard.txt"] = out / "leaderboard.txt"
    return written
