"""``grade()``: grade a class of submissions into a gradebook and render the reports.

The process that calls :func:`grade` is the only writer of the gradebook. Per submission it
starts a trusted grader child (:mod:`cnnlab.bench.grading.runner`), which runs the assignment's pytest
tests; the child's tests reach the student's code only through the sandboxed worker. ``jobs``
children run at once. A submission already in the gradebook with the same content is not graded
again (resume after an interruption); ``regrade`` forces chosen students.
"""

from __future__ import annotations

import concurrent.futures as futures
import datetime as dt
import errno
import fcntl
import os
import shutil
import signal
import sqlite3
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cnnlab.errors import UsageError

from . import assignment as assignments
from . import late, sandbox, submissions, teams
from .gradebook import Gradebook
from .grader import (
    _CANARY,
    GRADER_MEMORY_MIB,
    GradingError,
    ServerPool,
    check_workers,
    grade_one,
    grader_digest,
)
from .records import GradingJob, SubmissionResult, TestResult
from .roster import Roster, read_roster

MISSING_FILE = "missing file"  # the isolation of a submission without its required file
# Errors of the environment around --out (not bugs): each becomes one line for the user.
_ENVIRONMENT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM,
                       errno.ENOTDIR, errno.EISDIR, errno.EEXIST, errno.ENAMETOOLONG, errno.ELOOP}


class GradebookBusy(GradingError):
    """Another grading run holds the lock of this ``out`` folder."""


class Terminated(KeyboardInterrupt):
    """The grading process received SIGTERM; handled like Ctrl-C (run marked interrupted)."""


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
        The newest gradebook record of every student, as
        :meth:`~cnnlab.bench.grading.records.SubmissionResult.to_json` dicts (what the reports
        render and ``cnnlab grade --json`` prints).
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
          now: dt.datetime | None = None, layers: tuple[str, ...] | None = None,
          scheduler: str | None = None, cluster: str | None = None,
          grader_memory_mib: float = GRADER_MEMORY_MIB) -> Summary:
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
    grader_memory_mib : float, default=GRADER_MEMORY_MIB
        Resident memory a trusted grader child may reach; past it the submission is an error.
    scheduler, cluster : str, optional
        Grade on Dask workers instead of ``jobs`` local children: a scheduler's address, or
        ``"local:N"`` for a local cluster of N worker processes (needs ``cnnlab[dask]``; see
        :mod:`cnnlab.bench.grading.distributed`).

    Returns
    -------
    Summary

    Raises
    ------
    ValueError
        For an unknown assignment, isolation or student in ``regrade``, a bad ``jobs``, limit
        or roster, or a submissions folder with nothing to grade.
    GradingError
        (a ``ValueError``) Before anything is recorded as graded: for an ``out`` that is empty,
        a file, not writable or full, a corrupt gradebook, another run grading into ``out``
        (:class:`GradebookBusy`) or a sandboxed worker that cannot start here
        (:class:`WorkersCannotStart`).
    KeyboardInterrupt
        On Ctrl-C or SIGTERM (:class:`Terminated`), after the run is marked ``interrupted`` and
        the reports of what was graded are written.
    """
    started = time.perf_counter()
    request = _check(assignment, submissions_dir, out, jobs=jobs, roster=roster,
                     public_only=public_only, regrade=regrade, isolation=isolation, limits=limits,
                     progress=progress, write_reports=write_reports, published=published, now=now,
                     layers=layers, scheduler=scheduler, cluster=cluster,
                     grader_memory_mib=grader_memory_mib)
    lock = _take_lock(request.out_dir)
    restore = _sigterm_interrupts()
    try:
        with _environment_errors():
            return _grade_locked(request, started=started)
    finally:
        if request.backend is not None:
            request.backend.close()
        restore()
        os.close(lock)


@dataclass(frozen=True)
class _Request:
    """:func:`grade`'s arguments once checked: the assignment, its submissions, the roster and
    where the run writes."""

    spec: Any  # assignment.Assignment
    found: list  # submissions.Submission, one per student
    roster: Roster | None
    out: Path  # as given (the reports name it so)
    out_dir: Path  # absolute, created
    jobs: int
    public_only: bool
    regrade: tuple[str, ...]
    isolation: str  # as asked for
    resolved: str  # the sandbox the workers get
    limits: dict[str, Any]  # the overrides
    effective: Any  # assignment.Limits with the overrides
    layers: tuple[str, ...] | None
    grader_memory_mib: float
    progress: bool
    write_reports: bool
    published: bool
    now: dt.datetime | None
    backend: Any = None  # distributed.Backend, when grading on Dask
    lateness: Any = None  # late.Lateness, where the assignment has a late policy

    @property
    def names(self) -> dict[str, str]:
        """student -> display name, from the roster."""
        return self.roster.names if self.roster is not None else {}

    @property
    def scope(self) -> str:
        return "public" if self.public_only else "all"

    def options(self) -> dict[str, Any]:
        """The run's options, as the gradebook keeps them."""
        options = {"jobs": self.jobs, "public_only": self.public_only, "limits": self.limits,
                   "isolation": self.isolation,
                   "layers": list(self.layers) if self.layers is not None else None}
        if self.backend is not None:
            options["dask"] = self.backend.describe()
        return options


