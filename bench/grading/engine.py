"""``grade()``: grade a class of submissions into a gradebook and render the reports.

The process that calls :func:`grade` is the only writer of the gradebook. Per submission it
starts a trusted grader child (:mod:`cnnlab.bench.grading.runner`), which runs the assignment's pytest
tests; the child's tests reach the student's code only through the sandboxed worker. ``jobs``
children run at once. A submission already in the gradebook with the same content is not graded
again (resume after an interruption); ``regrade`` forces chosen students.
"""

from __future__ import annotations

import concurrent.futures as futures
import csv
import datetime as dt
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import assignment as assignments
from . import sandbox, submissions, teams
from .gradebook import Gradebook

MISSING_FILE = "missing file"  # the isolation of a submission without its required file
_PYTEST_EXIT = {2: "interrupted (an error while collecting the tests?)", 3: "internal error",
                4: "usage error", 5: "no tests collected"}


@dataclass
class Summary:
    """What :func:`grade` did.

    Attributes
    ----------
    run_id : int
        The gradebook's run.
    assignment : str
    out : Path
    isolation : str
        The sandbox layers of the workers of this run (several, comma-separated, if they differed).
    graded, skipped, errors, missing, unknown : list of str
        Students graded now; already graded with the same submission (skipped); whose grading
        failed for a reason other than their code; on the roster without a submission; with a
        submission but not on the roster.
    wall_s : float
        Wall time of this run.
    records : list of dict
        The newest gradebook record of every student (what the reports render).
    reports : dict
        Report name -> path written.
    warnings : list of str
    names : dict
        student -> name, from the roster.
    """

    run_id: int
    assignment: str
    out: Path
    isolation: str = ""
    graded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    wall_s: float = 0.0
    records: list[dict] = field(default_factory=list)
    reports: dict[str, Path] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)
    teams: list[dict] = field(default_factory=list)  # bench.grading.teams.team_view, with a team roster

    def table(self, **kwargs) -> str:
        """The terminal table of the records (see :func:`cnnlab.reports.grading.table`)."""
        from cnnlab.reports import grading as report

        kwargs.setdefault("names", self.names or None)
        return report.table(self.records, **kwargs)

    def team_table(self, **kwargs) -> str:
        """The teams with their scores and members (see :func:`cnnlab.reports.teams.team_table`)."""
        from cnnlab.reports import teams as report

        return report.team_table(self.teams, **kwargs)


