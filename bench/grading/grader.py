"""One submission graded on this machine: the trusted grader server and its children, the
per-submission run, and the canary that proves a sandboxed worker starts here.

:mod:`cnnlab.bench.grading.engine` (the local thread pool) and
:mod:`cnnlab.bench.grading.distributed` (Dask workers) both grade through :func:`grade_one`, so a
submission is graded the same way wherever it runs.
"""

from __future__ import annotations

import hashlib
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from cnnlab.errors import UsageError

from . import sandbox
from .records import RESULTS_SCHEMA, GradingJob

_PYTEST_EXIT = {2: "interrupted (an error while collecting the tests?)", 3: "internal error",
                4: "usage error", 5: "no tests collected"}
_CANARY = "cnnlab_canary"
# Resident memory a trusted grader child may use (the transfer assignment's correct solution
# peaks near 1 GiB: numpy, pytest and the reports it checks); past it, the child is killed.
GRADER_MEMORY_MIB = 2048


class GradingError(UsageError):
    """Grading cannot go on here (a busy, unwritable or corrupt ``out``, or workers that cannot
    start); nothing more is recorded as graded. The message is one line for the user."""


class WorkersCannotStart(GradingError):
    """The sandboxed worker does not start here, so no student's code could run."""


class Server:
    """One ``runner --serve`` process: it forks a fresh grader child per submission."""

    def __init__(self, cwd: Path):
        env = dict(os.environ)
        env.update(PYTEST_DISABLE_PLUGIN_AUTOLOAD="1",
                   PYTHONDONTWRITEBYTECODE="1", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
                   MKL_NUM_THREADS="1")  # no BLAS threads in a process that forks
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        # -P: the working folder (perhaps a submission's own) is never on the trusted grader's
        # path; cwd: nor is it where pytest looks for conftest.py or ini files
        self.proc = subprocess.Popen([sys.executable, "-P", "-m", "cnnlab.bench.grading.runner", "--serve"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
                                     start_new_session=True, cwd=cwd)
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

    def run(self, job_file: Path, log_file: Path, timeout_s: float,
            memory_mib: float = GRADER_MEMORY_MIB) -> int | None:
        """Grade one job; its exit status, or None if it ran past ``timeout_s`` or its resident
        memory past ``memory_mib`` (and was killed; ``over_memory`` says which).

        The trusted grader child holds what the student's code returned; a submission must not
        make it take the machine's memory (RLIMIT_AS does not fit: the child's address space
        is gigabytes before it holds anything).
        """
        self.proc.stdin.write((json.dumps({"job": str(job_file), "log": str(log_file)}) + "\n").encode())
        self.proc.stdin.flush()
        self.child = self._line(60)["pid"]
        self.over_memory, self.peak_mib = False, 0.0
        deadline = time.monotonic() + timeout_s
        try:
            while True:
                done = self._line(min(0.25, max(deadline - time.monotonic(), 0)))
                if done is not None:
                    return done["exit"]
                self.peak_mib = max(self.peak_mib, _resident_mib(self.child))
                self.over_memory = self.peak_mib > memory_mib
                if self.over_memory or time.monotonic() >= deadline:
                    _kill_group(self.child)
                    self._line(None)
                    return None
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


class ServerPool:
    """The grader servers, one per job slot, so that an interruption can stop them all."""

    def __init__(self, cwd: Path):
        self.lock, self.idle, self.all, self.stopping = threading.Lock(), [], [], False
        self.cwd = cwd

    def take(self) -> Server:
        with self.lock:
            if self.stopping:
                raise KeyboardInterrupt
            if self.idle:
                return self.idle.pop()
            server = Server(self.cwd)
            self.all.append(server)
            return server

    def give_back(self, server: Server) -> None:
        with self.lock:
            self.idle.append(server)

    def discard(self, server: Server) -> None:
        server.stop()
        with self.lock:
            if server in self.all:
                self.all.remove(server)

    def stop(self) -> None:
        with self.lock:
            self.stopping = True
            for server in self.all:
                server.stop()


def _resident_mib(pid: int) -> float:
    """Peak resident memory of one process so far (VmHWM), in MiB; 0 once it is gone. Only its
    own: rusage would add the sandboxed workers it reaped, which have their own limit."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0.0


def _kill_group(pid: int) -> None:
    """Kill a process's session (the process and anything it started)."""
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def grade_one(job: GradingJob, *, children: ServerPool, timeout_s: float, log_path: Path) -> dict:
    """Run the grader child for one prepared submission.

    Returns
    -------
    dict
        ``status`` (``graded``, ``error`` or ``interrupted``), ``message``, ``wall_s``,
        ``grader_mib`` and what the grader child wrote to its results file: ``records`` (the
        tests, as :meth:`TestResult.to_json` dicts), ``isolation``, ``cpu_s``, ``student_s``,
        ``worker_start_s``, ``leaderboard`` ...
    """
    work = Path(job.work)
    job_file = job.write(work / "job.json")
    started = time.perf_counter()
    memory_mib = job.grader_memory_mib or GRADER_MEMORY_MIB
    try:
        server = children.take()
    except KeyboardInterrupt:
        return {"status": "interrupted"}
    try:
        code = server.run(job_file, log_path, timeout_s, memory_mib)
    except (RuntimeError, OSError, ValueError, TypeError, KeyError) as exc:
        if children.stopping:
            return {"status": "interrupted"}
        children.discard(server)  # a broken server is replaced by the next job
        return {"status": "error", "records": [], "wall_s": time.perf_counter() - started,
                "message": f"the grader server failed ({type(exc).__name__}: {exc})"}
    peak_mib, over_memory = server.peak_mib, server.over_memory  # before another job takes it
    children.give_back(server)
    wall = time.perf_counter() - started
    result = {"wall_s": wall, "records": [], "status": "graded", "message": ""}
    results = Path(job.results)
    if children.stopping:
        result["status"] = "interrupted"
        return result
    result["grader_mib"] = round(peak_mib, 1)
    if code is None and over_memory:
        result.update(status="error", message=f"the grader was stopped: grading this submission took "
                      f"more than {memory_mib:g} MiB of the trusted grader's memory")
    elif code is None:
        result.update(status="error", message=f"grading took longer than {timeout_s:.0f} s and was stopped")
    elif results.is_file() and code in (0, 1):
        try:
            data = json.loads(results.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or data.pop("schema", None) != RESULTS_SCHEMA:
                raise ValueError(f"not a {RESULTS_SCHEMA} file")
        except (UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError is a ValueError
            result.update(status="error", message=f"the grader's results are unreadable ({exc}); "
                                                  f"see logs/{log_path.name}")
            return result
        result.update(data)
        result["status"] = "graded"
        unran = _student_code_unran(data, Path(job.source), job.files)
        if unran:
            result.update(status="error", message=f"{unran}; see logs/{log_path.name}")
    else:
        why = _PYTEST_EXIT.get(code, f"exit code {code}")
        result.update(status="error", message=f"the grader failed: pytest {why}; see logs/{log_path.name}")
    result["wall_s"] = wall
    return result


def _student_code_unran(data: dict, source: Path, files) -> str:
    """Why none of the student's code ran although the grader child finished, or "".

    A score from such a run says nothing about the student (a worker that cannot start, a
    broken assignment test), so it must not be recorded as graded.
    """
    if not data.get("records"):
        return ""  # handled by the caller: no test was run
    if data.get("worker_starts", 0) > 0 and data.get("workers_ready", 1) == 0:
        reasons = [r["message"] for r in data["records"] if r.get("message")]
        why = reasons[0].splitlines()[0] if reasons else "no reply"
        return f"the sandboxed worker never started ({why}), so none of the student's code ran"
    if data.get("worker_starts", 0) == 0 and all((source / name).is_file() for name in files):
        return ("no test reached the student's code although every file is there "
                "(an error in the assignment's tests?)")
    return ""


def grader_digest(spec) -> str:
    """SHA-256 of what decides a grade besides the submission: the assignment's files (tests,
    fixtures, ``assignment.toml`` with its limits; not its solution, starter or README).

    A submission graded under another digest is graded again, so that an assignment fixed after
    a run does not leave stale grades behind. (Limits given to :func:`grade` are not part of it:
    ``regrade`` is the way to apply them to students already graded.)
    """
    h = hashlib.sha256()
    root = Path(spec.root)
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if (rel.parts[0] in ("solution", "starter", "README.md") or "__pycache__" in rel.parts
                or ".pytest_cache" in rel.parts or not path.is_file()):
            continue
        data = path.read_bytes()
        h.update(f"{rel.as_posix()}\0{len(data)}\0".encode())
        h.update(data)
    return h.hexdigest()


def check_workers(spec, *, isolation: str, limits, layers=None, folder: Path) -> None:
    """Start one sandboxed worker as the assignment configures it and call a known function.

    Run before a class is graded: where the worker cannot start (bubblewrap hiding the Python
    installation, a module in ``[sandbox] imports`` that is not installed, a memory limit too
    small to import it), every student would otherwise get the same zero.

    Raises
    ------
    WorkersCannotStart
        With the worker's own last line of output when there is one.
    """
    from .client import StudentError, Worker

    source = folder / "src"
    source.mkdir(parents=True, exist_ok=True)
    (source / f"{_CANARY}.py").write_text("def ping():\n    return 41 + 1\n", encoding="utf-8")
    options = {} if layers is None else {"layers": tuple(layers)}
    worker = Worker(source=source, scratch=folder / "scratch", isolation=isolation, limits=limits,
                    imports=spec.imports, env=spec.env, helpers=spec.helpers, **options)
    try:
        value = worker.call(_CANARY, "ping")
    except StudentError as exc:
        lines = [line.strip() for line in exc.detail.splitlines() if line.strip()]
        said = f" ({lines[-1][:300]})" if lines else ""
        hint = ""
        if isolation == "bwrap" and any(Path(p).resolve().is_relative_to(sandbox.SANDBOX_TMP)
                                        for p in (sys.executable, sys.prefix)):
            hint = (f"; Python is installed under {sandbox.SANDBOX_TMP}, which the bubblewrap "
                    "sandbox replaces with its own: install it elsewhere or use --isolation rlimits")
        elif "timed out" in exc.detail:
            hint = (f"; importing {', '.join(spec.imports)} took too long: the machine may be "
                    "too busy, try again later or with fewer --jobs")
        raise WorkersCannotStart(f"the sandboxed worker cannot run here ({isolation}): {exc.summary}"
                                 f"{said}{hint}; nothing was graded") from None
    finally:
        worker.close()
    if value != 42:
        raise WorkersCannotStart(f"the sandboxed worker answered {value!r} to a test call instead of "
                                 "42; nothing was graded")


