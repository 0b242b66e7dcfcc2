"""Grading reports, rendered from gradebook records (never recomputed).

A record is one student's newest gradebook row (``student``, ``status``, ``score``,
``max_score``, ``isolation``, ``wall_s``, ``student_s``, ``message`` ...) with ``tests``: one dict
per test (``test``, ``number``, ``description``, ``points``, ``max_points``, ``status``,
``message``, ``output``, ``visibility``, ``duration_s``). See
:meth:`cnnlab.bench.grading.Gradebook.latest`. Where the assignment has a late policy, a record
also holds ``raw_score`` (the tests' points), ``penalty`` (``score = raw_score - penalty``),
``late_seconds``, ``submitted_at`` (ISO 8601) and ``submitted_from`` (where that time came from;
see :mod:`cnnlab.bench.grading.late`); the reports show them and never recompute them.

Visibility in what students read (feedback, Gradescope): ``visible`` tests are shown in full;
``hidden`` tests by name and message only (the grader wrote those messages without student
data); ``after_due_date`` and ``after_published`` tests are withheld until the due date passes or
the grades are published.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

from .grading_late import assessed, late_cell, late_line, was_late
from .grading_stats import class_stats, clean, fmt, test_names

# ANSI colours of the terminal table: statuses of submissions and of tests
_COLOURS = {"graded": "32", "passed": "32", "partial": "33", "missing": "33", "failed": "31",
            "error": "31", "skipped": "36"}


def use_colour(stream=None) -> bool:
    """Colour on a terminal, unless ``NO_COLOR`` is set (https://no-color.org) or the stream is not
    a TTY."""
    stream = sys.stdout if stream is None else stream
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _paint(text: str, status: str, colour: bool) -> str:
    code = _COLOURS.get(status)
    return f"\x1b[{code}m{text}\x1b[0m" if colour and code and text else text


def _cell(test: dict, colour: bool) -> str:
    """A test's points; a 0-point test says ``pass`` or ``FAIL`` (its points are 0 either way)."""
    if test["max_points"] == 0:
        text = "pass" if test["status"] == "passed" else "FAIL" if test["status"] in ("failed", "error") \
            else test["status"]
    else:
        text = fmt(test["points"])
    return _paint(text, test["status"], colour)


def table(records: list[dict], *, names: dict[str, str] | None = None, stats: bool = True,
          tablefmt: str = "simple", colour: bool | None = None) -> str:
    """Students x tests with totals, then class statistics and a legend of the tests.

    Parameters
    ----------
    records : list of dict
        Gradebook records.
    names : dict, optional
        student -> display name (from the roster).
    stats : bool, default=True
        Append the maximum points, per-test pass rates, mean and median.
    tablefmt : str, default="simple"
        A tabulate format.
    colour : bool, optional
        Colour the statuses (green graded or passed, yellow partial or missing, red failed or
        error) with ANSI codes; default: :func:`use_colour` (a TTY without ``NO_COLOR``).

    Returns
    -------
    str
        Test columns are headed ``T1``, ``T2`` ...; the legend below names them. A test worth 0
        points shows ``pass`` or ``FAIL``.
    """
    from tabulate import tabulate

    colour = use_colour() if colour is None else colour
    tests = test_names(records)
    late = any(was_late(r) for r in records)  # a column only where someone was late
    header = ["student"] + [f"T{i}" for i in range(1, len(tests) + 1)] + ["total"] + (["late"] if late else []) + ["status"]
    rows = []
    for record in records:
        by_name = {t["test"]: t for t in record.get("tests", [])}
        cells = [_cell(by_name[t], colour) if t in by_name else "" for t in tests]
        label = record["student"]
        if names and names.get(label):
            label += f" ({names[label]})"
        status = _paint(record["status"], record["status"], colour)
        rows.append([label, *cells, f"{fmt(record['score'])}/{fmt(record['max_score'])}",
                     *([late_cell(record)] if late else []), status])
    s = class_stats(records)
    if stats and records:
        maxima = {t: max(x["max_points"] for r in records for x in r.get("tests", []) if x["test"] == t)
                  for t in tests}
        blank = [""] if late else []
        rows.append(["max points", *[fmt(maxima[t]) for t in tests], fmt(s["max_score"]), *blank, ""])
        rows.append(["passed", *[f"{100 * s['pass_rate'].get(t, 0):.0f}%" for t in tests], "", *blank, ""])
    text = tabulate(rows, headers=header, tablefmt=tablefmt, disable_numparse=True)
    if stats and records:
        visibility = {x["test"]: x["visibility"] for r in records for x in r.get("tests", [])}
        text += (f"\n\n{s['submissions']} submissions"
                 + (f", {s['missing']} missing" if s["missing"] else "")
                 + f": mean {s['mean']:.1f}, median {s['median']:.1f} of {fmt(s['max_score'])} points\n")
        text += "\n".join(f"T{i}: {t} ({visibility[t]}{', 0 points: pass or FAIL' if maxima[t] == 0 else ''})"
                          for i, t in enumerate(tests, start=1))
        if late:
            text += "\nlate: the late penalty in points (how late); total is after it"
    return text


def to_frame(records: list[dict], *, names: dict[str, str] | None = None):
    """A pandas DataFrame: one row per student, one column per test, total, max, status,
    isolation; where a late policy was applied, also ``raw_score`` (before the penalty; ``total``
    is after it), ``late_penalty``, ``late_s``, ``submitted_at`` and ``submitted_from``."""
    import pandas as pd

    tests = test_names(records)
    rows = []
    for record in records:
        by_name = {t["test"]: t["points"] for t in record.get("tests", [])}
        row = {"student": record["student"]}
        if names is not None:
            row["name"] = names.get(record["student"], "")
        row.update({t: by_name.get(t) for t in tests})
        row.update(total=record["score"], max=record["max_score"], status=record["status"],
                   isolation=record.get("isolation") or "")
        if assessed(record):
            row.update(raw_score=record["raw_score"], late_penalty=record.get("penalty") or 0.0,
                       late_s=record.get("late_seconds") or 0.0,
                       submitted_at=record.get("submitted_at") or "",
                       submitted_from=record.get("submitted_from") or "")
        rows.append(row)
    columns = ["student"] + (["name"] if names is not None else []) + tests + ["total", "max", "status", "isolation"]
    if any(assessed(r) for r in records):
        columns += ["raw_score", "late_penalty", "late_s", "submitted_at", "submitted_from"]
    return pd.DataFrame(rows, columns=columns)


def write_csv(records: list[dict], path: str | Path, *, names: dict[str, str] | None = None) -> Path:
    """``grades.csv``: one row per student, one column per test, and the total."""
    path = Path(path)
    to_frame(records, names=names).to_csv(path, index=False)
    return path


def shown(visibility: str, *, due: dt.datetime | None, published: bool, now: dt.datetime) -> str:
    """How a test appears to the student: ``"full"``, ``"name"`` (name and message) or ``"withheld"``."""
    if visibility == "visible":
        return "full"
    if visibility == "hidden":
        return "name"
    if visibility == "after_due_date":
        return "full" if due is None or now >= due else "withheld"
    if visibility == "after_published":
        return "full" if published else "withheld"
    return "withheld"


def _fence(text: str) -> str:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}text\n{text.rstrip()}\n{ticks}"


