"""Team reports, rendered from team records (see :func:`cnnlab.bench.grading.teams.team_view`).

A team record: ``team``, ``members`` (``{"student", "name"}`` each), ``submitted_by``, ``also``,
``score``, ``max_score``, ``status``, ``message``, ``leaderboard``. Nothing is recomputed here.
"""

from __future__ import annotations

import csv
from pathlib import Path

from .grading_stats import fmt


def _members(record: dict) -> str:
    return ", ".join(m["name"] or m["student"] for m in record["members"])


def team_table(teams: list[dict], *, tablefmt: str = "simple") -> str:
    """Teams with their score, members and the submission that counts.

    Returns
    -------
    str
        One row per team; a team whose members handed in several submissions lists the others
        under ``note`` (the best one counts).
    """
    from tabulate import tabulate

    rows = []
    for record in teams:
        note = f"also submitted: {', '.join(record['also'])}" if record.get("also") else ""
        status = "" if record["status"] == "graded" else record["status"]
        rows.append([record["team"], f"{fmt(record['score'])}/{fmt(record['max_score'])}", status,
                     record["submitted_by"] or "-", _members(record), note])
    return tabulate(rows, headers=["team", "score", "status", "submission", "members", "note"],
                    tablefmt=tablefmt, disable_numparse=True)


def write_teams_csv(teams: list[dict], path: str | Path) -> Path:
    """``teams.csv``: one row per team member, with the team's score (a member's grade)."""
    path = Path(path)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["team", "student", "name", "score", "max_score", "status", "submitted_by"])
        for record in teams:
            for member in record["members"]:
                writer.writerow([record["team"], member["student"], member["name"], fmt(record["score"]),
                                 fmt(record["max_score"]), record["status"], record["submitted_by"]])
    return path


def write_all(teams: list[dict], out: str | Path) -> dict[str, Path]:
    """Write ``teams.csv`` and ``teams.txt`` (the table) into ``out``."""
    out = Path(out)
    text = out / "teams.txt"
    text.write_text(team_table(teams) + "\n", encoding="utf-8")
    return {"teams.csv": write_teams_csv(teams, out / "teams.csv"), "teams.txt": text}