def read_roster(path: str | Path) -> dict[str, str]:
    """student -> display name, from a CSV with a ``student`` (or ``id``) column and an
    optional ``name`` column.

    Raises
    ------
    ValueError
        If the file is missing or has no ``student``/``id`` column.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"roster {str(path)!r} does not exist")
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        columns = [c.strip().lower() for c in reader.fieldnames or []]
        key = next((c for c in ("student", "student_id", "id") if c in columns), None)
        if key is None:
            raise ValueError(f"roster {path.name}: needs a 'student' (or 'id') column; 'student_id' "
                             f"works too; found {columns}")
        roster = {}
        for row in reader:
            row = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
            if row.get(key):
                roster[submissions.student_id(row[key])] = row.get("name", "")
    return roster


class _Server:
    """One ``runner --serve`` process: it forks a fresh grader child per submission."""

    def __init__(self):
        env = dict(os.environ)
        env.update(PYTEST_DISABLE_PLUGIN_AUTOLOAD="1",
                   PYTHONDONTWRITEBYTECODE="1", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
                   MKL_NUM_THREADS="1")  # no BLAS threads in a process that forks
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        # -P: the working folder (perhaps a submission's own) is never on the trusted grader's path
        self.proc = subprocess.Popen([sys.executable, "-P", "-m", "cnnlab.bench.grading.runner", "--serve"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
                                     start_new_session=True)
        self.child: int | None = None
        self._buffer = b""

    def _line(self, timeout: float | None) -> dict | None:
        fd = self.proc.stdout.fileno()
        deadline = None if timeout is None else time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = None if deadline is None else max(deadline - time.monotonic(), 0)
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                raise RuntimeError("the grader server stopped")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return json.loads(line)

    def run(self, job_file: Path, log_file: Path, timeout_s: float) -> int | None:
        """Grade one job; its exit status, or None if it ran past ``timeout_s`` (and was killed)."""
        self.proc.stdin.write((json.dumps({"job": str(job_file), "log": str(log_file)}) + "\n").encode())
        self.proc.stdin.flush()
        self.child = self._line(60)["pid"]
        try:
            done = self._line(timeout_s)
            if done is None:
                _kill_group(self.child)
                self._line(None)
                return None
            return done["exit"]
        finally:
            self.child = None

    def stop(self) -> None:
        if self.child is not None:
            _kill_group(self.child)
        _kill_group(self.proc.pid)
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass


class _Children:
    """The grader servers, one per job slot, so that an interruption can stop them all."""

    def __init__(self):
        self.lock, self.idle, self.all, self.stopping = threading.Lock(), [], [], False

    def take(self) -> _Server:
        with self.lock:
            if self.stopping:
                raise KeyboardInterrupt
            if self.idle:
                return self.idle.pop()
            server = _Server()
            self.all.append(server)
            return server

    def give_back(self, server: _Server) -> None:
        with self.lock:
            self.idle.append(server)

    def discard(self, server: _Server) -> None:
        server.stop()
        with self.lock:
            if server in self.all:
                self.all.remove(server)

    def stop(self) -> None:
        with self.lock:
            self.stopping = True
            for server in self.all:
                server.stop()


def _kill_group(pid: int) -> None:
    """Kill a process's session (the process and anything it started)."""
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _grade_one(job: dict, *, children: _Children, timeout_s: float, log_path: Path) -> dict:
    """Run the grader child for one prepared submission; return its row and test records."""
    work = Path(job["work"])
    job_file = work / "job.json"
    job_file.write_text(json.dumps(job), encoding="utf-8")
    started = time.perf_counter()
    try:
        server = children.take()
    except KeyboardInterrupt:
        return {"status": "interrupted"}
    try:
        code = server.run(job_file, log_path, timeout_s)
    except (RuntimeError, OSError, ValueError, TypeError, KeyError) as exc:
        if children.stopping:
            return {"status": "interrupted"}
        children.discard(server)  # a broken server is replaced by the next job
        return {"status": "error", "records": [], "wall_s": time.perf_counter() - started,
                "message": f"the grader server failed ({type(exc).__name__}: {exc})"}
    children.give_back(server)
    wall = time.perf_counter() - started
    result = {"wall_s": wall, "records": [], "status": "graded", "message": ""}
    results = Path(job["results"])
    if children.stopping:
        result["status"] = "interrupted"
        return result
    if code is None:
        result.update(status="error", message=f"grading took longer than {timeout_s:.0f} s and was stopped")
    elif results.is_file() and code in (0, 1):
        data = json.loads(results.read_text(encoding="utf-8"))
        result.update(data)
        result["status"] = "graded"
    else:
        why = _PYTEST_EXIT.get(code, f"exit code {code}")
        result.update(status="error", message=f"the grader failed: pytest {why}; see logs/{log_path.name}")
    result["wall_s"] = wall
    return result


def _remove_stale_scratch() -> None:
    """Delete the scratch folders of grading runs that were killed (their process is gone)."""
    for folder in Path(tempfile.gettempdir()).glob("cnnlab-grade-*-*"):
        pid = folder.name.split("-")[2]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except PermissionError:
            pass  # another user's run, alive


