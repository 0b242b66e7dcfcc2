"""The SQLite gradebook: runs, one row per submission and run, one row per test, submission and run.

Only the grading process writes it, one transaction per submission, so an interrupted run (Ctrl-C,
``kill -9``) leaves every submission either fully recorded or absent; the next run grades what
is absent. Nothing from student code reaches it except through the trusted grader's records.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id INTEGER PRIMARY KEY AUTOINCREMENT,
    assignment TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL DEFAULT 'running',   -- running, finished, interrupted, failed
    isolation TEXT,
    options TEXT                              -- JSON
);
CREATE TABLE IF NOT EXISTS submissions (
    run_id INTEGER NOT NULL REFERENCES runs(run_id),
    assignment TEXT NOT NULL,
    student TEXT NOT NULL,
    scope TEXT NOT NULL,                      -- all or public
    source TEXT,
    digest TEXT,
    status TEXT NOT NULL,                     -- graded, error, missing
    score REAL NOT NULL,
    max_score REAL NOT NULL,
    isolation TEXT,
    wall_s REAL,
    cpu_s REAL,
    student_s REAL,
    worker_start_s REAL,
    message TEXT,
    graded_at TEXT NOT NULL,
    leaderboard TEXT,                         -- JSON list of {name, value, order}
    grader_digest TEXT,                       -- the assignment's tests and limits (engine.grader_digest)
    grader_mib REAL,                          -- peak resident memory of the trusted grader child
    PRIMARY KEY (run_id, student)
);
CREATE TABLE IF NOT EXISTS results (
    run_id INTEGER NOT NULL,
    student TEXT NOT NULL,
    test TEXT NOT NULL,
    number TEXT,
    file TEXT,
    description TEXT,
    points REAL NOT NULL,
    max_points REAL NOT NULL,
    status TEXT NOT NULL,                     -- passed, partial, failed, error, skipped
    message TEXT,
    output TEXT,
    visibility TEXT NOT NULL,
    duration_s REAL,
    student_s REAL,
    PRIMARY KEY (run_id, student, test),
    FOREIGN KEY (run_id, student) REFERENCES submissions(run_id, student)
);
CREATE INDEX IF NOT EXISTS submissions_by_student ON submissions(assignment, student, run_id);
"""

_TEST_FIELDS = ("test", "number", "file", "description", "points", "max_points", "status",
                "message", "output", "visibility", "duration_s", "student_s")


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class Gradebook:
    """A gradebook file (created on first use).

    Parameters
    ----------
    path : str or Path
        The SQLite file, conventionally ``OUT/gradebook.db``.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.executescript(SCHEMA)
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(submissions)")}
        added = {"leaderboard": "TEXT", "grader_digest": "TEXT", "grader_mib": "REAL"}
        for column, kind in added.items():  # a gradebook written before they existed
            if column not in columns:
                self.db.execute(f"ALTER TABLE submissions ADD COLUMN {column} {kind}")

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Gradebook:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ----------------------------------------------------------------- runs

    def start_run(self, assignment: str, *, isolation: str, options: dict) -> int:
        cur = self.db.execute(
            "INSERT INTO runs (assignment, started_at, isolation, options) VALUES (?, ?, ?, ?)",
            (assignment, _now(), isolation, json.dumps(options, sort_keys=True)))
        return int(cur.lastrowid)

    def finish_run(self, run_id: int, status: str = "finished") -> None:
        self.db.execute("UPDATE runs SET finished_at = ?, status = ? WHERE run_id = ?",
                        (_now(), status, run_id))

    def close_dead_runs(self) -> int:
        """Mark runs still ``running`` as ``interrupted``; call only while holding the lock of
        the output folder (then no live run can be ``running``). Returns how many."""
        cur = self.db.execute("UPDATE runs SET status = 'interrupted' WHERE status = 'running'")
        return cur.rowcount

    def runs(self) -> list[dict]:
        return [dict(r) for r in self.db.execute("SELECT * FROM runs ORDER BY run_id")]

    # ----------------------------------------------------------------- submissions

    def record(self, run_id: int, assignment: str, submission: dict, tests: list[dict]) -> None:
        """Write one submission and its tests in one transaction (all or nothing)."""
        row = dict(submission)
        with self._transaction():
            self.db.execute(
                "INSERT OR REPLACE INTO submissions (run_id, assignment, student, scope, source, digest, "
                "status, score, max_score, isolation, wall_s, cpu_s, student_s, worker_start_s, message, graded_at, "
                "leaderboard, grader_digest, grader_mib) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (run_id, assignment, row["student"], row.get("scope", "all"), row.get("source"),
                 row.get("digest"), row["status"], float(row.get("score", 0.0)),
                 float(row.get("max_score", 0.0)), row.get("isolation"), row.get("wall_s"),
                 row.get("cpu_s"), row.get("student_s"), row.get("worker_start_s"), row.get("message", ""), _now(),
                 json.dumps(row.get("leaderboard") or []), row.get("grader_digest"), row.get("grader_mib")))
            self.db.execute("DELETE FROM results WHERE run_id = ? AND student = ?",
                            (run_id, row["student"]))
            self.db.executemany(
                f"INSERT INTO results (run_id, student, {', '.join(_TEST_FIELDS)}) "
                f"VALUES (?, ?, {', '.join('?' * len(_TEST_FIELDS))})",
                [(run_id, row["student"], *(t.get(f) for f in _TEST_FIELDS)) for t in tests])

    def _transaction(self):
        db = self.db

        class _Tx:
            def __enter__(self_inner):
                db.execute("BEGIN IMMEDIATE")

            def __exit__(self_inner, kind, exc, tb):
                db.execute("COMMIT" if kind is None else "ROLLBACK")
                return False

        return _Tx()

    def latest(self, assignment: str, *, students: list[str] | None = None) -> list[dict]:
        """The newest record of each student for ``assignment``, with its tests.

        Returns
        -------
        list of dict
            One record per student (sorted): the submission's columns plus ``tests``, a list
            of test rows in test order. This is the record the ``reports`` renderers take.
        """
        rows = self.db.execute(
            "SELECT s.* FROM submissions s JOIN (SELECT student, MAX(run_id) AS run_id "
            "FROM submissions WHERE assignment = ? GROUP BY student) last "
            "ON s.student = last.student AND s.run_id = last.run_id "
            "WHERE s.assignment = ? ORDER BY s.student", (assignment, assignment)).fetchall()
        records = []
        for row in rows:
            if students is not None and row["student"] not in students:
                continue
            record = dict(row)
            record["leaderboard"] = json.loads(record.get("leaderboard") or "[]")
            tests = self.db.execute(
                "SELECT * FROM results WHERE run_id = ? AND student = ?",
                (row["run_id"], row["student"])).fetchall()
            record["tests"] = sorted((dict(t) for t in tests), key=_test_order)
            records.append(record)
        return records

    def graded(self, assignment: str) -> dict[str, dict]:
        """student -> newest submission row (without tests), for deciding what to grade."""
        return {r["student"]: r for r in self.latest(assignment)}


def _test_order(test: dict):
    number = test.get("number") or ""
    return (int(number) if number.isdigit() else 10**9, test["test"])
