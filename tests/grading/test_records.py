"""The grading records (``cnnlab.bench.grading.records``): their JSON round trip and schema
check, the gradebook's columns derived from them, and a grader child run from one job file."""

import dataclasses
import json
import os
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from cnnlab.bench.grading.gradebook import Gradebook
from cnnlab.bench.grading.records import (
    RESULTS_SCHEMA,
    SCHEMA_VERSION,
    GradingJob,
    SubmissionResult,
    TestResult,
)
from cnnlab.errors import UsageError


def _test(name="test_a", points=1.0, **kw):
    return TestResult(test=name, number="1", file="test_pub.py", points=points, max_points=2.0,
                      status="partial", visibility="visible", **kw)


def _submission(**kw):
    fields = dict(student="ada", status="graded", score=1.0, max_score=2.0, isolation="rlimits",
                  leaderboard=({"name": "f1", "value": 0.5, "order": "desc"},),
                  tests=(_test(), _test("test_b", 0.0, message="wrong\nresult")))
    return SubmissionResult(**{**fields, **kw})


def _names(cls):
    return [f.name for f in dataclasses.fields(cls)]


def test_json_round_trip_keeps_every_field():
    record = _submission(submitted_at="2030-01-31T23:59:00+00:00", late_seconds=60.0)
    data = json.loads(json.dumps(record.to_json()))  # through real JSON text
    assert list(data) == ["schema", *_names(SubmissionResult)]
    assert data["schema"] == f"cnnlab.grading.submission/{SCHEMA_VERSION}"
    assert list(data["tests"][0]) == _names(TestResult)  # nested: no schema of its own
    assert SubmissionResult.from_json(data) == record
    job = GradingJob(assignment="/a", source="/s", results="/r.json", limits={"call_timeout_s": 2},
                     layers=("seccomp",), files=("mod.py",))
    assert GradingJob.from_json(json.loads(json.dumps(job.to_json()))) == job


def test_no_late_policy_by_default():
    record = SubmissionResult(student="ada", status="graded", score=3.0)
    assert (record.submitted_at, record.late_seconds, record.penalty, record.raw_score) == (
        None, 0.0, 0.0, None)


@pytest.mark.parametrize("change, message", [
    ({"schema": "cnnlab.grading.submission/2"}, "schema 'cnnlab.grading.submission/2' is not the one"),
    ({"schema": "cnnlab.grading.test/1"}, "schema 'cnnlab.grading.test/1' is not the one"),
    ({"scroe": 1.0}, "unknown field\\(s\\) scroe; fields: run_id, assignment, student"),
])
def test_from_json_refuses_other_schemas_and_fields(change, message):
    with pytest.raises(UsageError, match=message):
        SubmissionResult.from_json({**_submission().to_json(), **change})


def test_from_json_names_a_missing_field(tmp_path):
    with pytest.raises(UsageError, match="missing field\\(s\\) status"):
        SubmissionResult.from_json({"student": "ada"})
    path = tmp_path / "job.json"
    path.write_text(json.dumps({"schema": "cnnlab.grading.job/99", "assignment": "/a"}))
    with pytest.raises(UsageError, match="GradingJob: schema 'cnnlab.grading.job/99'"):
        GradingJob.read(path)


def test_gradebook_columns_are_the_record_fields(tmp_path):
    with Gradebook(tmp_path / "gradebook.db") as book:
        columns = {table: [r[1] for r in book.db.execute(f"PRAGMA table_info({table})")]
                   for table in ("submissions", "results")}
    assert columns["submissions"] == [n for n in _names(SubmissionResult) if n != "tests"]
    assert columns["results"] == ["run_id", "student", *_names(TestResult)]


def test_gradebook_stores_and_returns_the_record(tmp_path):
    record = _submission(submitted_at="2030-02-01T10:00:00+00:00", late_seconds=36060.0,
                         penalty=10.0, raw_score=11.0)
    with Gradebook(tmp_path / "gradebook.db") as book:
        run = book.start_run("adding", isolation="rlimits", options={})
        written = book.record(run, "adding", record)
        (back,) = book.results("adding")
        (as_dict,) = book.latest("adding")
    assert back == written == record.replace(run_id=run, assignment="adding",
                                              graded_at=written.graded_at)
    # the reports' dicts: the record's JSON, each test with its row's keys in the gradebook
    assert {k: v for k, v in as_dict.items() if k != "tests"} == {
        k: v for k, v in written.to_json().items() if k != "tests"}
    assert as_dict["tests"][1] == {"run_id": run, "student": "ada", **written.tests[1].to_json(schema=False)}


