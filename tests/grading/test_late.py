"""Late policy (cnnlab.bench.grading.late): the assessment at every boundary, the [late] table,
submission times from a submissions CSV, zip entries and files, and roster extensions.

Every expected number is worked out by hand in the test: the due date is DUE, a day is 86,400 s,
an hour 3,600 s; a started day or hour is charged in full.
"""

import datetime as dt
import os
import struct
import zipfile

import pytest

from cnnlab.bench.grading import assignment as assignments
from cnnlab.bench.grading import late, submissions
from cnnlab.bench.grading.late import LatePolicy, assess
from cnnlab.errors import UsageError

PLUS2 = dt.timezone(dt.timedelta(hours=2))
DUE = dt.datetime(2030, 6, 30, 23, 59, tzinfo=PLUS2)
DAY, HOUR = 86400, 3600
# 10 % of the points per started day, at most 50 %, 15 minutes of grace, 0 after 7 days
POLICY = LatePolicy(due=DUE, grace_s=15 * 60, per="day", penalty=0.1, cap=0.5, cutoff_s=7 * DAY)


def at(seconds: float) -> dt.datetime:
    return DUE + dt.timedelta(seconds=seconds)


@pytest.mark.parametrize("late_s, charged, penalty", [
    (-1, 0, 0),                 # a second early
    (0, 0, 0),                  # exactly at the due time
    (15 * 60, 0, 0),            # the last second of the grace period
    (15 * 60 + 1, 1, 10),       # 1 s after the grace: one started day, 10 % of 100
    (DAY, 1, 10),               # exactly one day: still one day
    (DAY + 1, 2, 20),           # one second into day 2
    (2 * DAY + 3 * HOUR, 3, 30),  # 2 days 3 hours: 3 started days, 3 x 10
    (4 * DAY + 1, 5, 50),       # 5 started days: 50, exactly the cap
    (5 * DAY + 1, 6, 50),       # 6 days would be 60: capped at 50 % of 100
    (7 * DAY, 7, 50),           # exactly at the cutoff: still charged, not zeroed
])
def test_penalty_per_started_day_with_grace_and_cap(late_s, charged, penalty):
    result = assess(POLICY, raw_score=80, max_points=100, submitted_at=at(late_s), source="file times")
    assert result.late_seconds == max(0, late_s)
    assert result.charged == charged
    assert result.penalty == penalty
    assert result.score == 80 - penalty and result.raw_score == 80
    assert not result.after_cutoff and result.due == DUE and result.source == "file times"


def test_one_second_after_the_cutoff_the_score_is_zero():
    result = assess(POLICY, raw_score=80, max_points=100, submitted_at=at(7 * DAY + 1))
    assert result.after_cutoff and result.score == 0 and result.penalty == 80 and result.raw_score == 80


def test_the_penalty_never_takes_the_score_below_zero():
    # 4 days late: 4 x 10 = 40 points, but the tests gave only 30
    result = assess(POLICY, raw_score=30, max_points=100, submitted_at=at(3 * DAY + HOUR))
    assert result.charged == 4 and result.penalty == 30 and result.score == 0


def test_a_fraction_is_of_the_points_graded_out_of():
    # out of 40 points: 10 % per day is 4 points a day, the cap 50 % is 20 points
    assert assess(POLICY, raw_score=35, max_points=40, submitted_at=at(DAY + HOUR)).penalty == 8
    assert assess(POLICY, raw_score=35, max_points=40, submitted_at=at(6 * DAY)).penalty == 20


@pytest.mark.parametrize("late_s, penalty", [
    (1, 2),              # one second: one started hour, 2 points
    (HOUR, 2),           # exactly one hour
    (HOUR + 1, 4),       # one second into hour 2
    (10 * HOUR - 1, 20),  # 9 h 59 min 59 s: 10 started hours
])
def test_points_per_started_hour_round_up(late_s, penalty):
    policy = LatePolicy(due=DUE, per="hour", penalty=2, penalty_kind="points")
    result = assess(policy, raw_score=50, max_points=60, submitted_at=at(late_s))
    assert result.penalty == penalty and result.score == 50 - penalty


def test_cutoff_only_policy_zeroes_after_the_cutoff_and_charges_nothing_before():
    policy = LatePolicy(due=DUE, cutoff_s=2 * DAY)
    assert assess(policy, raw_score=70, max_points=100, submitted_at=at(2 * DAY)).penalty == 0
    assert assess(policy, raw_score=70, max_points=100, submitted_at=at(2 * DAY + 1)).score == 0


