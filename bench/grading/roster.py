"""Rosters: the students of a class, with their display names and teams.

A roster is a CSV with a ``student_id`` (or ``student``, or ``id``) column, an optional ``name``
and an optional ``team``; other columns are kept for those who read them (``extension`` for the
late policy, the LMS identifiers for ``cnnlab export-grades``)::

    student_id,name,team
    ada,Ada Lovelace,convolutionists
    grace,Grace Hopper,convolutionists

:func:`read_roster` is the one reader: ``cnnlab grade --roster`` (missing students, names in
the reports, the team view of :mod:`cnnlab.bench.grading.teams`) and ``cnnlab export-grades``
read a roster through it, and so do the late policy's extensions.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from cnnlab.errors import UsageError

from .submissions import student_id

ID_COLUMNS = ("student_id", "student", "id")


@dataclass(frozen=True)
class Member:
    """One roster row.

    Attributes
    ----------
    student : str
        The id, as the gradebook has it (:func:`cnnlab.bench.grading.submissions.student_id`).
    name, team : str
    columns : dict
        Every column of the row, lower-case names, stripped values.
    line : int
        The row's line in the file (for messages about a cell).
    """

    student: str
    name: str = ""
    team: str = ""
    columns: dict[str, str] = field(default_factory=dict, compare=False, hash=False, repr=False)
    line: int = field(default=0, compare=False, hash=False)


@dataclass(frozen=True)
class Roster:
    """The rows of a roster, in file order.

    Attributes
    ----------
    members : tuple of Member
    source : str
        The file's name, for messages.
    id_column : str
        The column that named the students.
    """

    members: tuple[Member, ...]
    source: str = "roster.csv"
    id_column: str = "student_id"

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


def read_roster(path: str | Path, *, what: str = "roster") -> Roster:
    """Read a roster CSV (``student_id``/``student``/``id``, optional ``name`` and ``team``).

    Any CSV keyed by student is read here (``what`` names it in messages): the late policy's
    ``submissions.csv`` too.

    Raises
    ------
    ValueError
        If the file does not exist, has no id column, or lists a student twice.
    """
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{what} {str(path)!r} does not exist")
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        columns = [(c or "").strip().lower() for c in reader.fieldnames or []]
        key = next((c for c in ID_COLUMNS if c in columns), None)
        if key is None:
            raise UsageError(f"{what} {path.name}: needs a 'student' (or 'id') column; 'student_id' "
                             f"works too; found {columns}")
        members, seen = [], set()
        for line, row in enumerate(reader, start=2):
            row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if k}
            if not row.get(key):
                continue
            sid = student_id(row[key])
            if sid in seen:
                raise UsageError(f"{what} {path.name}, line {line}: student {sid!r} is listed twice")
            seen.add(sid)
            members.append(Member(sid, row.get("name", ""), row.get("team", ""), columns=row, line=line))
    return Roster(tuple(members), source=path.name, id_column=key)
