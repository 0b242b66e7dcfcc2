"""Rosters: the students of a class, with their display names and teams.

A roster is a CSV with a ``student_id`` (or ``student``, or ``id``) column, an optional ``name``
and an optional ``team``::

    student_id,name,team
    ada,Ada Lovelace,convolutionists
    grace,Grace Hopper,convolutionists

:func:`read_roster` is the one reader: ``cnnlab grade --roster`` (missing students, names in
the reports, the team view of :mod:`cnnlab.bench.grading.teams`) and ``cnnlab export-grades``
read a roster through it.
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