def test_an_old_gradebook_gains_the_new_columns(tmp_path):
    """A gradebook of cnnlab 0.2.0 (its tables as that version created them) is read and
    written after the columns of newer fields are added."""
    path = tmp_path / "gradebook.db"
    db = sqlite3.connect(path)
    db.executescript("""
        CREATE TABLE runs (run_id INTEGER PRIMARY KEY AUTOINCREMENT, assignment TEXT NOT NULL,
            started_at TEXT NOT NULL, finished_at TEXT, status TEXT NOT NULL DEFAULT 'running',
            isolation TEXT, options TEXT);
        CREATE TABLE submissions (run_id INTEGER NOT NULL, assignment TEXT NOT NULL, student TEXT
            NOT NULL, scope TEXT NOT NULL, source TEXT, digest TEXT, status TEXT NOT NULL, score REAL
            NOT NULL, max_score REAL NOT NULL, isolation TEXT, wall_s REAL, cpu_s REAL, student_s
            REAL, worker_start_s REAL, message TEXT, graded_at TEXT NOT NULL, leaderboard TEXT,
            grader_digest TEXT, grader_mib REAL, PRIMARY KEY (run_id, student));
        CREATE TABLE results (run_id INTEGER NOT NULL, student TEXT NOT NULL, test TEXT NOT NULL,
            number TEXT, file TEXT, description TEXT, points REAL NOT NULL, max_points REAL NOT NULL,
            status TEXT NOT NULL, message TEXT, output TEXT, visibility TEXT NOT NULL, duration_s
            REAL, student_s REAL, PRIMARY KEY (run_id, student, test));
        INSERT INTO runs (assignment, started_at) VALUES ('adding', '2026-01-01T00:00:00+00:00');
        INSERT INTO submissions (run_id, assignment, student, scope, status, score, max_score,
            message, graded_at) VALUES (1, 'adding', 'old', 'all', 'graded', 2, 2, NULL,
            '2026-01-01T00:00:00+00:00');
        INSERT INTO results (run_id, student, test, points, max_points, status, visibility)
            VALUES (1, 'old', 'test_a', 2, 2, 'passed', 'visible');
    """)
    db.close()
    with Gradebook(path) as book:
        book.record(1, "adding", _submission())
        new, old = book.results("adding")  # by student: ada, old
    assert (old.student, old.score, old.message, old.leaderboard, old.penalty) == ("old", 2.0, "", (), 0.0)
    assert old.tests == (TestResult(test="test_a", points=2.0, max_points=2.0, status="passed",
                                    visibility="visible"),)
    assert new.tests == _submission().tests and new.leaderboard == _submission().leaderboard


TOML = """
[assignment]
title = "Adding"
points = 3
files = ["mod.py"]

[limits]
call_timeout_s = 5
"""
PUBLIC = '''
import pytest

@pytest.mark.points(2)
def test_add(student):
    """Adds two numbers."""
    assert student.mod.add(1, 2) == 3
'''
HIDDEN = '''
def test_sub(student):
    assert student.mod.add(1, -1) == 1
'''


@pytest.fixture
def adding(tmp_path):
    root = tmp_path / "adding"
    for rel, text in {"assignment.toml": TOML, "solution/mod.py": "def add(a, b):\n    return a + b\n",
                      "tests/public/test_pub.py": PUBLIC, "tests/hidden/test_hid.py": HIDDEN}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(textwrap.dedent(text))
    return root


def _runner(job_file, cwd):
    """A grader child as ``cnnlab grade`` starts it: the runner with one job file."""
    return subprocess.run([sys.executable, "-P", "-m", "cnnlab.bench.grading.runner", str(job_file)],
                          cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("public_only, expected", [
    (False, {"test_add": (2.0, 2.0, "passed"), "test_sub": (0.0, 1.0, "failed")}),
    (True, {"test_add": (2.0, 2.0, "passed")}),
])
def test_a_grader_child_runs_from_one_job_file(adding, tmp_path, public_only, expected):
    # expected: by hand, from the solution (add(1, -1) is 0, not 1) and the points markers
    job = GradingJob(assignment=str(adding), source=str(adding / "solution"),
                     results=str(tmp_path / "results.json"), isolation="rlimits",
                     scratch=str(tmp_path / "sandbox"), public_only=public_only)
    done = _runner(job.write(tmp_path / "job.json"), tmp_path)
    assert done.returncode == (0 if public_only else 1), done.stdout + done.stderr
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["schema"] == RESULTS_SCHEMA and data["worker_starts"] == 1
    tests = [TestResult.from_json(r) for r in data["records"]]
    assert {t.test: (t.points, t.max_points, t.status) for t in tests} == expected
    assert tests[0].description == "Adds two numbers."


def test_a_job_file_is_not_combined_with_the_hand_options(adding, tmp_path):
    job = GradingJob(assignment=str(adding), results=str(tmp_path / "results.json")).write(tmp_path / "job.json")
    env = dict(os.environ, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "cnnlab.bench.plugin", "-p", "no:cacheprovider",
                           "tests", "--cnnlab-job", str(job), "--cnnlab-public-only"],
                          cwd=adding, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 4
    assert "--cnnlab-job carries the whole job; leave out --cnnlab-public-only" in done.stderr
    job.write_text(json.dumps({"schema": "cnnlab.grading.job/2", "assignment": str(adding)}))
    done = _runner(job, tmp_path)
    assert done.returncode != 0 and not (tmp_path / "results.json").exists()
    assert "schema 'cnnlab.grading.job/2' is not the one this cnnlab reads" in done.stderr