def grade(assignment: str | Path, submissions_dir: str | Path, out: str | Path, *, jobs: int = 1,
          roster: str | Path | None = None, public_only: bool = False,
          regrade: list[str] | tuple[str, ...] = (), isolation: str = "auto",
          limits: dict[str, Any] | None = None, progress: bool = False,
          write_reports: bool = True, published: bool = False,
          now: dt.datetime | None = None, layers: tuple[str, ...] | None = None) -> Summary:
    """Grade every submission in ``submissions_dir`` against ``assignment``.

    Parameters
    ----------
    assignment : str or Path
        A bundled assignment's name or an assignment folder.
    submissions_dir : str or Path
        One sub-folder, ``.zip`` or ``.ipynb`` per student, or a single submission folder.
    out : str or Path
        Output folder: ``gradebook.db``, the reports, ``logs/``.
    jobs : int, default=1
        Submissions graded at once.
    roster : str or Path, optional
        CSV of the class (``student`` or ``student_id``, optional ``name`` and ``team``
        columns): students without a submission are recorded as missing, unless their team
        handed one in; with teams, ``Summary.teams`` and ``teams.csv`` hold the team view (see
        :mod:`cnnlab.bench.grading.teams`).
    public_only : bool, default=False
        Run only the visible tests (what a student runs on their own work).
    regrade : list of str
        Students to grade again even if the gradebook has them.
    isolation : {"auto", "bwrap", "rlimits"}, default="auto"
        The worker sandbox; ``"auto"`` is bubblewrap where it works.
    limits : dict, optional
        Overrides of the assignment's limits, e.g. ``{"call_timeout_s": 2}``.
    progress : bool, default=False
        Show a progress bar on stderr.
    write_reports : bool, default=True
        Render the reports into ``out`` after grading.
    published : bool, default=False
        Whether grades are published (shows tests marked ``after_published`` in feedback).
    now : datetime, optional
        The time that decides ``after_due_date`` visibility in the reports (default: now).
    layers : tuple of str, optional
        Worker lock-down layers (default all); tests use it to check the bare fallback.

    Returns
    -------
    Summary

    Raises
    ------
    ValueError
        For an unknown assignment, isolation or student in ``regrade``, a bad ``jobs``, limit
        or roster, or a submissions folder with nothing to grade.
    """
    started = time.perf_counter()
    spec = assignments.load(assignment)
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be a positive int, got {jobs!r}")
    resolved = sandbox.resolve(isolation)
    limits = dict(limits or {})
    spec.limits.replace(**limits)  # validates the names and values
    found = submissions.discover(submissions_dir, spec.files)
    students = {s.student: s for s in found}
    unknown_regrade = [s for s in regrade if s not in students]
    if unknown_regrade:
        raise ValueError(f"--regrade: no submission for {', '.join(unknown_regrade)}; "
                         f"students: {', '.join(sorted(students))}")
    names = read_roster(roster) if roster else {}
    team_roster = teams.read_roster(roster) if roster else None
    out = Path(out)
    (out / "logs").mkdir(parents=True, exist_ok=True)
    scope = "public" if public_only else "all"
    options = {"jobs": jobs, "public_only": public_only, "limits": limits, "isolation": isolation,
               "layers": list(layers) if layers is not None else None}
    book = Gradebook(out / "gradebook.db")
    run_id = book.start_run(spec.name, isolation=resolved, options=options)
    summary = Summary(run_id=run_id, assignment=spec.name, out=out, names=names)
    _remove_stale_scratch()
    scratch = Path(tempfile.mkdtemp(prefix=f"cnnlab-grade-{os.getpid()}-"))
    os.chmod(scratch, 0o700)
    children = _Children()
    status = "finished"
    try:
        previous = book.graded(spec.name)
        todo = []
        for sub in found:
            work = scratch / sub.student
            try:
                source = submissions.prepare(sub, work / "src", spec.files)
                digest = submissions.digest(source)
            except ValueError as exc:
                book.record(run_id, spec.name, {"student": sub.student, "scope": scope,
                                                "source": str(sub.path), "status": "error",
                                                "max_score": spec.points, "message": str(exc)}, [])
                summary.errors.append(sub.student)
                continue
            old = previous.get(sub.student)
            if (old is not None and old["digest"] == digest and old["scope"] == scope
                    and old["status"] == "graded" and sub.student not in regrade):
                summary.skipped.append(sub.student)
                continue
            todo.append((sub, {
                "assignment": str(spec.root), "source": str(source), "work": str(work),
                "scratch": str(work / "sandbox"), "results": str(work / "results.json"),
                "isolation": resolved, "limits": limits, "layers": list(layers) if layers else layers,
                "public_only": public_only, "digest": digest,
            }))
        covered = team_roster.covered(students) if team_roster else set()  # their team submitted
        for student in sorted(set(names) - set(students) - covered):
            old = previous.get(student)
            if old is None or old["status"] != "missing":
                book.record(run_id, spec.name, {"student": student, "scope": scope, "status": "missing",
                                                "max_score": spec.points,
                                                "message": "no submission"}, [])
            summary.missing.append(student)
        if names:
            team_ids = {submissions.student_id(t) for t in team_roster.teams()} if team_roster else set()
            summary.unknown = sorted(set(students) - set(names) - team_ids)
        effective = spec.limits.replace(**limits)
        timeout_s = effective.submission_timeout_s * 1.5 + 120
        _run_jobs(todo, jobs=jobs, book=book, run_id=run_id, spec=spec, scope=scope,
                  children=children, timeout_s=timeout_s, out=out, summary=summary,
                  progress=progress)
    except KeyboardInterrupt:
        status = "interrupted"
        raise
    finally:
        children.stop()
        book.finish_run(run_id, status)
        summary.records = book.latest(spec.name)
        book.close()
        submissions.remove_tree(scratch)  # whatever modes student code gave its folders
        summary.wall_s = time.perf_counter() - started
    # "missing file": no student code ran, so no sandbox to report or warn about
    labels = sorted({r["isolation"] for r in summary.records
                     if r.get("isolation") and r["isolation"] != MISSING_FILE})
    summary.isolation = ", ".join(labels)
    if not public_only:
        totals = {r["max_score"] for r in summary.records if r["status"] == "graded"}
        if len(totals) == 1:  # the reports grade a missing student out of what the class had
            for record in summary.records:
                if record["status"] == "missing":
                    record["max_score"] = next(iter(totals))
        if totals and totals != {spec.points}:
            summary.warnings.append(f"the tests add up to {', '.join(f'{t:g}' for t in sorted(totals))} "
                                    f"points; assignment.toml says {spec.points:g}")
    if summary.unknown:
        summary.warnings.append(f"not on the roster: {', '.join(summary.unknown)}")
    if any("landlock" not in label and "bwrap" not in label for label in labels):
        summary.warnings.append("some workers ran without file-system isolation (no bubblewrap, "
                                "no Landlock): student code could read files the grader can read")
    for line in sorted({m for label in labels for m in sandbox.missing_protections(label)}):
        if "bubblewrap and no Landlock" not in line:  # said above
            summary.warnings.append(f"some workers ran with {line}")
    if team_roster is not None and team_roster.has_teams:
        summary.teams = teams.team_view(summary.records, team_roster)
    if write_reports:
        from cnnlab.reports import grading as report

        summary.reports = report.write_all(
            summary.records, out, title=spec.title, due=spec.due, published=published,
            now=now, names=names, teams=summary.teams,
            metrics=[(m.name, m.order) for m in spec.leaderboard])  # the HTML shows them
        summary.reports.update(teams.write_reports(summary, spec.leaderboard))
    return summary


