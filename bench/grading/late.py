"""Late submissions: when a submission was handed in, and what lateness costs.

An assignment's ``assignment.toml`` may hold a ``[late]`` table next to its due date::

    [assignment]
    due = 2030-06-30T23:59:00+02:00   # the offset is part of the date; without one it is UTC

    [late]
    grace = "15m"         # late by at most this: no penalty [0]
    per = "day"           # the penalty is charged per started "day" or "hour" ["day"]
    penalty = 0.1         # a fraction of the assignment's points per started day/hour
    # penalty_points = 5  # ... or points per started day/hour (give one of the two)
    cap = 0.5             # at most this fraction of the points in all [no cap]
    cutoff = "7d"         # later than this after the due date: the score is 0 [none]
    zip_utc_offset = "+02:00"   # the time zone of zip entries' DOS times [the due date's]

Lateness is counted from the due date (moved by the student's extension), the grace period only
decides whether it is charged: 3 hours late with ``grace = "15m"`` and ``per = "hour"`` costs
3 hours. A started day or hour counts in full. The penalty never takes a score below 0, and the
gradebook keeps the score before it (``raw_score``), the penalty and the time it was based on.

When a submission was handed in, in this order (:func:`submission_time`):

1. the ``submitted_at`` column of ``submissions.csv`` in the submissions folder (what an LMS
   download or a hand-kept list gives; ISO 8601 times with a UTC offset, ``Z`` for UTC);
2. for a ``.zip`` submission, the newest time of its files (exact where the archive has extended
   timestamps, else the DOS time read in ``zip_utc_offset``);
3. for a folder or notebook, the newest modification time of its files.

Zip entry and file times are what the student's and the instructor's machines made of them (an
unzip or a copy can reset them): a submissions CSV is the reliable source.

Extensions come from the roster's ``extension`` column: a duration (``2d``, ``36h``) added to the
due date, or the new due date itself (``2030-07-02T23:59:00+02:00``). A team submission filed
under the team's name gets the largest extension of its members.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from pathlib import Path

from cnnlab.errors import UsageError
from cnnlab.reports.grading_late import long_duration as duration_text

SUBMISSIONS_CSV = "submissions.csv"  # in the submissions folder
SOURCES = ("submissions.csv", "zip entry times", "file times")
PER = {"day": 86400.0, "hour": 3600.0}
KEYS = ("grace", "per", "penalty", "penalty_points", "cap", "cutoff", "zip_utc_offset")
_UNITS = {"w": 604800.0, "d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)([wdhms])")
_DURATION_FORMS = 'a duration like "15m", "36h", "2d" or "1d12h" (units w, d, h, m, s)'
_TIME_FORMS = "an ISO 8601 time with a UTC offset, like 2030-06-30T23:59:00+02:00 or 2030-06-30T21:59:00Z"
_OFFSET = re.compile(r"^(?:Z|UTC|[+-]\d{2}:\d{2})$")


def parse_duration(text, *, where: str) -> float:
    """Seconds in a duration like ``"15m"``, ``"2d"`` or ``"1d12h"`` (``"0"`` is none).

    Raises
    ------
    UsageError
        For anything else; the message names ``where`` and the valid forms.
    """
    if isinstance(text, str):
        compact = text.replace(" ", "").lower()
        if compact == "0":
            return 0.0
        if compact and _DURATION.sub("", compact) == "":
            return sum(float(number) * _UNITS[unit] for number, unit in _DURATION.findall(compact))
    raise UsageError(f"{where} must be {_DURATION_FORMS}, got {text!r}")


def parse_time(text, *, where: str) -> dt.datetime:
    """A timezone-aware time from ISO 8601 text with a UTC offset.

    Raises
    ------
    UsageError
        For text that is not such a time, or a time without a UTC offset (which clock it means
        is not ours to guess).
    """
    try:
        value = dt.datetime.fromisoformat(text.strip()) if isinstance(text, str) else None
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        why = "has no UTC offset" if value is not None else "is not a time"
        raise UsageError(f"{where} {why}: {text!r}; write {_TIME_FORMS}")
    return value


def _parse_offset(text, *, where: str) -> dt.timezone:
    if not isinstance(text, str) or not _OFFSET.match(text.strip()):
        raise UsageError(f'{where} must be a UTC offset like "+02:00", "-05:00" or "Z", got {text!r}')
    text = text.strip()
    if text in ("Z", "UTC"):
        return dt.UTC
    hours, minutes = int(text[1:3]), int(text[4:6])
    sign = -1 if text[0] == "-" else 1
    return dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))


def _percent(fraction: float) -> str:
    return f"{100 * fraction:.4g} %"


@dataclass(frozen=True)
class LatePolicy:
    """What lateness costs (the ``[late]`` table of ``assignment.toml``).

    Attributes
    ----------
    due : datetime
        The due date, timezone-aware.
    grace_s : float
        Seconds of lateness that cost nothing.
    per : {"day", "hour"}
        The penalty is charged per started day or hour of lateness.
    penalty : float
        Charged per started ``per``: a fraction of the assignment's points (0 to 1) where
        ``penalty_kind`` is ``"fraction"``, points where it is ``"points"``.
    penalty_kind : {"fraction", "points"}
    cap : float or None
        The largest penalty, as a fraction of the assignment's points (0 to 1).
    cutoff_s : float or None
        Seconds of lateness after which the score is 0.
    zip_offset : tzinfo or None
        The time zone of zip entries' DOS times; None: the due date's.
    """

    due: dt.datetime
    grace_s: float = 0.0
    per: str = "day"
    penalty: float = 0.0
    penalty_kind: str = "fraction"
    cap: float | None = None
    cutoff_s: float | None = None
    zip_offset: dt.tzinfo | None = None

    def __post_init__(self):
        if not isinstance(self.due, dt.datetime) or self.due.tzinfo is None:
            raise UsageError(f"the due date must be a time with a UTC offset, got {self.due!r}")
        if self.per not in PER:
            raise UsageError(f"per must be one of {', '.join(map(repr, PER))}, got {self.per!r}")
        if self.penalty_kind not in ("fraction", "points"):
            raise UsageError(f"penalty_kind must be 'fraction' or 'points', got {self.penalty_kind!r}")
        for name, value, top in (("grace", self.grace_s, math.inf), ("penalty", self.penalty,
                                 1.0 if self.penalty_kind == "fraction" else math.inf),
                                 ("cap", self.cap, 1.0), ("cutoff", self.cutoff_s, math.inf)):
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= top:
                valid = "a number from 0 to 1 (a fraction of the points)" if top == 1.0 else "a number >= 0"
                raise UsageError(f"{name} must be {valid}, got {value!r}")
        if self.cutoff_s is not None and self.cutoff_s <= self.grace_s:
            raise UsageError(f"cutoff ({duration_text(self.cutoff_s)}) must be longer than the grace "
                             f"period ({duration_text(self.grace_s)})")

    @property
    def unit_s(self) -> float:
        """Seconds of one ``per``."""
        return PER[self.per]

    def describe(self) -> str:
        """The policy in words, e.g. ``"10 % per day, capped at 50 %, score 0 after 7 days"``."""
        if self.penalty_kind == "fraction":
            rate = f"{_percent(self.penalty)} per {self.per}"
        else:
            rate = f"{self.penalty:g} point{'s' if self.penalty != 1 else ''} per {self.per}"
        parts = [rate] if self.penalty else []
        if self.cap is not None and self.cap < 1 and self.penalty:
            parts.append(f"capped at {_percent(self.cap)}")
        if self.cutoff_s is not None:
            parts.append(f"score 0 after {duration_text(self.cutoff_s)}")
        if self.grace_s:
            parts.append(f"{duration_text(self.grace_s)} of grace")
        return ", ".join(parts) or "no penalty"


def parse_policy(table: dict, *, due: dt.datetime | None, where: str) -> LatePolicy:
    """A :class:`LatePolicy` from a ``[late]`` table.

    Raises
    ------
    UsageError
        For an unknown key, a bad value (the message names the key and its valid forms), both
        ``penalty`` and ``penalty_points``, or a ``[late]`` table without a due date.
    """
    table = dict(table)
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise UsageError(f"{where}: unknown key(s) {unknown}; valid: {', '.join(KEYS)}")
    if due is None:
        raise UsageError(f"{where}: a late policy needs [assignment] due (a time with a UTC offset)")
    if "penalty" in table and "penalty_points" in table:
        raise UsageError(f"{where}: give penalty (a fraction of the points) or penalty_points, not both")
    kind = "points" if "penalty_points" in table else "fraction"
    rate = table.get("penalty_points", table.get("penalty", 0.0))
    try:
        per = table.get("per", "day")
        if per not in PER:
            raise UsageError(f"per must be one of {', '.join(map(repr, PER))}, got {per!r}")
        return LatePolicy(
            due=due, per=per, penalty=rate, penalty_kind=kind, cap=table.get("cap"),
            grace_s=parse_duration(table.get("grace", "0"), where="grace"),
            cutoff_s=parse_duration(table["cutoff"], where="cutoff") if "cutoff" in table else None,
            zip_offset=(_parse_offset(table["zip_utc_offset"], where="zip_utc_offset")
                        if "zip_utc_offset" in table else None))
    except UsageError as exc:
        raise UsageError(f"{where}: {exc}") from None


# --------------------------------------------------------------------- assessment


@dataclass(frozen=True, kw_only=True)
class LateAssessment:
    """What a submission's lateness cost.

    Attributes
    ----------
    submitted_at : datetime or None
        When it was handed in; None where no time was found (then nothing is charged).
    source : str
        Where that time came from (one of :data:`SOURCES`, or ``""``).
    due : datetime
        The student's due date (the extension applied).
    late_seconds : float
        Seconds after ``due`` (0 if on time).
    charged : int
        Started days or hours charged (0 on time, within the grace period or after the cutoff).
    penalty : float
        Points taken off: ``raw_score - score``.
    raw_score, score : float
        The score before and after the penalty.
    after_cutoff : bool
        Later than the cutoff: the score is 0.
    """

    submitted_at: dt.datetime | None
    source: str
    due: dt.datetime
    late_seconds: float
    charged: int
    penalty: float
    raw_score: float
    score: float
    after_cutoff: bool = False

    def fields(self) -> dict:
        """What the gradebook keeps of it: ``submitted_at`` (ISO 8601 or None), ``submitted_from``,
        ``late_seconds``, ``penalty``, ``raw_score`` and ``score``."""
        return {"submitted_at": self.submitted_at.isoformat() if self.submitted_at else None,
                "submitted_from": self.source, "late_seconds": self.late_seconds,
                "penalty": self.penalty, "raw_score": self.raw_score, "score": self.score}


def due_for(policy: LatePolicy, extension: dt.timedelta | dt.datetime | None) -> dt.datetime:
    """The due date of a student with ``extension`` (a time added to the due date, or the new
    due date)."""
    if extension is None:
        return policy.due
    if isinstance(extension, dt.timedelta):
        return policy.due + extension
    return extension


def assess(policy: LatePolicy, *, raw_score: float, max_points: float,
           submitted_at: dt.datetime | None, source: str = "",
           extension: dt.timedelta | dt.datetime | None = None) -> LateAssessment:
    """Apply ``policy`` to one submission.

    Parameters
    ----------
    policy : LatePolicy
    raw_score : float
        The points the tests gave.
    max_points : float
        What the submission was graded out of (a fractional penalty and the cap are of this).
    submitted_at : datetime or None
        Timezone-aware; None charges nothing.
    source : str
        Where ``submitted_at`` came from (kept in the result).
    extension : timedelta or datetime, optional
        Added to the due date, or the student's new due date.

    Returns
    -------
    LateAssessment
        On time or within the grace period: no penalty. Later than ``cutoff``: the whole
        score. Else ``penalty`` per started ``per`` (a fraction of ``max_points`` or points),
        at most ``cap`` x ``max_points``, at most the score itself.
    """
    if submitted_at is not None and submitted_at.tzinfo is None:
        raise UsageError(f"a submission time needs a UTC offset, got {submitted_at.isoformat()}")
    due = due_for(policy, extension)
    if submitted_at is None:
        return LateAssessment(submitted_at=None, source=source, due=due, late_seconds=0.0, charged=0,
                              penalty=0.0, raw_score=raw_score, score=raw_score)
    late = max(0.0, (submitted_at - due).total_seconds())
    common = {"submitted_at": submitted_at, "source": source, "due": due, "late_seconds": late,
              "raw_score": raw_score}
    if late <= policy.grace_s:
        return LateAssessment(**common, charged=0, penalty=0.0, score=raw_score)
    if policy.cutoff_s is not None and late > policy.cutoff_s:
        return LateAssessment(**common, charged=0, penalty=max(raw_score, 0.0),
                              score=min(raw_score, 0.0), after_cutoff=True)
    charged = math.ceil(late / policy.unit_s)
    per_unit = policy.penalty * max_points if policy.penalty_kind == "fraction" else policy.penalty
    nominal = charged * per_unit
    if policy.cap is not None:
        nominal = min(nominal, policy.cap * max_points)
    # 6 decimals, as the gradebook's partial credit: 3 x 0.1 x 100 is 30, not 30.000000000000004
    penalty = round(min(nominal, max(raw_score, 0.0)), 6)
    return LateAssessment(**common, charged=charged, penalty=penalty, score=round(raw_score - penalty, 6))


# --------------------------------------------------------------------- submission times


@dataclass(frozen=True)
class SubmissionTime:
    """When a submission was handed in, and how that was found out.

    Attributes
    ----------
    at : datetime or None
        Timezone-aware; None where no source had a time.
    source : str
        One of :data:`SOURCES`, or ``""`` with no time.
    """

    at: dt.datetime | None
    source: str = ""


def read_submission_times(submissions_dir: str | Path, *, files: tuple[str, ...] = ()) -> dict[str, SubmissionTime]:
    """student -> time from the ``submitted_at`` column of ``SUBMISSIONS/submissions.csv``;
    empty where there is no such file. Rows with an empty ``submitted_at`` are left out.

    Where ``SUBMISSIONS`` is itself one submission (it holds one of the assignment's ``files``),
    its ``submissions.csv`` is the student's own file and is not read: a student must not be
    able to state their own submission time.

    Raises
    ------
    UsageError
        For a file without a student or ``submitted_at`` column, a time without a UTC offset or
        that is not a time, or a student listed twice (the message names the line).
    """
    from .roster import read_roster
    from .submissions import is_submission_folder

    path = Path(submissions_dir) / SUBMISSIONS_CSV
    if not path.is_file() or (files and is_submission_folder(Path(submissions_dir), files)):
        return {}
    listed = read_roster(path, what="submission times")  # one reader of student-keyed CSVs
    if listed.members and "submitted_at" not in listed.members[0].columns:
        raise UsageError(f"submission times {path.name}: needs a 'submitted_at' column; "
                         f"found {list(listed.members[0].columns)}")
    times: dict[str, SubmissionTime] = {}
    for member in listed.members:
        if member.columns.get("submitted_at"):
            times[member.student] = SubmissionTime(
                parse_time(member.columns["submitted_at"], where=f"{path.name}, line {member.line}:"),
                "submissions.csv")
    return times


def parse_extension(text: str, *, where: str) -> dt.timedelta | dt.datetime:
    """A roster's ``extension``: a duration (``"2d"``) or a new due date (ISO 8601, with offset).

    Raises
    ------
    UsageError
        For anything else, or a new due date without a UTC offset.
    """
    try:
        return dt.timedelta(seconds=parse_duration(text, where=where))
    except UsageError:
        pass
    try:
        return parse_time(text, where=where)
    except UsageError as exc:
        if "no UTC offset" in str(exc):
            raise
        raise UsageError(f"{where} must be {_DURATION_FORMS}, or a new due date as {_TIME_FORMS}; "
                         f"got {text!r}") from None


@dataclass(frozen=True)
class Extensions:
    """The roster's extensions.

    Attributes
    ----------
    by_student : dict
        student -> a ``timedelta`` added to the due date, or the student's new due date.
    teams : dict
        team id -> its members' ids (a team submission may be filed under the team's name).
    """

    by_student: dict[str, dt.timedelta | dt.datetime]
    teams: dict[str, tuple[str, ...]]

    def of(self, student: str, policy: LatePolicy) -> dt.timedelta | dt.datetime | None:
        """The extension of ``student``; for a team's id without one of its own, the member's
        extension that gives the latest due date."""
        if student in self.by_student:
            return self.by_student[student]
        given = [self.by_student[m] for m in self.teams.get(student, ()) if m in self.by_student]
        return max(given, key=lambda e: due_for(policy, e)) if given else None


NO_EXTENSIONS = Extensions({}, {})


def read_extensions(roster) -> Extensions:
    """The ``extension`` column of a roster (empty cells: none), with its teams.

    Parameters
    ----------
    roster : Roster or str or Path
        A roster read by :func:`cnnlab.bench.grading.roster.read_roster` (the one reader), or
        its file.

    Raises
    ------
    UsageError
        For a missing file, no student column, or a cell that is neither a duration nor a time
        with a UTC offset (the message names the line).
    """
    from .roster import Roster, read_roster
    from .submissions import student_id

    if not isinstance(roster, Roster):
        roster = read_roster(roster)
    found: dict[str, dt.timedelta | dt.datetime] = {}
    for member in roster.members:
        cell = member.columns.get("extension")
        if cell:
            where = f"roster {roster.source}, line {member.line}: extension"
            found[member.student] = parse_extension(cell, where=where)
    teams = {student_id(team): tuple(m.student for m in members)
             for team, members in roster.teams().items()}
    return Extensions(found, teams)


def submission_time(submission, *, times: dict[str, SubmissionTime], policy: LatePolicy) -> SubmissionTime:
    """When ``submission`` was handed in: from ``times`` (:func:`read_submission_times`), else
    its newest zip entry time, else its newest file time.

    Parameters
    ----------
    submission : cnnlab.bench.grading.submissions.Submission
    times : dict
        student -> SubmissionTime, from the submissions CSV.
    policy : LatePolicy
        Its ``zip_offset`` (default: the due date's offset) reads zip DOS times.
    """
    from . import submissions

    if submission.student in times:
        return times[submission.student]
    if submission.kind == "zip":
        offset = policy.zip_offset or policy.due.tzinfo
        at = submissions.zip_time(Path(submission.path), dos_offset=offset)
        return SubmissionTime(at, "zip entry times") if at else SubmissionTime(None)
    at = submissions.file_time(Path(submission.path))
    return SubmissionTime(at, "file times") if at else SubmissionTime(None)


# --------------------------------------------------------------------- a class's grading run


@dataclass(frozen=True)
class Lateness:
    """What a grading run needs to apply a policy: the policy, the submissions CSV's times and
    the roster's extensions, read once before anything is graded (so a bad file stops the run
    before it starts).

    Attributes
    ----------
    policy : LatePolicy
    times : dict
        student -> SubmissionTime from ``submissions.csv``.
    extensions : Extensions
    """

    policy: LatePolicy
    times: dict[str, SubmissionTime]
    extensions: Extensions = NO_EXTENSIONS

    @classmethod
    def for_class(cls, policy: LatePolicy | None, *, submissions_dir: str | Path,
                  roster=None, files: tuple[str, ...] = ()) -> Lateness | None:
        """The run's :class:`Lateness`, or None without a policy. ``roster``: a ``Roster`` or its
        file (see :func:`read_extensions`); ``files``: the assignment's, to recognise a single
        submission folder (see :func:`read_submission_times`).

        Raises
        ------
        UsageError
            For a bad ``submissions.csv`` or ``extension`` cell (see :func:`read_submission_times`
            and :func:`read_extensions`).
        """
        if policy is None:
            return None
        return cls(policy, read_submission_times(submissions_dir, files=files),
                   read_extensions(roster) if roster else NO_EXTENSIONS)

    def time_of(self, submission, *, digest: str | None = None,
                previous: dict | None = None) -> SubmissionTime:
        """When ``submission`` was handed in; on a regrade of the same content (``previous``,
        the student's newest gradebook result or its dict, has ``digest`` and a ``submitted_at``), the time first
        recorded, unless the submissions CSV lists the student (then the CSV, which may have
        been corrected)."""
        def field(name):  # a gradebook SubmissionResult, or its dict
            return previous.get(name) if isinstance(previous, dict) else getattr(previous, name, None)

        if (submission.student not in self.times and previous is not None and digest
                and field("digest") == digest and field("submitted_at")):
            return SubmissionTime(dt.datetime.fromisoformat(field("submitted_at")),
                                  field("submitted_from") or "")
        return submission_time(submission, times=self.times, policy=self.policy)

    def fields(self, submission, *, raw_score: float, max_points: float, digest: str | None = None,
               previous: dict | None = None) -> dict:
        """The gradebook fields of one graded submission (:meth:`LateAssessment.fields`):
        ``score`` after the penalty, ``raw_score``, ``penalty``, ``late_seconds``,
        ``submitted_at``, ``submitted_from``."""
        when = self.time_of(submission, digest=digest, previous=previous)
        return assess(self.policy, raw_score=raw_score, max_points=max_points, submitted_at=when.at,
                      source=when.source,
                      extension=self.extensions.of(submission.student, self.policy)).fields()