def test_an_extension_moves_the_due_date():
    two_days = dt.timedelta(days=2)
    # 2 days 10 minutes after the due date: 10 minutes after the extended one, within the grace
    result = assess(POLICY, raw_score=80, max_points=100, submitted_at=at(2 * DAY + 600), extension=two_days)
    assert result.due == DUE + two_days and result.late_seconds == 600 and result.penalty == 0
    # 1 s after the extended grace: one started day
    result = assess(POLICY, raw_score=80, max_points=100, submitted_at=at(2 * DAY + 901), extension=two_days)
    assert result.late_seconds == 901 and result.penalty == 10
    # a new due date 3 days later; submitted 4 days 1 hour after the old one: 1 hour late -> 1 day
    new_due = DUE + dt.timedelta(days=3)
    result = assess(POLICY, raw_score=80, max_points=100, submitted_at=at(4 * DAY + HOUR), extension=new_due)
    assert result.due == new_due and result.late_seconds == DAY + HOUR and result.penalty == 20
    # the cutoff counts from the student's own due date: 8 days after the old one is 6 after the new
    result = assess(POLICY, raw_score=80, max_points=100, submitted_at=at(8 * DAY), extension=two_days)
    assert not result.after_cutoff and result.penalty == 50


def test_the_same_instant_in_another_time_zone_is_the_same_lateness():
    utc = (DUE + dt.timedelta(days=1, seconds=1)).astimezone(dt.UTC)  # 21:59:01 UTC the next day
    assert utc.tzinfo == dt.UTC and utc.hour == 21
    result = assess(POLICY, raw_score=80, max_points=100, submitted_at=utc)
    assert result.late_seconds == DAY + 1 and result.penalty == 20


def test_no_time_charges_nothing_and_a_naive_time_is_refused():
    result = assess(POLICY, raw_score=80, max_points=100, submitted_at=None)
    assert result.submitted_at is None and result.penalty == 0 and result.score == 80
    with pytest.raises(UsageError, match="needs a UTC offset"):
        assess(POLICY, raw_score=80, max_points=100, submitted_at=dt.datetime(2030, 7, 1, 12))


def test_fields_are_what_the_gradebook_keeps():
    fields = assess(POLICY, raw_score=80, max_points=100, submitted_at=at(2 * DAY + 3 * HOUR),
                    source="zip entry times").fields()
    assert fields == {"submitted_at": "2030-07-03T02:59:00+02:00", "submitted_from": "zip entry times",
                      "late_seconds": 2 * DAY + 3 * HOUR, "penalty": 30, "raw_score": 80, "score": 50}


def test_describe_and_duration_text():
    assert POLICY.describe() == "10 % per day, capped at 50 %, score 0 after 7 days, 15 minutes of grace"
    assert LatePolicy(due=DUE, per="hour", penalty=1, penalty_kind="points").describe() == "1 point per hour"
    assert LatePolicy(due=DUE, cutoff_s=36 * HOUR).describe() == "score 0 after 1 day 12 hours"
    assert late.duration_text(2 * DAY + 3 * HOUR + 61) == "2 days 3 hours 1 minute 1 second"
    assert late.duration_text(0.4) == "0 seconds"


# --------------------------------------------------------------------- the [late] table


def _toml(tmp_path, late_table: str, due: str = "due = 2030-06-30T23:59:00+02:00\n"):
    (tmp_path / "assignment.toml").write_text(
        f"[assignment]\npoints = 100\nfiles = ['m.py']\n{due}\n[late]\n{late_table}", encoding="utf-8")
    return tmp_path


def test_late_table_is_read(tmp_path):
    spec = assignments.load(_toml(tmp_path, 'grace = "15m"\nper = "day"\npenalty = 0.1\ncap = 0.5\n'
                                             'cutoff = "7d"\n'))
    assert spec.late == POLICY
    spec = assignments.load(_toml(tmp_path, 'per = "hour"\npenalty_points = 2\nzip_utc_offset = "-05:00"\n'))
    assert spec.late == LatePolicy(due=DUE, per="hour", penalty=2, penalty_kind="points",
                                   zip_offset=dt.timezone(dt.timedelta(hours=-5)))
    assert assignments.load("metrics").late is None