def _run_jobs(todo, *, jobs, book, run_id, spec, scope, children, timeout_s, out, summary, progress):
    from tqdm import tqdm

    bar = tqdm(total=len(todo), desc=f"grading {spec.name}", unit="submission", disable=not progress,
               leave=False)
    pool = futures.ThreadPoolExecutor(max_workers=jobs)
    try:
        pending = {
            pool.submit(_grade_one, job, children=children, timeout_s=timeout_s,
                        log_path=out / "logs" / f"{sub.student}.log"): (sub, job)
            for sub, job in todo
        }
        while pending:
            done, _ = futures.wait(pending, timeout=0.5, return_when=futures.FIRST_COMPLETED)
            for fut in done:
                sub, job = pending.pop(fut)
                result = fut.result()
                if result["status"] == "interrupted":
                    continue
                tests = result.get("records", [])
                row = {
                    "student": sub.student, "scope": scope, "source": str(sub.path),
                    "digest": job["digest"], "status": result["status"],
                    "score": sum(t["points"] for t in tests),
                    "max_score": sum(t["max_points"] for t in tests) if tests else spec.points,
                    "isolation": result.get("isolation"), "wall_s": result["wall_s"],
                    "cpu_s": result.get("cpu_s"),
                    "student_s": result.get("student_s"), "worker_start_s": result.get("worker_start_s"),
                    "message": result.get("message", ""),
                    "leaderboard": result.get("leaderboard") or [],
                }
                if row["status"] == "graded" and not tests:
                    row.update(status="error", message="no test was run; see the log")
                absent = [f for f in spec.files if not (Path(job["source"]) / f).is_file()]
                if absent and not result.get("worker_starts"):  # no student code ran
                    row.update(isolation=MISSING_FILE,
                               message=row["message"] or f"missing file: {', '.join(absent)}")
                book.record(run_id, spec.name, row, tests)
                submissions.remove_tree(Path(job["work"]))  # nothing of a graded student stays
                (summary.graded if row["status"] == "graded" else summary.errors).append(sub.student)
                bar.update(1)
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        children.stop()
        raise
    finally:
        bar.close()
    pool.shutdown(wait=True)