def _check(assignment, submissions_dir, out, *, jobs, roster, public_only, regrade, isolation,
           limits, progress, write_reports, published, now, layers, scheduler, cluster,
           grader_memory_mib) -> _Request:
    """Stage 1, open: check every argument, find the submissions, read the roster and create
    ``out``, before anything is locked or recorded."""
    spec = assignments.load(assignment)
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise UsageError(f"jobs must be a positive int, got {jobs!r}")
    if (isinstance(grader_memory_mib, bool) or not isinstance(grader_memory_mib, (int, float))
            or not grader_memory_mib > 0):
        raise UsageError(f"grader_memory_mib must be a positive number, got {grader_memory_mib!r}")
    backend = None
    if scheduler is not None or cluster is not None:  # Dask: each worker is checked, not this machine
        from .distributed import Backend

        backend = Backend(scheduler=scheduler, cluster=cluster, isolation=isolation)
        resolved = backend.isolation
    else:
        resolved = sandbox.resolve(isolation)
    limits = dict(limits or {})
    effective = spec.limits.replace(**limits)  # validates the names and values
    found = _find_submissions(spec, submissions_dir, regrade)
    roster = read_roster(roster) if roster else None
    return _Request(
        spec=spec, found=found, roster=roster, out=Path(out),
        out_dir=_out_folder(out), jobs=jobs, public_only=public_only, regrade=tuple(regrade),
        isolation=isolation, resolved=resolved, limits=limits, effective=effective,
        layers=tuple(layers) if layers is not None else None, grader_memory_mib=grader_memory_mib,
        progress=progress, write_reports=write_reports, published=published, now=now,
        backend=backend,
        lateness=late.Lateness.for_class(spec.late, submissions_dir=submissions_dir, roster=roster,
                                         files=spec.files))


def _find_submissions(spec, submissions_dir, regrade) -> list:
    """Stage 2, find: one submission per student (``regrade`` must name some of them)."""
    if not str(submissions_dir).strip():  # Path("") is the working folder: never meant
        raise UsageError("the submissions folder must not be empty (use . for the working folder)")
    found = submissions.discover(submissions_dir, spec.files)
    students = {s.student for s in found}
    unknown_regrade = [s for s in regrade if s not in students]
    if unknown_regrade:
        raise UsageError(f"--regrade: no submission for {', '.join(unknown_regrade)}; "
                         f"students: {', '.join(sorted(students))}")
    return found