def test_a_due_date_without_offset_is_utc(tmp_path):
    spec = assignments.load(_toml(tmp_path, "penalty = 0.1\n", due="due = 2030-06-30T23:59:00\n"))
    assert spec.late.due == dt.datetime(2030, 6, 30, 23, 59, tzinfo=dt.UTC)


@pytest.mark.parametrize("table, message", [
    ('per = "week"\n', r"per must be one of 'day', 'hour', got 'week'"),
    ("penalty = 1.5\n", "penalty must be a number from 0 to 1"),
    ("penalty = -1\n", "penalty must be a number from 0 to 1"),
    ("penalty_points = -2\n", r"penalty must be a number >= 0"),
    ("penalty = 0.1\npenalty_points = 2\n", "penalty .* or penalty_points, not both"),
    ("penalty = '10%'\n", "penalty must be a number from 0 to 1"),
    ("cap = 2\n", "cap must be a number from 0 to 1"),
    ('grace = "15 minutes"\n', r'grace must be a duration like "15m", "36h", "2d" or "1d12h"'),
    ("grace = 15\n", "grace must be a duration like"),
    ('grace = "1h"\ncutoff = "30m"\n', r"cutoff \(30 minutes\) must be longer than the grace period \(1 hour\)"),
    ("colour = 1\n", r"unknown key\(s\) \['colour'\]; valid: grace, per, penalty"),
    ('zip_utc_offset = "CET"\n', 'zip_utc_offset must be a UTC offset like "\\+02:00"'),
])
def test_bad_late_tables_name_the_key_and_the_valid_forms(tmp_path, table, message):
    with pytest.raises(UsageError, match=message) as info:
        assignments.load(_toml(tmp_path, table))
    assert "[late]" in str(info.value) and "\n" not in str(info.value)


def test_a_late_table_needs_a_due_date(tmp_path):
    with pytest.raises(UsageError, match=r"\[late\]: a late policy needs \[assignment\] due"):
        assignments.load(_toml(tmp_path, "penalty = 0.1\n", due=""))


# --------------------------------------------------------------------- submission times


