"""The SQLite gradebook: runs, one row per submission and run, one row per test, submission and run.

Only the grading process writes it, one transaction per submission, so an interrupted run (Ctrl-C,
``kill -9``) leaves every submission either fully recorded or absent; the next run grades what
is absent. Nothing from student code reaches it except through the trusted grader's records.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path

from .records import SubmissionResult, TestResult, field_types

_RUNS = """
CREATE TABLE IF NOT EXISTS runs (
    run_id INTEGER PRIMARY KEY AUTOINCREMENT,
    assignment TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL DEFAULT 'running',   -- running, finished, interrupted, failed
    isolation TEXT,
    options TEXT                              -- JSON
);
"""
_SQL_TYPES = {str: "TEXT", int: "INTEGER", float: "REAL", bool: "INTEGER"}  # any other: JSON text
# The gradebook's own constraints on the fields it fills in (run_id, graded_at, assignment).
_KEYS = {"run_id": "NOT NULL REFERENCES runs(run_id)", "assignment": "NOT NULL",
         "graded_at": "NOT NULL"}


def _column(name: str, kind: type, optional: bool, default) -> str:
    """The SQL declaration of a record field's column: its type from the field's, ``NOT NULL``
    where the field cannot be None, with the field's default (so that the column can be added
    to a gradebook written before the field existed)."""
    if kind not in _SQL_TYPES:
        return f"{name} TEXT"  # JSON
    declaration = f"{name} {_SQL_TYPES[kind]}"
    if name in _KEYS:
        return f"{declaration} {_KEYS[name]}"
    if isinstance(default, (str, int, float)) and not optional:
        literal = "'" + default.replace("'", "''") + "'" if isinstance(default, str) else repr(+default)
        return f"{declaration} NOT NULL DEFAULT {literal}"
    return declaration if optional or default is not dataclasses.MISSING else f"{declaration} NOT NULL"


def _columns(cls, *, skip=()) -> dict[str, str]:
    """Column name -> SQL declaration, one per field of the record class ``cls``."""
    defaults = {f.name: f.default for f in dataclasses.fields(cls)}
    return {name: _column(name, kind, optional, defaults[name])
            for name, (kind, optional) in field_types(cls).items() if name not in skip}


#: The columns of the ``submissions`` table: every field of SubmissionResult but its tests.
SUBMISSION_COLUMNS = _columns(SubmissionResult, skip=("tests",))
#: The columns of the ``results`` table after its keys (run_id, student): every field of TestResult.
TEST_COLUMNS = _columns(TestResult)
_JSON = {name for cls in (SubmissionResult, TestResult)
         for name, (kind, _) in field_types(cls).items() if kind not in _SQL_TYPES}

_LINES = ",\n    "
SCHEMA = _RUNS + f"""
CREATE TABLE IF NOT EXISTS submissions (
    {_LINES.join(SUBMISSION_COLUMNS.values())},
    PRIMARY KEY (run_id, student)
);
CREATE TABLE IF NOT EXISTS results (
    run_id INTEGER NOT NULL,
    student TEXT NOT NULL,
    {_LINES.join(TEST_COLUMNS.values())},
    PRIMARY KEY (run_id, student, test),
    FOREIGN KEY (run_id, student) REFERENCES submissions(run_id, student)
);
CREATE INDEX IF NOT EXISTS submissions_by_student ON submissions(assignment, student, run_id);
"""


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _sql_value(name: str, value):
    return json.dumps(value) if name in _JSON else value


def _from_row(cls, row: dict, **extra):
    """The record of a table row: JSON columns decoded, a NULL where the field cannot be None
    (a row written before the column existed) left to the field's default."""
    kinds = field_types(cls)
    data = {}
    for name, (_, optional) in kinds.items():
        if name not in row:
            continue
        value = row[name]
        if value is None and not optional:
            continue
        data[name] = json.loads(value) if name in _JSON and isinstance(value, str) else value
    return cls.from_json({**data, **extra})


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
        for table, columns in (("submissions", SUBMISSION_COLUMNS), ("results", TEST_COLUMNS)):
            have = {row[1] for row in self.db.execute(f"PRAGMA table_info({table})")}
            for name, declaration in columns.items():  # a gradebook written before they existed
                if name not in have:
                    self.db.execute(f"ALTER TABLE {table} ADD COLUMN {declaration}")

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

    def record(self, run_id: int, assignment: str, submission: SubmissionResult | Mapping,
               tests: Sequence[TestResult | Mapping] | None = None) -> SubmissionResult:
        """Write one submission and its tests in one transaction (all or nothing).

        Parameters
        ----------
        run_id : int
        assignment : str
        submission : SubmissionResult or dict
            A dict is read with :meth:`SubmissionResult.from_json` (it needs ``student`` and
            ``status``).
        tests : list of TestResult or dict, optional
            The tests, where ``submission`` does not carry them.

        Returns
        -------
        SubmissionResult
            What was written, with its ``run_id``, ``assignment`` and ``graded_at``.
        """
        if not isinstance(submission, SubmissionResult):
            submission = SubmissionResult.from_json(dict(submission))
        changes = {"run_id": run_id, "assignment": assignment, "graded_at": _now()}
        if tests is not None:
            changes["tests"] = tuple(t if isinstance(t, TestResult) else TestResult.from_json(dict(t))
                                     for t in tests)
        result = submission.replace(**changes)
        names, tests_names = list(SUBMISSION_COLUMNS), list(TEST_COLUMNS)
        with self._transaction():
            self.db.execute(
                f"INSERT OR REPLACE INTO submissions ({', '.join(names)}) "
                f"VALUES ({', '.join('?' * len(names))})",
                [_sql_value(n, getattr(result, n)) for n in names])
            self.db.execute("DELETE FROM results WHERE run_id = ? AND student = ?",
                            (run_id, result.student))
            self.db.executemany(
                f"INSERT INTO results (run_id, student, {', '.join(tests_names)}) "
                f"VALUES (?, ?, {', '.join('?' * len(tests_names))})",
                [(run_id, result.student, *(_sql_value(n, getattr(t, n)) for n in tests_names))
                 for t in result.tests])
        return result

    def _transaction(self):
        db = self.db

        class _Tx:
            def __enter__(self_inner):
                db.execute("BEGIN IMMEDIATE")

            def __exit__(self_inner, kind, exc, tb):
                db.execute("COMMIT" if kind is None else "ROLLBACK")
                return False

        return _Tx()

    def results(self, assignment: str, *, students: list[str] | None = None) -> list[SubmissionResult]:
        """The newest result of each student for ``assignment``, with its tests (sorted by
        student; tests in test order)."""
        rows = self.db.execute(
            "SELECT s.* FROM submissions s JOIN (SELECT student, MAX(run_id) AS run_id "
            "FROM submissions WHERE assignment = ? GROUP BY student) last "
            "ON s.student = last.student AND s.run_id = last.run_id "
            "WHERE s.assignment = ? ORDER BY s.student", (assignment, assignment)).fetchall()
        found = []
        for row in rows:
            if students is not None and row["student"] not in students:
                continue
            tests = self.db.execute("SELECT * FROM results WHERE run_id = ? AND student = ?",
                                    (row["run_id"], row["student"])).fetchall()
            tests = sorted((_from_row(TestResult, dict(t)) for t in tests), key=_test_order)
            found.append(_from_row(SubmissionResult, dict(row), tests=tests))
        return found

    def latest(self, assignment: str, *, students: list[str] | None = None) -> list[dict]:
        """:meth:`results` as the dicts the ``reports`` renderers take.

        Returns
        -------
        list of dict
            One :meth:`SubmissionResult.to_json` per student; each of its tests carries the
            gradebook's keys of its row too (``run_id``, ``student``).
        """
        records = []
        for result in self.results(assignment, students=students):
            record = result.to_json()
            record["tests"] = [{"run_id": result.run_id, "student": result.student, **test}
                               for test in record["tests"]]
            records.append(record)
        return records

    def graded(self, assignment: str) -> dict[str, SubmissionResult]:
        """student -> newest result, for deciding what to grade."""
        return {r.student: r for r in self.results(assignment)}


def _test_order(test: TestResult):
    return (int(test.number) if test.number.isdigit() else 10**9, test.test)