@dataclass
class _Plan:
    """What this run grades (stage 3): a job per submission to grade, the submissions that
    cannot be read, and those already graded with the same files, tests and scope."""

    grader: str  # grader_digest of the assignment
    previous: dict[str, SubmissionResult]
    todo: list[tuple[Any, GradingJob]] = field(default_factory=list)
    unreadable: list[tuple[Any, str]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _plan(request: _Request, book: Gradebook, scratch: Path) -> _Plan:
    """Stage 3, plan: unpack each submission into ``scratch``, take its digest, and decide
    whether it needs grading (resume, regrade)."""
    spec = request.spec
    plan = _Plan(grader=grader_digest(spec), previous=book.graded(spec.name))
    for sub in request.found:
        work = scratch / sub.student
        try:
            source = submissions.prepare(sub, work / "src", spec.files)
            digest = submissions.digest(source)
        except ValueError as exc:
            plan.unreadable.append((sub, str(exc)))
            submissions.remove_tree(work)  # what a half-unpacked archive left
            continue
        old = plan.previous.get(sub.student)
        # the same files graded by the same tests and limits: nothing new to learn
        if (old is not None and old.digest == digest and old.scope == request.scope
                and old.status == "graded" and old.grader_digest in (None, plan.grader)
                and sub.student not in request.regrade):
            plan.skipped.append(sub.student)
            continue
        plan.todo.append((sub, GradingJob(
            assignment=str(spec.root), source=str(source), work=str(work),
            scratch=str(work / "sandbox"), results=str(work / "results.json"),
            isolation=request.resolved, limits=request.limits, layers=request.layers,
            public_only=request.public_only, digest=digest, files=tuple(spec.files),
            grader_memory_mib=request.grader_memory_mib)))
    return plan


def _admit_workers(request: _Request, plan: _Plan, scratch: Path, warnings: list[str]) -> None:
    """Stage 4, before anything is recorded: a sandboxed worker that cannot start grades nobody
    (with Dask, each worker is admitted the same way)."""
    if not plan.todo:
        return
    if request.backend is not None:
        request.backend.start(request.spec, limits=request.limits, layers=request.layers,
                              grader=plan.grader, warnings=warnings)
    else:
        check_workers(request.spec, isolation=request.resolved, limits=request.effective,
                      layers=request.layers, folder=scratch / _CANARY)


def _record_absent(request: _Request, plan: _Plan, book: Gradebook, run_id: int,
                   summary: Summary) -> None:
    """Stage 5: record the submissions that cannot be read (errors) and the roster's students
    without a submission (missing); name the students the roster lacks."""
    spec, scope = request.spec, request.scope
    students = {s.student for s in request.found}
    for sub, message in plan.unreadable:
        book.record(run_id, spec.name, SubmissionResult(
            student=sub.student, scope=scope, source=str(sub.path), status="error",
            max_score=spec.points, message=message))
        summary.errors.append(sub.student)
    roster, names = request.roster, request.names
    covered = roster.covered(students) if roster else set()  # their team submitted
    for student in sorted(set(names) - students - covered):
        old = plan.previous.get(student)
        if old is None or old.status != "missing":
            book.record(run_id, spec.name, SubmissionResult(
                student=student, scope=scope, status="missing", max_score=spec.points,
                message="no submission"))
        summary.missing.append(student)
    if names:
        team_ids = {submissions.student_id(t) for t in roster.teams()}
        summary.unknown = sorted(students - set(names) - team_ids)


def _grade_locked(request: _Request, *, started: float) -> Summary:
    """:func:`grade` once its arguments are checked and it holds the lock of ``out``: plan,
    admit the workers, record the absent, grade (stage 6), then summarize (stage 7) and write
    the reports (stage 8). The run ends ``finished``, ``interrupted`` or ``failed``."""
    spec = request.spec
    summary = Summary(run_id=0, assignment=spec.name, out=request.out, names=request.names)
    _remove_stale_scratch()
    scratch = Path(tempfile.mkdtemp(prefix=f"cnnlab-grade-{os.getpid()}-"))
    os.chmod(scratch, 0o700)
    children = ServerPool(scratch)
    book: Gradebook | None = None
    run_id: int | None = None
    status, interrupted = "failed", None
    try:
        book = _open_gradebook(request.out_dir / "gradebook.db")
        book.close_dead_runs()  # we hold the lock: a run still "running" was killed
        plan = _plan(request, book, scratch)
        summary.skipped = plan.skipped
        _admit_workers(request, plan, scratch, summary.warnings)
        run_id = summary.run_id = book.start_run(spec.name, isolation=request.resolved,
                                                 options=request.options())
        _record_absent(request, plan, book, run_id, summary)
        _run_jobs(request, plan, book=book, run_id=run_id, children=children, summary=summary)
        status = "finished"
    except KeyboardInterrupt as exc:
        status, interrupted = "interrupted", exc
    except BaseException:
        _end_run(book, run_id, "failed", quiet=True)  # a crash is never a finished run
        raise
    finally:
        children.stop()
        submissions.remove_tree(scratch)  # whatever modes student code gave its folders
        summary.wall_s = time.perf_counter() - started
    if run_id is None:  # interrupted before the run began: nothing to report
        _end_run(book, None, status)
        raise interrupted
    try:
        summary.records = book.latest(spec.name)
        _summarize(summary, spec, public_only=request.public_only, roster=request.roster)
        if request.write_reports:  # also after an interruption: the reports of what was graded
            _write_reports(summary, spec, request.out, published=request.published,
                           now=request.now, names=request.names)
    except KeyboardInterrupt:
        _end_run(book, run_id, "interrupted", quiet=True)
        raise
    except BaseException:
        _end_run(book, run_id, "failed", quiet=True)
        raise
    _end_run(book, run_id, status)  # "finished" only once the reports are written
    if interrupted is not None:
        raise interrupted
    return summary


def _end_run(book: Gradebook | None, run_id: int | None, status: str, *, quiet: bool = False) -> None:
    """Record how the run ended and close the gradebook. ``quiet``: while another exception is
    on its way (a full disk may refuse this write too; that exception says more)."""
    if book is None:
        return
    try:
        if run_id is not None:
            book.finish_run(run_id, status)
    except (sqlite3.Error, OSError):
        if not quiet:
            raise
    finally:
        book.close()


def _summarize(summary: Summary, spec, *, public_only: bool, roster: Roster | None) -> None:
    """Fill in the isolation, the warnings and the team view from ``summary.records``."""
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
    if roster is not None and roster.has_teams:
        summary.teams = teams.team_view(summary.records, roster)


def _write_reports(summary: Summary, spec, out: Path, *, published, now, names) -> None:
    from cnnlab.reports import grading as report

    summary.reports = report.write_all(
        summary.records, out, title=spec.title, due=spec.due, published=published,
        now=now, names=names, teams=summary.teams,
        metrics=[(m.name, m.order) for m in spec.leaderboard],  # the HTML shows them
        late_policy=spec.late.describe() if spec.late else "")
    summary.reports.update(teams.write_reports(summary, spec.leaderboard))


def _out_folder(out: str | Path) -> Path:
    """The output folder, created, as an absolute path (grader children run elsewhere).

    Raises
    ------
    GradingError
        For an empty path, a file, or a folder that cannot be created.
    """
    if not str(out).strip():
        raise GradingError("the output folder (--out) must not be empty")
    folder = Path(out).absolute()
    if folder.exists() and not folder.is_dir():
        raise GradingError(f"the output folder {str(out)!r} exists and is not a folder")
    try:
        (folder / "logs").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise GradingError(f"cannot create the output folder {str(out)!r}: "
                           f"{exc.strerror or exc}") from None
    return folder


def _take_lock(out: Path) -> int:
    """Lock ``out`` for this process (released when the descriptor closes, also on kill -9).

    Raises
    ------
    GradebookBusy
        If another grading run holds it.
    GradingError
        If the folder cannot be written.
    """
    path = out / ".grading.lock"
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise GradingError(f"cannot write in the output folder {str(out)!r}: {exc.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 32, 0).decode("ascii", errors="replace").strip()
        os.close(fd)
        who = f" (pid {holder})" if holder.isdigit() else ""
        raise GradebookBusy(f"another cnnlab grade{who} is grading into {str(out)!r}; wait for it "
                            "to end or choose another --out") from None
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    except OSError as exc:
        os.close(fd)
        raise GradingError(f"cannot write in the output folder {str(out)!r}: {exc.strerror}") from None
    return fd


def _sigterm_interrupts():
    """Make SIGTERM end the run like Ctrl-C (marked interrupted, reports written); return the
    function that restores the previous handler. Only the main thread can set handlers."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handler(signum, frame):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # the clean-up must not be cut short
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, handler)
    return lambda: signal.signal(signal.SIGTERM, previous)


class _environment_errors:
    """Turn a full, read-only or vanished ``out`` and a corrupt gradebook into one
    :class:`GradingError` line; any other exception passes unchanged (it is a bug)."""

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if isinstance(exc, GradingError) or exc is None:
            return False
        if isinstance(exc, OSError) and exc.errno in _ENVIRONMENT_ERRNOS:
            where = f"{exc.filename}: " if exc.filename else ""
            raise GradingError(f"grading stopped: {where}{exc.strerror}") from exc
        if isinstance(exc, sqlite3.OperationalError) and "full" in str(exc):
            raise GradingError(f"grading stopped: the gradebook's disk is full ({exc})") from exc
        if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError):
            raise GradingError(f"the gradebook is corrupt ({exc}); move it away to start a new "
                               "one") from exc
        if isinstance(exc, sqlite3.OperationalError) and "readonly" in str(exc).replace("-", ""):
            raise GradingError(f"grading stopped: the gradebook cannot be written ({exc})") from exc
        return False


def _open_gradebook(path: Path) -> Gradebook:
    try:
        return Gradebook(path)
    except sqlite3.OperationalError:
        raise  # a full or read-only disk: said by _environment_errors
    except sqlite3.DatabaseError as exc:
        raise GradingError(f"{path} is not a usable gradebook ({exc}); move it away to start a "
                           "new one") from None


def _run_jobs(request: _Request, plan: _Plan, *, book: Gradebook, run_id: int, children: ServerPool,
              summary: Summary) -> None:
    """Stage 6, grade: run the planned jobs, ``jobs`` at once (or on the Dask workers), and
    record each submission as its result arrives."""
    from tqdm import tqdm

    spec = request.spec
    timeout_s = request.effective.submission_timeout_s * 1.5 + 120
    bar = tqdm(total=len(plan.todo), desc=f"grading {spec.name}", unit="submission",
               disable=not request.progress, leave=False)
    # with Dask, the same jobs go to admitted workers, which run grade_one there
    backend = request.backend
    pool = (backend.executor() if backend is not None
            else futures.ThreadPoolExecutor(max_workers=request.jobs))
    try:
        pending = {
            pool.submit(grade_one, job, children=children, timeout_s=timeout_s,
                        log_path=request.out_dir / "logs" / f"{sub.student}.log"): (sub, job)
            for sub, job in plan.todo
        }
        while pending:
            done, _ = futures.wait(pending, timeout=0.5, return_when=futures.FIRST_COMPLETED)
            for fut in done:
                sub, job = pending.pop(fut)
                result = fut.result()
                if result["status"] == "interrupted":
                    continue
                row = _submission_result(sub, job, result, spec=spec, scope=request.scope,
                                         grader=plan.grader)
                if request.lateness is not None and row.status == "graded":  # see late.py
                    row = row.replace(**request.lateness.fields(
                        sub, raw_score=row.score, max_points=row.max_score, digest=job.digest,
                        previous=plan.previous.get(sub.student)))
                book.record(run_id, spec.name, row)
                submissions.remove_tree(Path(job.work))  # nothing of a graded student stays
                (summary.graded if row.status == "graded" else summary.errors).append(sub.student)
                bar.update(1)
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        children.stop()
        raise
    finally:
        bar.close()
    pool.shutdown(wait=True)


def _submission_result(sub, job: GradingJob, result: dict, *, spec, scope: str,
                       grader: str) -> SubmissionResult:
    """The gradebook record of one graded submission, from what :func:`grade_one` returned."""
    tests = tuple(TestResult.from_json(t) for t in result.get("records", []))
    row = SubmissionResult(
        student=sub.student, scope=scope, source=str(sub.path), digest=job.digest,
        status=result["status"], score=sum(t.points for t in tests),
        max_score=sum(t.max_points for t in tests) if tests else spec.points,
        isolation=result.get("isolation"), wall_s=result["wall_s"], cpu_s=result.get("cpu_s"),
        student_s=result.get("student_s"), worker_start_s=result.get("worker_start_s"),
        message=result.get("message", ""), leaderboard=tuple(result.get("leaderboard") or ()),
        grader_digest=grader, grader_mib=result.get("grader_mib"), tests=tests)
    if row.status == "graded" and not tests:
        row = row.replace(status="error", message="no test was run; see the log")
    absent = [f for f in spec.files if not (Path(job.source) / f).is_file()]
    if absent and not result.get("worker_starts"):  # no student code ran
        row = row.replace(isolation=MISSING_FILE,
                          message=row.message or f"missing file: {', '.join(absent)}")
    return row