def _zip(path, entries, *, ntfs=False):
    """entries: (name, DOS date_time, UTC Unix time for an extended timestamp or None)."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, date_time, unix in entries:
            info = zipfile.ZipInfo(name, date_time)
            if unix is not None and ntfs:  # 100 ns ticks since 1601, which is 11,644,473,600 s before 1970
                ticks = (unix + 11_644_473_600) * 10**7
                info.extra = struct.pack("<HHIHHQQQ", 0x000A, 32, 0, 1, 24, ticks, ticks, ticks)
            elif unix is not None:  # Info-ZIP's extended timestamp: flags (mtime), Unix seconds
                info.extra = struct.pack("<HHBi", 0x5455, 5, 1, unix)
            archive.writestr(info, "x = 1\n")
    return path


def _found(folder):
    return {s.student: s for s in submissions.discover(folder, ("m.py",))}


def test_times_come_from_zip_entries_then_file_times(tmp_path):
    _zip(tmp_path / "ada.zip", [("ada/m.py", (2030, 7, 1, 10, 0, 0), None),
                                ("ada/notes.txt", (2030, 7, 2, 9, 30, 0), None),
                                ("__MACOSX/ada/._m.py", (2031, 1, 1, 0, 0, 0), None)])  # ignored
    # grace's archive has an extended timestamp, which wins over its DOS time: 1,909,000,000 s is
    # 2030-01-01 (1,893,456,000 s) + 179 days (to June 29) + 78,400 s (21:46:40), UTC
    _zip(tmp_path / "grace.zip", [("m.py", (2030, 6, 30, 9, 0, 0), 1_909_000_000)])
    _zip(tmp_path / "win.zip", [("m.py", (2030, 6, 30, 9, 0, 0), 1_909_000_000)], ntfs=True)  # 7-Zip's field
    folder = tmp_path / "linus"
    (folder / "sub").mkdir(parents=True)
    (folder / "m.py").write_text("x = 1\n")
    (folder / "sub" / "data.csv").write_text("1\n")
    (folder / ".git").mkdir()
    (folder / ".git" / "HEAD").write_text("ref\n")  # not copied for grading: not counted
    newest = DUE + dt.timedelta(hours=5)
    os.utime(folder / "m.py", (newest.timestamp() - 99, newest.timestamp() - 99))
    os.utime(folder / "sub" / "data.csv", (newest.timestamp(), newest.timestamp()))
    os.utime(folder / ".git" / "HEAD", (newest.timestamp() + DAY, newest.timestamp() + DAY))
    (tmp_path / "nb.ipynb").write_text("{}")
    os.utime(tmp_path / "nb.ipynb", (DUE.timestamp() - 60, DUE.timestamp() - 60))
    found = _found(tmp_path)
    times = {s: late.submission_time(sub, times={}, policy=POLICY) for s, sub in found.items()}
    # DOS times have no zone: read in the due date's offset (+02:00)
    assert times["ada"] == late.SubmissionTime(dt.datetime(2030, 7, 2, 9, 30, tzinfo=PLUS2), "zip entry times")
    assert times["grace"] == late.SubmissionTime(dt.datetime(2030, 6, 29, 21, 46, 40, tzinfo=dt.UTC),
                                                 "zip entry times")
    assert times["win"] == times["grace"]
    assert times["linus"] == late.SubmissionTime(newest, "file times")
    assert times["nb"] == late.SubmissionTime(DUE - dt.timedelta(minutes=1), "file times")
    # zip_utc_offset reads the DOS times elsewhere: 09:30 at -05:00 is 14:30 UTC
    minus5 = LatePolicy(due=DUE, zip_offset=dt.timezone(dt.timedelta(hours=-5)))
    assert late.submission_time(found["ada"], times={}, policy=minus5).at == \
        dt.datetime(2030, 7, 2, 14, 30, tzinfo=dt.UTC)


def test_a_submissions_csv_comes_first(tmp_path):
    _zip(tmp_path / "ada.zip", [("m.py", (2030, 7, 9, 0, 0, 0), None)])
    _zip(tmp_path / "bob.zip", [("m.py", (2030, 7, 9, 0, 0, 0), None)])
    (tmp_path / "submissions.csv").write_text(
        "Student,Submitted_At,comment\nada,2030-07-01T01:00:00Z,\nbob,,no time given\n", encoding="utf-8")
    times = late.read_submission_times(tmp_path)
    assert times == {"ada": late.SubmissionTime(dt.datetime(2030, 7, 1, 1, tzinfo=dt.UTC), "submissions.csv")}
    found = _found(tmp_path)
    assert late.submission_time(found["ada"], times=times, policy=POLICY) == times["ada"]
    assert late.submission_time(found["bob"], times=times, policy=POLICY).source == "zip entry times"
    assert late.read_submission_times(tmp_path / "nowhere") == {}


def test_a_single_submission_cannot_state_its_own_time(tmp_path):
    folder = tmp_path / "work"  # graded as one submission (as the Gradescope autograder does)
    folder.mkdir()
    (folder / "m.py").write_text("x = 1\n")
    (folder / "submissions.csv").write_text("student,submitted_at\nwork,2000-01-01T00:00:00Z\n")
    os.utime(folder / "m.py", (at(HOUR).timestamp(), at(HOUR).timestamp()))
    assert late.read_submission_times(folder, files=("m.py",)) == {}
    run = late.Lateness.for_class(POLICY, submissions_dir=folder, files=("m.py",))
    (sub,) = submissions.discover(folder, ("m.py",))
    assert run.fields(sub, raw_score=80, max_points=100)["submitted_from"] == "file times"
    assert run.fields(sub, raw_score=80, max_points=100)["penalty"] == 10  # an hour late: one day


@pytest.mark.parametrize("text, message", [
    ("student,submitted_at\nada,2030-07-01 01:00\n",
     r"submissions.csv, line 2: has no UTC offset: '2030-07-01 01:00'; write an ISO 8601 time"),
    ("student,submitted_at\nada,yesterday\n", "line 2: is not a time"),
    ("student,when\nada,2030-07-01T01:00Z\n", "needs a 'submitted_at' column"),
    ("name,submitted_at\nAda,2030-07-01T01:00Z\n", "needs a 'student'"),
    ("student,submitted_at\nada,2030-07-01T01:00Z\nada,2030-07-02T01:00Z\n", "line 3: student 'ada' is listed twice"),
])
def test_a_bad_submissions_csv_is_one_line(tmp_path, text, message):
    (tmp_path / "submissions.csv").write_text(text, encoding="utf-8")
    with pytest.raises(UsageError, match=message) as info:
        late.read_submission_times(tmp_path)
    assert "\n" not in str(info.value)


def test_a_submission_without_files_has_no_time(tmp_path):
    (tmp_path / "empty").mkdir()
    _zip(tmp_path / "hollow.zip", [])
    sub = submissions.Submission("empty", tmp_path / "empty", "folder")
    assert late.submission_time(sub, times={}, policy=POLICY) == late.SubmissionTime(None, "")
    sub = submissions.Submission("hollow", tmp_path / "hollow.zip", "zip")
    assert late.submission_time(sub, times={}, policy=POLICY) == late.SubmissionTime(None, "")


# --------------------------------------------------------------------- extensions


def test_roster_extensions_and_teams(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id,name,team,extension\n"
                      "ada,Ada,convolutionists,2d\n"
                      "grace,Grace,convolutionists,2030-07-04T12:00:00+02:00\n"
                      "linus,Linus,,\n"
                      "alan,Alan,poolers,\n", encoding="utf-8")
    ext = late.read_extensions(roster)
    assert ext.of("ada", POLICY) == dt.timedelta(days=2)
    assert ext.of("grace", POLICY) == dt.datetime(2030, 7, 4, 12, tzinfo=PLUS2)
    assert ext.of("linus", POLICY) is None and ext.of("alan", POLICY) is None
    assert ext.of("poolers", POLICY) is None
    # the team's submission: Grace's new due date (July 4, 12:00) is later than Ada's (July 2, 23:59)
    assert ext.of("convolutionists", POLICY) == dt.datetime(2030, 7, 4, 12, tzinfo=PLUS2)
    with pytest.raises(UsageError, match="roster .*nope.csv' does not exist"):
        late.read_extensions(tmp_path / "nope.csv")


@pytest.mark.parametrize("cell, message", [
    ("two days", "extension must be a duration like"),
    ("2030-07-04T12:00:00", "extension has no UTC offset"),
])
def test_a_bad_extension_names_the_line(tmp_path, cell, message):
    roster = tmp_path / "roster.csv"
    roster.write_text(f"student,extension\nada,\nbob,{cell}\n", encoding="utf-8")
    with pytest.raises(UsageError, match=f"roster roster.csv, line 3: {message}"):
        late.read_extensions(roster)


# --------------------------------------------------------------------- what people read
# Records as the gradebook keeps them: the tests' points, then the assessment's fields on top.


def _graded(student, points, *, late_s=None, source="zip entry times", visibility="visible"):
    tests = [{"test": "test_a", "number": "1", "file": "test_x.py", "description": "", "points": points,
              "max_points": 100, "status": "passed" if points == 100 else "partial", "message": "",
              "output": "", "visibility": visibility, "duration_s": 0.1}]
    record = {"student": student, "status": "graded", "score": points, "max_score": 100,
              "isolation": "bwrap", "wall_s": 1.0, "message": "", "tests": tests}
    if late_s is not None:
        record.update(assess(POLICY, raw_score=points, max_points=100, submitted_at=at(late_s),
                             source=source).fields())
    return record


def _class():
    return [_graded("ada", 80, late_s=2 * DAY + 3 * HOUR),    # 3 started days: -30
            _graded("bob", 90, late_s=10 * 60, source="file times"),  # within the grace
            _graded("cy", 70, late_s=-HOUR, source="submissions.csv"),  # on time
            _graded("dee", 60, late_s=8 * DAY)]               # after the cutoff: 0


def test_feedback_says_when_and_what_it_cost():
    from cnnlab.reports import grading as report

    policy = POLICY.describe()
    ada, bob, cy, dee = _class()
    text = report.feedback_markdown(ada, late_policy=policy)
    assert "**Score: 50 / 100** (80 before the late penalty)" in text
    assert ("Submitted 2 days 3 hours late (2030-07-03 02:59:00+02:00, from the newest file time in "
            "your zip): -30 points (10 % per day, capped at 50 %, score 0 after 7 days, 15 minutes of grace). "
            "Score 80 -> 50 / 100.") in text
    assert report.late_line(bob, policy="P") == ("Submitted 10 minutes late (2030-07-01 00:09:00+02:00, "
                                                 "from your newest file time): no late penalty (P).")
    assert "**Score: 90 / 100**" in report.feedback_markdown(bob)
    assert report.late_line(cy) == "Submitted on time (2030-06-30 22:59:00+02:00, from the recorded submission time)."
    assert report.late_line(dee).endswith(": -60 points. Score 60 -> 0 / 100.")
    assert report.late_line({**ada, "submitted_at": None}) == "No submission time was found, so no late penalty applies."
    assert report.late_line(_graded("eve", 80)) == ""  # no late policy: not a word
    assert report.late_line({"student": "fay", "status": "missing", "score": 0, "max_score": 100,
                             "raw_score": 0.0}) == ""


def test_feedback_with_withheld_tests_does_not_tell_their_points():
    from cnnlab.reports import grading as report

    ada = _graded("ada", 80, late_s=2 * DAY + 3 * HOUR, visibility="after_published")
    text = report.feedback_markdown(ada, late_policy="10 % per day")
    assert "**Score: 0 / 0**" in text and "80" not in text and "-30" not in text
    assert "late (2030-07-03 02:59:00+02:00, from the newest file time in your zip): a late penalty " \
           "(10 % per day) applies to your final score." in text


def test_instructor_table_csv_html_junit_and_gradescope_show_the_penalty(tmp_path):
    import xml.etree.ElementTree as ET

    import pandas as pd

    from cnnlab.reports import grading as report

    records = _class()
    lines = report.table(records, colour=False).splitlines()
    assert lines[0].split() == ["student", "T1", "total", "late", "status"]
    assert lines[2].split() == ["ada", "80", "50/100", "-30", "(2d", "3h)", "graded"]
    assert lines[3].split() == ["bob", "90", "90/100", "0", "(10m)", "graded"]
    assert lines[4].split() == ["cy", "70", "70/100", "graded"]
    assert lines[5].split() == ["dee", "60", "0/100", "-60", "(8d)", "graded"]
    assert "late" not in report.table([_graded("eve", 80)], colour=False).splitlines()[0].split()

    frame = pd.read_csv(report.write_csv(records, tmp_path / "grades.csv"), keep_default_na=False)
    assert list(frame.columns)[-5:] == ["raw_score", "late_penalty", "late_s", "submitted_at", "submitted_from"]
    assert frame["total"].tolist() == [50, 90, 70, 0] and frame["raw_score"].tolist() == [80, 90, 70, 60]
    assert frame["late_penalty"].tolist() == [30, 0, 0, 60]
    assert frame["late_s"].tolist() == [2 * DAY + 3 * HOUR, 600, 0, 8 * DAY]
    assert frame["submitted_from"].tolist() == ["zip entry times", "file times", "submissions.csv", "zip entry times"]
    assert "raw_score" not in pd.read_csv(report.write_csv([_graded("eve", 80)], tmp_path / "g2.csv")).columns

    page = (report.write_all(records, tmp_path / "out", late_policy=POLICY.describe())["report.html"]).read_text()
    assert "<th>total</th><th title=" in page and ">late</th><th>status</th>" in page
    assert '<td>50 / 100</td><td class="late" title="submitted 2030-07-03T02:59:00+02:00 (zip entry times), ' \
           '2 days 3 hours late; 80 before the penalty">-30 (2d 3h)</td>' in page
    assert "<td>70 / 100</td><td></td><td>" in page  # cy was on time: an empty cell keeps the columns

    suite = ET.parse(tmp_path / "out" / "junit" / "ada.xml").getroot()
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert [float(props[k]) for k in ("score", "raw_score", "penalty", "late_seconds")] == [50, 80, 30, 2 * DAY + 3 * HOUR]
    gradescope = report.gradescope_json(records[0], late_policy="10 % per day")
    assert gradescope["score"] == 50 and gradescope["tests"][0]["score"] == 80
    assert "-30 points (10 % per day). Score 80 -> 50 / 100." in gradescope["output"]
    feedback = (tmp_path / "out" / "feedback" / "ada.md").read_text()
    assert "(10 % per day, capped at 50 %, score 0 after 7 days, 15 minutes of grace)" in feedback


def test_exports_carry_the_score_after_the_penalty(tmp_path):
    from cnnlab.bench.commands.export_grades import grade_entries
    from cnnlab.reports import lms

    records = _class()
    team = [{"team": "ab", "members": [{"student": "al", "name": ""}], "submitted_by": "ada", "score": 50,
             "max_score": 100, "status": "graded"}]  # al's team handed in ada's submission
    roster = [{"student": "al", "name": "Al"}, {"student": "bob", "name": "Bob"}]
    entries = grade_entries(records, roster, team)
    by = {e["student"]: e for e in entries}
    assert by["al"]["score"] == 50 and by["al"]["raw_score"] == 80 and by["al"]["penalty"] == 30
    table = lms.rows(entries, "csv", column="hw", points_possible=100)
    assert table[0] == ["student", "name", "score", "max_score", "status", "raw_score", "late_penalty", "late_s"]
    assert table[1] == ["al", "Al", "50", "100", "graded", "80", "30", str(2 * DAY + 3 * HOUR)]
    assert table[3] == ["ada", "", "50", "100", "graded", "80", "30", str(2 * DAY + 3 * HOUR)]
    assert table[5] == ["dee", "", "0", "100", "graded", "60", "60", str(8 * DAY)]
    canvas = lms.rows(entries, "canvas", column="hw", points_possible=100)
    assert canvas[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "hw"]  # one grade column
    assert [row[-1] for row in canvas[2:]] == ["50", "90", "50", "70", "0"]
    moodle = lms.rows(entries, "moodle", column="hw", points_possible=100)
    assert moodle[0] == ["ID number", "hw"] and moodle[1] == ["al", "50"]
    plain = lms.rows(grade_entries([_graded("eve", 80)], [], []), "csv", column="hw", points_possible=100)
    assert plain[0] == ["student", "name", "score", "max_score", "status"]


# --------------------------------------------------------------------- a grading run's inputs


def test_a_run_reads_its_inputs_once_and_a_regrade_keeps_the_first_time(tmp_path):
    folder = tmp_path / "subs"
    folder.mkdir()
    _zip(folder / "ada.zip", [("m.py", (2030, 7, 3, 2, 59, 0), None)])  # 2 days 3 hours late (+02:00)
    _zip(folder / "bob.zip", [("m.py", (2030, 7, 9, 0, 0, 0), None)])
    (folder / "submissions.csv").write_text("student,submitted_at\nbob,2030-06-30T20:00:00Z\n")
    roster = tmp_path / "roster.csv"
    roster.write_text("student,extension\nada,1d\nbob,\n")
    assert late.Lateness.for_class(None, submissions_dir=folder) is None
    run = late.Lateness.for_class(POLICY, submissions_dir=folder, roster=roster)
    found = _found(folder)
    # ada: a day's extension, so 1 day 3 hours late: 2 started days, -20
    first = run.fields(found["ada"], raw_score=80, max_points=100, digest="d1")
    assert first == {"submitted_at": "2030-07-03T02:59:00+02:00", "submitted_from": "zip entry times",
                     "late_seconds": DAY + 3 * HOUR, "penalty": 20, "raw_score": 80, "score": 60}
    # bob: the CSV says 20:00 UTC, 1 hour 59 minutes before the due date (21:59 UTC)
    assert run.fields(found["bob"], raw_score=90, max_points=100)["penalty"] == 0
    # the archive is rewritten with new entry times (the same content): a regrade keeps the first time
    _zip(folder / "ada.zip", [("m.py", (2030, 7, 20, 0, 0, 0), None)])
    previous = {"digest": "d1", **first}
    again = run.fields(found["ada"], raw_score=80, max_points=100, digest="d1", previous=previous)
    assert again == first
    # changed content is a new submission: its own time (July 20, 00:00 +02:00 is 19 days 1 minute
    # after June 30, 23:59, 18 days 1 minute after ada's extended due date: past the 7-day cutoff)
    changed = run.fields(found["ada"], raw_score=80, max_points=100, digest="d2", previous=previous)
    assert changed["late_seconds"] == 18 * DAY + 60 and changed["score"] == 0
    # a student the CSV lists is read from it again (a corrected list takes effect)
    old_bob = {"digest": "d3", "submitted_at": "2030-07-09T00:00:00+02:00", "submitted_from": "zip entry times"}
    assert run.fields(found["bob"], raw_score=90, max_points=100, digest="d3", previous=old_bob)["submitted_from"] \
        == "submissions.csv"



# --------------------------------------------------------------------- a graded class


def test_a_graded_class_keeps_the_penalty_and_a_regrade_keeps_it_too(tmp_path, capsys):
    """One grading run of three correct submissions (100 points each) under the policy above,
    with the metrics assignment's due date, 2030-06-30 23:59 UTC."""
    import csv
    import shutil

    from cnnlab.bench.cli import main
    from cnnlab.bench.grading import grade

    from .conftest import EXAMPLES, FAST_LIMITS, METRICS

    hw = tmp_path / "hw"
    shutil.copytree(METRICS, hw, ignore=shutil.ignore_patterns("__pycache__"))
    with open(hw / "assignment.toml", "a", encoding="utf-8") as fh:
        fh.write('\n[late]\ngrace = "15m"\npenalty = 0.1\ncap = 0.5\ncutoff = "7d"\n')
    due = dt.datetime(2030, 6, 30, 23, 59, tzinfo=dt.UTC)
    correct = (EXAMPLES / "correct" / "metrics.py").read_text()
    subs = tmp_path / "subs"
    (subs / "ada").mkdir(parents=True)
    (subs / "ada" / "metrics.py").write_text(correct)
    late_ada = (due + dt.timedelta(days=2, hours=3)).timestamp()  # 3 started days: -30
    os.utime(subs / "ada" / "metrics.py", (late_ada, late_ada))
    with zipfile.ZipFile(subs / "bob.zip", "w") as archive:  # 1 day 12 hours 1 minute late ...
        archive.writestr(zipfile.ZipInfo("metrics.py", (2030, 7, 2, 12, 0, 0)), correct)
    (subs / "cy").mkdir()
    (subs / "cy" / "metrics.py").write_text(correct)
    # ... but bob has 2 days more; cy's recorded time is 7 days 1 minute 1 second late: after the cutoff
    (subs / "submissions.csv").write_text("student,submitted_at\ncy,2030-07-08T00:00:01Z\n")
    roster = tmp_path / "roster.csv"
    roster.write_text("student,extension\nada,\nbob,2d\ncy,\n")
    out = tmp_path / "out"
    # now: after the due date, so the feedback shows the after_due_date test and the points
    summary = grade(hw, subs, out, roster=roster, limits=FAST_LIMITS, now=due + dt.timedelta(days=30))
    by = {r["student"]: r for r in summary.records}
    assert {s: (r["raw_score"], r["penalty"], r["score"]) for s, r in by.items()} == {
        "ada": (100, 30, 70), "bob": (100, 0, 100), "cy": (100, 100, 0)}
    assert by["ada"]["late_seconds"] == 2 * DAY + 3 * HOUR and by["ada"]["submitted_from"] == "file times"
    assert by["ada"]["submitted_at"] == "2030-07-03T02:59:00+00:00"
    assert by["bob"]["late_seconds"] == 0 and by["bob"]["submitted_from"] == "zip entry times"
    assert by["cy"]["submitted_from"] == "submissions.csv"
    feedback = (out / "feedback" / "ada.md").read_text()
    assert "**Score: 70 / 100** (100 before the late penalty)" in feedback
    assert ("Submitted 2 days 3 hours late (2030-07-03 02:59:00+00:00, from your newest file time): -30 points "
            "(10 % per day, capped at 50 %, score 0 after 7 days, 15 minutes of grace). Score 100 -> 70 / 100.") in feedback
    with open(out / "grades.csv", newline="") as fh:
        rows = {row["student"]: row for row in csv.DictReader(fh)}
    assert [(rows[s]["total"], rows[s]["raw_score"], rows[s]["late_penalty"]) for s in ("ada", "bob", "cy")] == \
        [("70.0", "100.0", "30.0"), ("100.0", "100.0", "0.0"), ("0.0", "100.0", "100.0")]
    assert "-30 (2d 3h)" in (out / "table.txt").read_text()

    # a copy resets ada's file time to today (before the due date): the regrade keeps the first time
    os.utime(subs / "ada" / "metrics.py", None)
    again = grade(hw, subs, out, roster=roster, limits=FAST_LIMITS, regrade=["ada"])
    assert again.graded == ["ada"] and sorted(again.skipped) == ["bob", "cy"]
    ada = {r["student"]: r for r in again.records}["ada"]
    assert ada["run_id"] == summary.run_id + 1
    assert (ada["raw_score"], ada["penalty"], ada["score"], ada["submitted_at"]) == \
        (100, 30, 70, "2030-07-03T02:59:00+00:00")

    capsys.readouterr()
    assert main(["export-grades", str(out), "--format", "csv", "--output", str(tmp_path / "e.csv")]) == 0
    assert "(3 students, csv, hw out of 100; 2 after a late penalty)" in capsys.readouterr().out
    with open(tmp_path / "e.csv", newline="") as fh:
        exported = {row["student"]: row for row in csv.DictReader(fh)}
    assert [(exported[s]["score"], exported[s]["raw_score"], exported[s]["late_penalty"]) for s in ("ada", "cy")] \
        == [("70", "100", "30"), ("0", "100", "100")]