def _now(now):
    return now or dt.datetime.now(dt.UTC)


def feedback_markdown(record: dict, *, title: str = "", due: dt.datetime | None = None,
                      published: bool = False, now: dt.datetime | None = None,
                      late_policy: str = "") -> str:
    """A student's feedback: each test with points, status and message, visibility respected.

    Hidden tests show their name and message only (not their points, code or the student's
    output); the score line still counts them.
    Text from student code sits in code fences, so it cannot format the page.
    Where a late policy was applied, the score is after the penalty and a line under it says
    when the submission was handed in and what that cost (:func:`late_line`; ``late_policy``
    is the policy in words). While tests are withheld, the score is of the shown tests and the
    penalty is named but not counted in it.
    """
    now = _now(now)
    lines = [f"# Feedback: {title}".rstrip(": ") if title else "# Feedback", "",
             f"Student: `{record['student']}`", ""]
    if record["status"] == "missing":
        return "\n".join(lines + ["No submission was received.", ""])
    if record["status"] == "error":
        lines += ["Your submission could not be graded:", "", _fence(clean(record.get("message"))), ""]
    withheld = [t for t in record.get("tests", []) if shown(t["visibility"], due=due, published=published, now=now) == "withheld"]
    visible = [t for t in record.get("tests", []) if t not in withheld]
    got = sum(t["points"] for t in visible)
    # a submission that could not be graded has no tests: it is out of the assignment's points
    out_of = sum(t["max_points"] for t in visible) if record.get("tests") else record.get("max_score") or 0.0
    penalty = (record.get("penalty") or 0.0) if assessed(record) else 0.0
    if penalty and not withheld:  # the record's score: the tests' points less the penalty
        lines.append(f"**Score: {fmt(record['score'])} / {fmt(out_of)}** "
                     f"({fmt(got)} before the late penalty)")
    else:
        lines.append(f"**Score: {fmt(got)} / {fmt(out_of)}**")
    if withheld:
        lines.append(f"({len(withheld)} more test(s) worth {fmt(sum(t['max_points'] for t in withheld))} "
                     "points are shown after the due date or when grades are published.)")
    late = late_line(record, policy=late_policy, withheld=bool(withheld))
    if late:
        lines.append(f"\n{late}")
    if record.get("isolation") == "missing file":  # the engine's mark: none of the student's code ran
        lines.append(f"\nNone of your code ran ({clean(record.get('message')) or 'a required file is missing'}).")
    elif record.get("isolation"):
        lines.append(f"\nGraded in a sandbox: {record['isolation']}.")
    lines.append("")
    for t in record.get("tests", []):
        mode = shown(t["visibility"], due=due, published=published, now=now)
        if mode == "withheld":
            lines += [f"## {t['test']}", "", "Result shown later.", ""]
            continue
        if mode == "name":  # hidden: the name and the grader's message, nothing else
            lines += [f"## {t['test']}", "", _fence(clean(t.get("message") or "passed")), ""]
            continue
        mark = {"passed": "passed", "partial": "partly passed"}.get(t["status"], t["status"])
        lines += [f"## {t['test']} ({fmt(t['points'])} / {fmt(t['max_points'])}, {mark})", ""]
        if t.get("description"):
            lines += [clean(t["description"]), ""]
        if t.get("message"):
            lines += [_fence(clean(t["message"])), ""]
        if t.get("output"):
            lines += ["Your code printed:", "", _fence(clean(t["output"])), ""]
    return "\n".join(lines)


