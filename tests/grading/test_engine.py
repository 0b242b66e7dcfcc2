"""grade(): the gradebook, resuming after Ctrl-C and kill -9, regrading, rosters, validation."""

import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from cnnlab.bench.grading import Gradebook, grade

from .conftest import EXAMPLES, FAST_LIMITS, REPO

CORRECT = (EXAMPLES / "correct" / "metrics.py").read_text()
BROKEN = (EXAMPLES / "broken_syntax" / "metrics.py").read_text()


def _class(folder, n, source=CORRECT):
    for i in range(n):
        (folder / f"s{i}").mkdir(parents=True, exist_ok=True)
        (folder / f"s{i}" / "metrics.py").write_text(source)
    return folder


def _rows(db_path):
    with sqlite3.connect(db_path) as db:
        subs = db.execute("SELECT run_id, student, status, score, graded_at FROM submissions").fetchall()
        counts = dict(db.execute("SELECT run_id || '/' || student, COUNT(*) FROM results GROUP BY run_id, student"))
    return subs, counts


def test_resume_regrade_changed_and_public_only(tmp_path):
    subs, out = _class(tmp_path / "subs", 2), tmp_path / "out"
    (subs / "s1" / "metrics.py").write_text(BROKEN)
    first = grade("metrics", subs, out, limits=FAST_LIMITS, write_reports=False)
    assert sorted(first.graded) == ["s0", "s1"] and first.skipped == []
    again = grade("metrics", subs, out, limits=FAST_LIMITS, write_reports=False)
    assert again.graded == [] and sorted(again.skipped) == ["s0", "s1"]
    assert {r["student"]: r["run_id"] for r in again.records} == {"s0": first.run_id, "s1": first.run_id}
    (subs / "s1" / "metrics.py").write_text(CORRECT)  # a resubmission is graded again
    fixed = grade("metrics", subs, out, limits=FAST_LIMITS, regrade=["s0"], write_reports=False)
    assert sorted(fixed.graded) == ["s0", "s1"]
    assert {r["student"]: r["score"] for r in fixed.records} == {"s0": 100, "s1": 100}
    public = grade("metrics", subs, out, limits=FAST_LIMITS, public_only=True, write_reports=False)
    assert sorted(public.graded) == ["s0", "s1"]  # a different scope is not "already graded"
    assert {r["max_score"] for r in public.records} == {40}  # the four public tests
    with Gradebook(out / "gradebook.db") as book:
        assert [r["status"] for r in book.runs()] == ["finished"] * 4
        history = book.db.execute("SELECT COUNT(*) FROM submissions WHERE student = 's0'").fetchone()[0]
    assert history == 3  # one row per submission and run that graded it


def test_roster_marks_missing_and_unknown(tmp_path):
    subs = _class(tmp_path / "subs", 1)
    roster = tmp_path / "roster.csv"
    roster.write_text("student,name\ns0,Ada\nzed,Zed Z.\n")
    summary = grade("metrics", subs, tmp_path / "out", roster=roster, limits=FAST_LIMITS)
    assert summary.missing == ["zed"] and summary.unknown == []
    status = {r["student"]: (r["status"], r["score"]) for r in summary.records}
    assert status == {"s0": ("graded", 100), "zed": ("missing", 0)}
    assert "s0 (Ada)" in summary.table()
    csv = (tmp_path / "out" / "grades.csv").read_text().splitlines()
    assert csv[0].startswith("student,name,") and csv[2].startswith("zed,Zed Z.,")
    roster.write_text("name\nnobody\n")
    with pytest.raises(ValueError, match="needs a 'student' \\(or 'id'\\) column"):
        grade("metrics", subs, tmp_path / "out", roster=roster)


@pytest.mark.parametrize("kwargs, message", [
    ({"jobs": 0}, "jobs must be a positive int"),
    ({"isolation": "docker"}, "isolation must be one of auto, bwrap, rlimits"),
    ({"regrade": ["nobody"]}, "--regrade: no submission for nobody; students: s0"),
    ({"limits": {"call_timeout": 1}}, "unknown limit"),
])
def test_bad_arguments_name_the_choices(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        grade("metrics", _class(tmp_path / "subs", 1), tmp_path / "out", **kwargs)


def _descendants(pid):
    found, stack = [], [pid]
    while stack:
        parent = stack.pop()
        try:
            for tid in os.listdir(f"/proc/{parent}/task"):
                with open(f"/proc/{parent}/task/{tid}/children") as fh:
                    kids = [int(k) for k in fh.read().split()]
                found += kids
                stack += kids
        except OSError:
            pass
    return found


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split()[2] != "Z"
    except OSError:
        return False


def _start_cli(subs, out):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.Popen([sys.executable, "-m", "cnnlab.bench.cli", "grade", "metrics", str(subs), "--out", str(out),
                             "--quiet"], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)


def _wait_graded(db_path, n, proc, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if db_path.exists():
            try:
                with sqlite3.connect(db_path, timeout=5) as db:
                    if db.execute("SELECT COUNT(*) FROM submissions").fetchone()[0] >= n:
                        return
            except sqlite3.OperationalError:
                pass
        assert proc.poll() is None, proc.stderr.read()
        time.sleep(0.1)
    raise AssertionError("nothing was graded in time")


@pytest.mark.parametrize("how", ["ctrl-c", "kill -9"])
def test_interrupted_grading_resumes_without_losing_anything(tmp_path, how):
    subs, out = _class(tmp_path / "subs", 4), tmp_path / "out"
    proc = _start_cli(subs, out)
    _wait_graded(out / "gradebook.db", 1, proc)
    family = _descendants(proc.pid)
    if how == "ctrl-c":
        os.kill(proc.pid, signal.SIGINT)
        assert proc.wait(timeout=60) == 130
        assert b"interrupted" in proc.stderr.read()
    else:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
    deadline = time.monotonic() + 20
    while any(_alive(p) for p in family) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [p for p in family if _alive(p)], "grader children or workers outlived the grader"
    before, counts = _rows(out / "gradebook.db")
    assert 1 <= len(before) < 4
    assert all(counts[f"{run}/{student}"] == 9 for run, student, *_ in before)  # no half-written student
    summary = grade("metrics", subs, out, limits=FAST_LIMITS, jobs=2, write_reports=False)
    done = {s for _, s, *_ in before}
    assert set(summary.skipped) == done and set(summary.graded) == {"s0", "s1", "s2", "s3"} - done
    after, _ = _rows(out / "gradebook.db")
    assert set(before) <= set(after)  # the earlier rows are untouched
    leftovers = list(Path(tempfile.gettempdir()).glob(f"cnnlab-grade-{proc.pid}-*"))
    assert leftovers == []  # the killed run's scratch folder is removed by the next run
    assert all(r["score"] == 100 for r in summary.records) and len(summary.records) == 4
