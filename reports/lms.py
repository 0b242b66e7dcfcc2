"""Grade exports for learning-management systems: Canvas and Moodle grade-import CSV, plain CSV.

An entry is one student's grade as the grader decided it (:mod:`cnnlab.bench.commands.export_grades`
builds them from the gradebook and the roster): ``student``, ``name``, ``score``, ``max_score``,
``status`` and the roster's LMS identifiers (``canvas_id``, ``sis_user_id``, ``sis_login_id``,
``section``, ``email``, ``idnumber``, ``username``; absent ones are ``""``) and, where the
assignment has a late policy, ``raw_score``, ``penalty`` and ``late_seconds`` (``score`` is
after the penalty). Nothing is recomputed here; only laid out.

Layouts:

* ``canvas``: Canvas's gradebook CSV. The columns ``Student``, ``ID``, ``SIS User ID``,
  ``SIS Login ID``, ``Section``, then one column per assignment; the second row is
  ``Points Possible`` with the assignment's points. Canvas matches a row to a student by ``ID``,
  ``SIS User ID`` or ``SIS Login ID`` (``SIS User ID`` is cnnlab's student id where the roster
  has no ``sis_user_id``); a column whose name is not an existing assignment becomes a new one on
  import.
* ``moodle``: Moodle's grade import (CSV file). Identifier columns (``ID number``,
  ``Email address``, ``Username``: those the roster has; ``ID number`` is cnnlab's student id when
  it has none), then one column per grade item; the identifier and the item are chosen in
  Moodle's column mapping.
* ``csv``: ``student``, ``name``, the LMS identifiers the roster has, ``score``, ``max_score``,
  ``status``; with a late policy also ``raw_score``, ``late_penalty`` and ``late_s``.

Canvas and Moodle get the score after the penalty and no penalty column: Canvas makes every
column it does not know into a new assignment, and Moodle would offer it as a grade to map.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from cnnlab.errors import UsageError

FORMATS = ("canvas", "moodle", "csv")
IDENTIFIERS = ("canvas_id", "sis_user_id", "sis_login_id", "section", "email", "idnumber", "username")
CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
MOODLE_IDENTIFIERS = (("idnumber", "ID number"), ("email", "Email address"), ("username", "Username"))


def _points(value) -> str:
    """A number as an LMS reads it: a dot for decimals, no thousands separator, at most 2 decimals."""
    return "" if value is None else f"{value:.2f}".rstrip("0").rstrip(".")


def rows(entries: list[dict], fmt: str, *, column: str, points_possible: float) -> list[list[str]]:
    """The CSV rows (header first) of ``entries`` in the layout ``fmt``.

    Parameters
    ----------
    entries : list of dict
        One per student (see the module docstring).
    fmt : {"canvas", "moodle", "csv"}
    column : str
        The assignment's (grade item's) column name.
    points_possible : float
        The assignment's points (Canvas's ``Points Possible`` row; the ``max_score`` default).

    Returns
    -------
    list of list of str

    Raises
    ------
    ValueError
        For an unknown format or an empty column name.
    """
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}; formats: {', '.join(FORMATS)}")
    if not column.strip():
        raise UsageError("the grade column needs a name")
    if fmt == "canvas":
        out = [[*CANVAS_COLUMNS, column], ["Points Possible", "", "", "", "", _points(points_possible)]]
        for e in entries:
            # without an SIS id in the roster, cnnlab's student id (the roster's) is the SIS User ID
            out.append([e.get("name") or e["student"], e.get("canvas_id", ""), e.get("sis_user_id") or e["student"],
                        e.get("sis_login_id", ""), e.get("section", ""), _points(e["score"])])
        return out
    if fmt == "moodle":
        present = [(key, title) for key, title in MOODLE_IDENTIFIERS if any(e.get(key) for e in entries)]
        if not present:  # no LMS identifier in the roster: cnnlab's id is the ID number
            entries = [{**e, "idnumber": e["student"]} for e in entries]
            present = [MOODLE_IDENTIFIERS[0]]
        out = [[title for _, title in present] + [column]]
        for e in entries:
            out.append([e.get(key, "") for key, _ in present] + [_points(e["score"])])
        return out
    present = [key for key in IDENTIFIERS if any(e.get(key) for e in entries)]
    late = any(e.get("raw_score") is not None for e in entries)  # a late policy was applied
    out = [["student", "name", *present, "score", "max_score", "status"]
           + (["raw_score", "late_penalty", "late_s"] if late else [])]
    for e in entries:
        row = [e["student"], e.get("name", ""), *(e.get(key, "") for key in present),
               _points(e["score"]), _points(e.get("max_score", points_possible)), e["status"]]
        if late:
            assessed = e.get("raw_score") is not None
            row += [_points(e.get("raw_score")), _points(e.get("penalty") or 0.0) if assessed else "",
                    f"{e.get('late_seconds') or 0:.0f}" if assessed else ""]
        out.append(row)
    return out


def to_csv(table: list[list[str]]) -> str:
    """Rows as CSV text (comma-separated, quoted where needed, ``\\r\\n`` line ends as RFC 4180)."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(table)
    return buffer.getvalue()


def write(entries: list[dict], fmt: str, path: str | Path, *, column: str, points_possible: float) -> Path:
    """Write the export as UTF-8 (what both LMSs read by default); return the path."""
    path = Path(path)
    path.write_text(to_csv(rows(entries, fmt, column=column, points_possible=points_possible)),
                    encoding="utf-8", newline="")
    return path
