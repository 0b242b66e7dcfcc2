"""A lost Dask scheduler in the middle of a class (issue 17): the scheduler is its own process
and is killed with SIGKILL while the client grades. The client must end with one clear line and a
non-zero exit, the gradebook must hold each submission graded before the loss exactly once (and no
half-written one), and rerunning the same command on a new scheduler grades only what is missing,
with the totals of local grading."""

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

pytest.importorskip("distributed")

from cnnlab.bench.grading import grade

from .conftest import EXAMPLES

# student -> the bundled example they hand in; six, so that the loss falls mid-class
CLASS = {"correct": "correct", "partial_macro": "partial_macro",
         "missing_function": "missing_function", "broken_syntax": "broken_syntax",
         "correct_copy": "correct", "partial_copy": "partial_macro"}
STUDENTS = tuple(CLASS)


def _rows(out):
    db = sqlite3.connect(out / "gradebook.db")
    try:
        return db.execute("SELECT run_id, student, status, score FROM submissions "
                          "ORDER BY run_id, student").fetchall()
    finally:
        db.close()


def _graded_yet(out) -> bool:
    """Whether the client has recorded a submission (the file exists a moment before its tables)."""
    try:
        return (out / "gradebook.db").exists() and bool(_rows(out))
    except sqlite3.OperationalError:
        return False


def _runs(out):
    db = sqlite3.connect(out / "gradebook.db")
    try:
        return [r[0] for r in db.execute("SELECT status FROM runs ORDER BY run_id")]
    finally:
        db.close()


class _Cluster:
    """A scheduler and one worker, each a process of its own (so the scheduler can be killed)."""

    def __init__(self, folder):
        folder.mkdir()
        self.folder, self.file = folder, folder / "scheduler.json"
        self.scheduler = self._start("scheduler", "--host", "127.0.0.1", "--port", "0",
                                     "--dashboard-address", "127.0.0.1:0", "--scheduler-file", str(self.file))
        deadline = time.monotonic() + 60
        while not self.file.exists() or not self.file.read_text().strip():
            assert time.monotonic() < deadline and self.scheduler.poll() is None, self.logs()
            time.sleep(0.2)
        self.address = json.loads(self.file.read_text())["address"]
        self.worker = self._start("worker", "--scheduler-file", str(self.file), "--nworkers", "1",
                                  "--nthreads", "1", "--memory-limit", "0", "--death-timeout", "10")

    def _start(self, role, *args):
        with open(self.folder / f"{role}.log", "wb") as log:
            return subprocess.Popen([sys.executable, "-m", "dask", role, *args], stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True)

    def logs(self) -> str:
        """The end of each process's log, for a failure's message."""
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-2000:]}"
                         for p in sorted(self.folder.glob("*.log")))

    def kill_scheduler(self):
        os.killpg(self.scheduler.pid, signal.SIGKILL)
        self.scheduler.wait()

    def close(self):
        for proc in (self.worker, self.scheduler):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()


@pytest.fixture()
def klass(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    for student, example in CLASS.items():
        shutil.copytree(EXAMPLES / example, folder / student)
    return folder


def test_lost_scheduler_keeps_the_gradebook_and_a_rerun_grades_the_rest(klass, tmp_path):
    out = tmp_path / "out"
    local = grade("metrics", klass, tmp_path / "local", jobs=2, write_reports=False)
    local_totals = {r["student"]: (r["status"], round(r["score"], 6)) for r in local.records}
    assert local_totals["correct_copy"] == ("graded", 100)  # the comparison compares something

    first_cluster = _Cluster(tmp_path / "first")
    command = [sys.executable, "-m", "cnnlab.bench", "grade", "metrics", str(klass), "--out",
               str(out), "--scheduler", first_cluster.address, "--quiet"]
    try:
        client = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True, start_new_session=True)
        deadline = time.monotonic() + 240
        while not _graded_yet(out):
            assert time.monotonic() < deadline, "nothing was graded\n" + first_cluster.logs()
            assert client.poll() is None, client.stdout.read() + first_cluster.logs()
            time.sleep(0.1)
        first_cluster.kill_scheduler()
        try:  # the client waits 30 s for the scheduler to come back
            said, _ = client.communicate(timeout=180)
        except subprocess.TimeoutExpired:
            os.killpg(client.pid, signal.SIGKILL)
            raise AssertionError("the client did not end after losing its scheduler") from None
    finally:
        first_cluster.close()

    assert client.returncode not in (0, None), said
    assert "Traceback" not in said, said
    assert "cnnlab grade: error: the Dask scheduler was lost while grading; rerun the same command" in said
    before = _rows(out)
    graded_before = [student for _, student, _, _ in before]
    assert 1 <= len(graded_before) < len(STUDENTS), said
    assert len(set(graded_before)) == len(graded_before)  # nothing recorded twice
    for _, student, status, score in before:  # what was recorded is what local grading gives
        assert (status, round(score, 6)) == local_totals[student]
    assert _runs(out)[-1] in ("failed", "interrupted")  # never "finished"

    second_cluster = _Cluster(tmp_path / "second")
    try:
        command[command.index("--scheduler") + 1] = second_cluster.address
        done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    finally:
        second_cluster.close()
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"already graded {len(graded_before)}," in done.stdout
    after = _rows(out)
    regraded = [student for run, student, _, _ in after if run != before[0][0]]
    assert sorted(graded_before + regraded) == sorted(STUDENTS)  # only what was missing
    assert {s: (st, round(sc, 6)) for _, s, st, sc in after} == local_totals
    assert _runs(out)[-1] == "finished"
