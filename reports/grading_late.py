"""How a late submission reads: the instructor's ``late`` cell, the student's line about their
submission time and its penalty, durations in words. Rendered from a record's late fields
(:mod:`cnnlab.bench.grading.late` computes them), never recomputed."""

from __future__ import annotations

from .grading_stats import fmt

# where a submission time came from, as a student reads it (cnnlab.bench.grading.late.SOURCES)
_SOURCE_WORDS = {"submissions.csv": "the recorded submission time",
                 "zip entry times": "the newest file time in your zip",
                 "file times": "your newest file time"}


def assessed(record: dict) -> bool:
    """Whether a late policy was applied to ``record`` (it has a ``raw_score``)."""
    return record.get("raw_score") is not None


def was_late(record: dict) -> bool:
    return assessed(record) and (record.get("late_seconds") or 0) > 0


_UNITS = (("d", "day", 86400), ("h", "hour", 3600), ("m", "minute", 60), ("s", "second", 1))


def _counts(seconds: float) -> list[tuple[int, str, str]]:
    """(count, short unit, long unit) of the non-zero whole days, hours, minutes and seconds."""
    left, found = int(seconds), []
    for short, long, size in _UNITS:
        count, left = divmod(left, size)
        if count:
            found.append((count, short, long))
    return found


def short_duration(seconds: float) -> str:
    """``"2d 3h"``: the two largest non-zero units of days, hours, minutes and seconds."""
    return " ".join(f"{count}{short}" for count, short, _ in _counts(seconds)[:2]) or "0s"


def long_duration(seconds: float) -> str:
    """``"2 days 3 hours 1 minute"``: whole days, hours, minutes and seconds, zeros left out."""
    return " ".join(f"{count} {long}{'s' if count != 1 else ''}"
                    for count, _, long in _counts(seconds)) or "0 seconds"


def late_cell(record: dict) -> str:
    """The instructor's ``late`` cell: ``-30 (2d 3h)``, ``0 (10m)`` within the grace, ``""`` on
    time or without a policy."""
    if not was_late(record):
        return ""
    penalty = record.get("penalty") or 0
    return f"{'-' if penalty else ''}{fmt(penalty)} ({short_duration(record['late_seconds'])})"


def late_line(record: dict, *, policy: str = "", withheld: bool = False) -> str:
    """What the student reads about their submission time and its penalty.

    Parameters
    ----------
    record : dict
        A gradebook record; ``""`` where no late policy was applied.
    policy : str
        The policy in words (:meth:`cnnlab.bench.grading.late.LatePolicy.describe`).
    withheld : bool
        Some tests are withheld: the points are not shown (they would tell the withheld tests'
        total), only that a penalty applies to the final score.
    """
    if not assessed(record) or record.get("status") == "missing":
        return ""
    rule = f" ({policy})" if policy else ""
    if not record.get("submitted_at"):
        return "No submission time was found, so no late penalty applies."
    when = str(record["submitted_at"]).replace("T", " ")
    source = _SOURCE_WORDS.get(record.get("submitted_from") or "", record.get("submitted_from") or "")
    source = f", from {source}" if source else ""
    late = record.get("late_seconds") or 0
    if late <= 0:
        return f"Submitted on time ({when}{source})."
    head = f"Submitted {long_duration(late)} late ({when}{source})"
    penalty = record.get("penalty") or 0
    if penalty <= 0:
        return f"{head}: no late penalty{rule}."
    if withheld:
        return f"{head}: a late penalty{rule} applies to your final score."
    return (f"{head}: -{fmt(penalty)} points{rule}. "
            f"Score {fmt(record['raw_score'])} -> {fmt(record['score'])} / {fmt(record.get('max_score'))}.")
