"""Rosters with teams: who belongs to which team, and which submission is a team's.

A roster is a CSV with a ``student_id`` (or ``student``, or ``id``) column, an optional ``name``
and an optional ``team``::

    student_id,name,team
    ada,Ada Lovelace,convolutionists
    grace,Grace Hopper,convolutionists

A team hands in one submission, filed under any member's id or under the team's name; its score
is that submission's score, and every member is listed with it. When several members submitted,
the best-scoring submission counts and the others are reported. A member without a submission
of their own is not missing when their team has one.

The bundled example class graded with its roster is :mod:`cnnlab.bench.grading.example_class`.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from cnnlab.errors import UsageError

from .submissions import student_id

ID_COLUMNS = ("student_id", "student", "id")


@dataclass(frozen=True)
class Member:
    """One roster row."""

    student: str
    name: str = ""
    team: str = ""


@dataclass(frozen=True)
class Roster:
    """The rows of a roster, in file order.

    Attributes
    ----------
    members : tuple of Member
    """

    members: tuple[Member, ...]

    @property
    def names(self) -> dict[str, str]:
        """student -> display name."""
        return {m.student: m.name for m in self.members}

    @property
    def has_teams(self) -> bool:
        return any(m.team for m in self.members)

    def teams(self) -> dict[str, list[Member]]:
        """team -> its members, teams in order of first appearance (members without a team are
        left out)."""
        found: dict[str, list[Member]] = {}
        for member in self.members:
            if member.team:
                found.setdefault(member.team, []).append(member)
        return found

    def covered(self, submitted) -> set[str]:
        """Students who need no submission of their own: their team has one (under a member's
        id or under the team's name)."""
        submitted = set(submitted)
        covered = set()
        for team, members in self.teams().items():
            ids = {m.student for m in members}
            if ids & submitted or student_id(team) in submitted:
                covered |= ids
        return covered


def read_roster(path: str | Path) -> Roster:
    """Read a roster CSV (``student_id``/``student``/``id``, optional ``name`` and ``team``).

    Raises
    ------
    ValueError
        If the file does not exist, has no id column, or lists a student twice.
    """
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"roster {str(path)!r} does not exist")
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        columns = [(c or "").strip().lower() for c in reader.fieldnames or []]
        key = next((c for c in ID_COLUMNS if c in columns), None)
        if key is None:
            raise UsageError(f"roster {path.name}: needs a 'student' (or 'id') column; 'student_id' "
                             f"works too; found {columns}")
        members, seen = [], set()
        for line, row in enumerate(reader, start=2):
            row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if k}
            if not row.get(key):
                continue
            sid = student_id(row[key])
            if sid in seen:
                raise UsageError(f"roster {path.name}, line {line}: student {sid!r} is listed twice")
            seen.add(sid)
            members.append(Member(sid, row.get("name", ""), row.get("team", "")))
    return Roster(tuple(members))


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