def gradescope_json(record: dict, *, late_policy: str = "") -> dict:
    """A submission in Gradescope's ``results.json`` format.

    Follows the autograder specification (score, execution_time, output, visibility,
    stdout_visibility, tests with name, number, score, max_score, status, output, tags,
    visibility); Gradescope itself applies each test's visibility. ``score`` is the record's,
    after a late penalty (the tests keep their own points); the output says what it cost.
    """
    tests = []
    for t in record.get("tests", []):
        text = clean(t.get("message"))
        if t.get("output") and t["visibility"] == "visible":
            text += ("\n\n" if text else "") + "Your code printed:\n" + clean(t["output"])
        tests.append({
            "name": t["test"],
            "number": t.get("number") or "",
            "score": t["points"],
            "max_score": t["max_points"],
            "status": "passed" if t["status"] == "passed" else "failed",
            "output": text,
            "tags": [t["status"]] + ([t["file"]] if t.get("file") else []),
            "visibility": t["visibility"],
        })
    output = clean(record.get("message"))
    late = late_line(record, policy=late_policy)
    if late:
        output = (output + "\n" if output else "") + late
    if record.get("isolation") and record["isolation"] != "missing file":
        output = (output + "\n" if output else "") + f"Sandbox: {record['isolation']}"
    result = {
        "score": record["score"],
        "execution_time": round(record.get("wall_s") or 0.0, 3),
        "output": output,
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }
    if record.get("leaderboard"):  # [{"name", "value", "order"}], Gradescope's own format
        result["leaderboard"] = [dict(entry) for entry in record["leaderboard"]]
    return result


