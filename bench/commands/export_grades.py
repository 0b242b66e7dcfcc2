"""``cnnlab export-grades``: a grade run's scores as a Canvas or Moodle grade-import CSV, or CSV.

The scores come from the run's gradebook (``gradebook.db`` in the ``--out`` folder of
``cnnlab grade``), the student identifiers from the roster: ``student_id`` (or ``student``/``id``),
``name``, ``team`` and any of ``canvas_id``, ``sis_user_id``, ``sis_login_id``, ``section``,
``email``, ``idnumber``, ``username``. A team member gets the team's score (see
:mod:`cnnlab.bench.grading.teams`); a student on the roster who handed nothing in gets 0
(``missing``). Where the assignment has a late policy, the score is after the late penalty
(as the gradebook recorded it); ``--format csv`` adds the score before it and the penalty.
"""

from __future__ import annotations

import sys
from pathlib import Path

from cnnlab.errors import UsageError

NAME = "export-grades"
HELP = "export a grade run's scores for Canvas or Moodle grade import, or as CSV"


def configure(parser) -> None:
    parser.add_argument("out_dir", metavar="OUT_DIR", help="the --out folder of a cnnlab grade run (has gradebook.db)")
    parser.add_argument("--format", required=True, choices=("canvas", "moodle", "csv"),
                        help="canvas: gradebook CSV with a Points Possible row; moodle: grade import "
                             "CSV; csv: plain")
    parser.add_argument("--roster", help="CSV with student_id (or student/id), name, team and LMS ids "
                                         "(canvas_id, sis_user_id, sis_login_id, section, email, idnumber, username)")
    parser.add_argument("--assignment", help="the assignment to export, where the gradebook holds several")
    parser.add_argument("--column", help="the grade column's name (default: the assignment's name)")
    parser.add_argument("--output", help="file to write (default OUT_DIR/grades-FORMAT.csv)")


def read_lms_roster(path: str | Path) -> list[dict]:
    """The roster's rows with ``student`` (cnnlab's id, as the gradebook has it), ``name`` and the
    LMS identifiers; ``canvas_id`` (Canvas's ``ID``) is a ``canvas_id`` column, or ``id`` where
    another column names the student.

    Raises
    ------
    ValueError
        For a missing file, one without an id column, or a student listed twice.
    """
    from cnnlab.bench.grading.roster import read_roster
    from cnnlab.reports.lms import IDENTIFIERS

    roster = read_roster(path)
    entries = []
    for member in roster.members:
        entry = {k: member.columns.get(k, "") for k in IDENTIFIERS}
        if not entry["canvas_id"] and roster.id_column != "id":
            entry["canvas_id"] = member.columns.get("id", "")
        entries.append({"student": member.student, "name": member.name, **entry})
    return entries


def grade_entries(records: list[dict], roster: list[dict], team_view: list[dict]) -> list[dict]:
    """One entry per roster student (roster order), then the gradebook's students the roster
    lacks: the team's grade for a team member, else the student's own record, else missing.
    ``score`` is the record's (after a late penalty); ``raw_score``, ``penalty`` and
    ``late_seconds`` come from the record of the submission that counts (None without a
    late policy)."""
    by_student = {r["student"]: r for r in records}
    team_of = {m["student"]: t for t in team_view for m in t["members"]}
    graded = [r["max_score"] for r in records if r["status"] == "graded"]
    out_of = max(graded) if graded else max((r["max_score"] for r in records), default=0.0)
    entries = []
    for person in roster + [{"student": s, "name": ""} for s in sorted(set(by_student) - {p["student"] for p in roster})]:
        grade = team_of.get(person["student"]) or by_student.get(person["student"])
        if grade is None:
            grade = {"score": 0.0, "max_score": out_of, "status": "missing"}
        missing = grade["status"] == "missing"  # out of what the class was graded on
        # a team's grade is its counting submission's record: that one carries the penalty
        source = by_student.get(grade.get("submitted_by") or "", grade) if "team" in grade else grade
        entries.append({**person, "score": grade["score"], "max_score": out_of if missing else grade["max_score"],
                        "status": grade["status"], "raw_score": source.get("raw_score"),
                        "penalty": source.get("penalty"), "late_seconds": source.get("late_seconds")})
    return entries


def run(args) -> int:
    from cnnlab.bench.grading import teams
    from cnnlab.bench.grading.assignment import load
    from cnnlab.bench.grading.gradebook import Gradebook
    from cnnlab.bench.grading.roster import read_roster
    from cnnlab.reports import lms

    out = Path(args.out_dir)
    db = out / "gradebook.db"
    if not db.is_file():
        raise UsageError(f"no gradebook.db in {str(out)!r}: give the --out folder of a cnnlab grade run")
    with Gradebook(db) as book:
        names = sorted({r["assignment"] for r in book.runs()})
        if args.assignment is None and len(names) != 1:
            raise UsageError(f"the gradebook holds {', '.join(names) or 'no assignment'}; choose one with --assignment")
        assignment = args.assignment or names[0]
        if assignment not in names:
            raise UsageError(f"no grades for {assignment!r} in {db}; assignments: {', '.join(names)}")
        records = book.latest(assignment)
    if not records:
        raise UsageError(f"no grades for {assignment!r} in {db}")
    roster, view = [], []
    if args.roster:
        roster = read_lms_roster(args.roster)
        team_roster = read_roster(args.roster)
        if team_roster.has_teams:
            view = teams.team_view(records, team_roster)
    try:
        points = load(assignment).points
    except (ValueError, FileNotFoundError):  # graded from a folder that is gone: the class's total
        points = max((r["max_score"] for r in records if r["status"] == "graded"), default=0.0)
    graded_out_of = {r["max_score"] for r in records if r["status"] == "graded"}
    if len(graded_out_of) == 1:  # a run at a smaller scale (e.g. fewer architectures) is out of that
        points = next(iter(graded_out_of))
    entries = grade_entries(records, roster, view)
    path = Path(args.output) if args.output else out / f"grades-{args.format}.csv"
    lms.write(entries, args.format, path, column=args.column or assignment, points_possible=points)
    unknown = [e["student"] for e in entries if roster and e["student"] not in {p["student"] for p in roster}]
    penalised = sum(1 for e in entries if (e.get("penalty") or 0) > 0)
    late = f"; {penalised} after a late penalty" if penalised else ""
    print(f"wrote {path} ({len(entries)} students, {args.format}, {assignment} out of {points:g}{late})")
    if unknown:
        print(f"warning: not on the roster (no LMS id): {', '.join(unknown)}", file=sys.stderr)
    return 0