def junit_xml(record: dict) -> str:
    """A submission as a JUnit XML test suite (for CI systems).

    The counts always equal the cases the suite holds: a submission that could not be graded is
    one ``grading`` case with an ``<error>``, a student without a submission one ``submission``
    case with a ``<failure>`` (a CI dashboard must not show them green).
    """
    tests = record.get("tests", [])
    cases = []
    for t in tests:
        case = ET.Element("testcase", classname=clean(t.get("file") or record["student"]),
                          name=clean(t["test"]), time=f"{t.get('duration_s') or 0.0:.3f}")
        message = clean(t.get("message"))
        if t["status"] in ("failed", "partial"):
            failure = ET.SubElement(case, "failure", message=message.splitlines()[0] if message else t["status"],
                                    type=t["status"])
            failure.text = f"{fmt(t['points'])} / {fmt(t['max_points'])} points\n{message}"
        elif t["status"] == "error":
            ET.SubElement(case, "error", message=message.splitlines()[0] if message else "error",
                          type="error").text = message
        elif t["status"] == "skipped":
            ET.SubElement(case, "skipped", message=message or "skipped")
        if t.get("output"):
            ET.SubElement(case, "system-out").text = clean(t["output"])
        cases.append(case)
    message = clean(record.get("message"))
    if record["status"] == "error" and not tests:
        case = ET.Element("testcase", classname=record["student"], name="grading",
                          time=f"{record.get('wall_s') or 0.0:.3f}")
        ET.SubElement(case, "error", message=message.splitlines()[0] if message else "not graded",
                      type="error").text = message
        cases.append(case)
    elif record["status"] == "missing" and not tests:
        case = ET.Element("testcase", classname=record["student"], name="submission", time="0.000")
        ET.SubElement(case, "failure", message="no submission was received", type="missing").text = (
            f"0 / {fmt(record.get('max_score'))} points: no submission was received")
        cases.append(case)

    def count(tag):
        return str(sum(case.find(tag) is not None for case in cases))

    suite = ET.Element("testsuite", {
        "name": record["student"], "tests": str(len(cases)), "failures": count("failure"),
        "errors": count("error"), "skipped": count("skipped"),
        "time": f"{record.get('wall_s') or 0.0:.3f}",
    })
    props = ET.SubElement(suite, "properties")
    keys = ("score", "max_score", "isolation", "status")
    if assessed(record):
        keys += ("raw_score", "penalty", "late_seconds", "submitted_at", "submitted_from")
    for key in keys:
        ET.SubElement(props, "property", name=key, value=clean(record.get(key)))
    suite.extend(cases)
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


def write_all(records: list[dict], out: str | Path, *, title: str = "",
              due: dt.datetime | None = None, published: bool = False,
              now: dt.datetime | None = None, names: dict[str, str] | None = None,
              teams: list[dict] | None = None,
              metrics: list[tuple[str, str]] | None = None, late_policy: str = "") -> dict[str, Path]:
    """Write every report into ``out``.

    Parameters
    ----------
    records : list of dict
        Gradebook records.
    out : str or Path
    title, due, published, now, names
        See :func:`feedback_markdown` and :func:`table`.
    teams : list of dict, optional
        Team records: ``report.html`` shows the team table.
    metrics : list of (name, order), optional
        The assignment's leaderboard metrics: ``report.html`` shows the leaderboard (of the teams
        where there are teams, else of the students).
    late_policy : str, optional
        The assignment's late policy in words, for the feedback and Gradescope output.

    Returns
    -------
    dict
        ``grades.csv``, ``feedback``, ``gradescope``, ``junit``, ``report.html``, ``table.txt``
        -> their paths.
    """
    from .grading_html import write_html

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    now = _now(now)
    paths = {"grades.csv": write_csv(records, out / "grades.csv", names=names or None)}
    for folder in ("feedback", "gradescope", "junit"):
        (out / folder).mkdir(parents=True, exist_ok=True)
    for record in records:
        student = record["student"]
        (out / "feedback" / f"{student}.md").write_text(
            feedback_markdown(record, title=title, due=due, published=published, now=now,
                              late_policy=late_policy), encoding="utf-8")
        (out / "gradescope" / student).mkdir(exist_ok=True)
        (out / "gradescope" / student / "results.json").write_text(
            json.dumps(gradescope_json(record, late_policy=late_policy), indent=2), encoding="utf-8")
        (out / "junit" / f"{student}.xml").write_text(junit_xml(record), encoding="utf-8")
    paths.update(feedback=out / "feedback", gradescope=out / "gradescope", junit=out / "junit")
    (out / "table.txt").write_text(table(records, names=names, colour=False) + "\n", encoding="utf-8")
    paths["table.txt"] = out / "table.txt"
    board = None
    if metrics:
        from .leaderboard import ranking

        board = ranking(teams or records, key="team" if teams else "student", metrics=list(metrics))
    paths["report.html"] = write_html(records, out / "report.html", title=title, names=names,
                                      teams=teams or None, leaderboard=board)
    return paths
