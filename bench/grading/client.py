"""The grader's handle on one sandboxed worker: start it, call into it, enforce the limits.

A :class:`Worker` belongs to one submission. A call that times out, crashes the worker, prints
too much or breaks the protocol kills the worker and raises :class:`StudentError`; the next
call starts a fresh worker (and imports the student's modules again), so one bad test never
takes the others down. A module that fails to import fails every later call the same way,
without retrying.
"""

from __future__ import annotations

import builtins
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path

from . import protocol, sandbox
from .assignment import Limits

_BUILTIN_ERRORS = {name for name, obj in vars(builtins).items()
                   if isinstance(obj, type) and issubclass(obj, BaseException)}
_START_TIMEOUT_S = 60.0  # importing torch or keras in a cold worker can take this long
# A function that killed or hung the worker this many times is not called again: each retry
# costs a worker start (or a whole timeout), and the next test must not wait for it.
MAX_CRASHES = 2
# Restarts after the submission's code stopped the worker, per submission. Each is a cold start
# (seconds with torch and Keras) that the grader pays; their time is charged to the submission's
# budget as well, so that a submission that crashes every call costs about what a correct one does.
MAX_RESTARTS = 2
_LIVE: weakref.WeakSet = weakref.WeakSet()  # workers of this process (their own pids are spared)


# What a hidden test may say about a failed call: the grader's words for each kind, nothing the
# student chose (no exception class, exit code, signal, message or file name).
HIDDEN_PHRASES = {
    "raised": "raised an exception", "timeout": "timed out", "memory": "ran out of memory",
    "crashed": "crashed the worker", "exited": "ended the worker process",
    "output": "printed too much output", "disk": "wrote too much into its working folder",
    "unsendable": "returned a value that cannot be graded", "missing": "is missing",
    "budget": "was not run: the submission used up its time budget",
    "protocol": "sent an invalid reply",
}


_OUTPUT_KEEP = 64 * 1024  # bytes of a worker's output kept for the feedback (more is counted, not kept)


class StudentError(Exception):
    """A call into student code did not return a value.

    Attributes
    ----------
    kind : str
        ``"raised"``, ``"timeout"``, ``"memory"``, ``"crashed"``, ``"exited"``, ``"output"``,
        ``"disk"``, ``"unsendable"``, ``"missing"``, ``"budget"`` or ``"protocol"``.
    summary : str
        Written by the grader, for visible tests; it may name what the student's code chose
        (the class of a built-in exception, an exit code, a signal).
    detail : str
        Text that comes from student code (an exception message, a traceback); shown only
        where the test is visible.
    what : str
        The call or import, in the grader's words (``"metrics.f"``, ``"importing metrics.py"``).
    hidden : str
        What a hidden test shows: ``what`` and a phrase of :data:`HIDDEN_PHRASES`, chosen by
        ``kind`` alone.
    """

    def __init__(self, kind: str, summary: str, detail: str = "", *, what: str = ""):
        super().__init__(summary + (f": {detail}" if detail else ""))
        self.kind, self.summary, self.detail, self.what = kind, summary, detail, what

    @property
    def hidden(self) -> str:
        phrase = HIDDEN_PHRASES.get(self.kind, "failed")
        return f"{self.what} {phrase}" if self.what else f"the student's code {phrase}"


@dataclass
class CallRecord:
    """Timing of one call: wall time seen by the grader, and the worker's own measure."""

    name: str
    wall_s: float
    student_s: float
    ok: bool


@dataclass
class _Process:
    popen: subprocess.Popen
    reply_fd: int
    output: bytearray = field(default_factory=bytearray)
    output_total: int = 0
    output_exceeded: bool = False
    disk_exceeded: bool = False
    drain: threading.Thread | None = None
    buffer: bytes = b""


_SUBREAPER = False


def _become_subreaper() -> None:
    """Adopt the orphans of our workers (PR_SET_CHILD_SUBREAPER): a child a worker daemonised
    (double fork, ``setsid``) is re-parented here instead of to init, so :func:`_reap_orphans`
    finds and kills it. With seccomp or bubblewrap's PID namespace a worker cannot leave one
    behind anyway; this is what the bare fallback has."""
    global _SUBREAPER
    if _SUBREAPER or not sys.platform.startswith("linux"):
        return
    import ctypes

    _SUBREAPER = ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER


def _children() -> list[int]:
    """Process ids whose parent is this process (from /proc)."""
    me, found = os.getpid(), []
    try:
        with open(f"/proc/{me}/task/{me}/children") as fh:  # threads' children are listed per task
            found += [int(x) for x in fh.read().split()]
    except OSError:
        pass
    try:
        for task in os.listdir(f"/proc/{me}/task"):
            if task == str(me):
                continue
            try:
                with open(f"/proc/{me}/task/{task}/children") as fh:
                    found += [int(x) for x in fh.read().split()]
            except OSError:
                pass
    except OSError:
        pass
    return found


def _reap_orphans(rounds: int = 20) -> None:
    """Kill and reap every child of this process that is not a live worker's: orphans adopted
    as a subreaper, and workers already killed. The trusted grader starts no other children."""
    live = {w._proc.popen.pid for w in list(_LIVE) if w._proc is not None}
    for _ in range(rounds):
        strays = [pid for pid in _children() if pid not in live]
        if not strays:
            return
        for pid in strays:
            for kill in (os.killpg, os.kill):
                try:
                    kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        for pid in strays:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
        time.sleep(0.02)


def _human_bytes(n: int) -> str:
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            value = n / size
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{n} bytes"


def _seconds(s: float) -> str:
    return f"{s:g} s"


class Worker:
    """One submission's sandboxed worker.

    Parameters
    ----------
    source : Path
        Folder with the submission's files.
    scratch : Path
        Private folder of this submission; the worker's tmp is created inside.
    isolation : {"bwrap", "rlimits"}
    limits : Limits
    imports : tuple of str
        Modules to preload in the worker.
    env : dict
        Extra environment variables.
    layers : tuple of str
        Worker lock-down layers to request (see :data:`sandbox.WORKER_LAYERS`).
    helpers : tuple of str
        cnnlab's worker-side modules (``bench/judges/helpers``) the worker may import; they are
        copied next to the submission, read-only, and shadow student files of the same name.
    reap_orphans : bool, default=False
        Make this process a child subreaper and, whenever a worker is killed, kill every child of
        this process that is not a live worker (what a worker daemonised). Only for a process
        that starts no other children: the trusted grader child of ``cnnlab grade``.
    """

    def __init__(self, *, source: Path, scratch: Path, isolation: str, limits: Limits,
                 imports: tuple[str, ...] = ("numpy",), env: dict | None = None,
                 layers: tuple[str, ...] = sandbox.WORKER_LAYERS, helpers: tuple[str, ...] = (),
                 reap_orphans: bool = False):
        self.source, self.scratch, self.isolation = Path(source), Path(scratch), isolation
        self.limits, self.imports, self.env, self.layers = limits, imports, env or {}, layers
        self.tmp = self.scratch / "tmp"
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.helpers, self.helpers_dir = tuple(helpers), None
        if self.helpers:
            from ..judges.helpers import HELPERS_DIR

            self.helpers_dir = self.scratch / "helpers"
            self.helpers_dir.mkdir(exist_ok=True)
            for name in self.helpers:
                shutil.copyfile(HELPERS_DIR / f"{name}.py", self.helpers_dir / f"{name}.py")
        os.chmod(self.tmp, 0o700)
        self._tmp_fd = os.open(self.tmp, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
        self._proc: _Process | None = None
        self._stopped_output = bytearray()  # printed by workers stopped since the output was taken
        self._import_failures: dict[str, StudentError] = {}
        self._loaded: set[str] = set()
        self._crashes: dict[str, list] = {}
        self.applied_layers: list[str] = []
        self.calls: list[CallRecord] = []
        self.started_s = 0.0  # wall seconds spent starting workers
        self.used_s = 0.0  # wall seconds of calls, counted against the submission budget
        self.starts = 0
        self.reap_orphans = reap_orphans
        if reap_orphans:
            _become_subreaper()
        _LIVE.add(self)

    # ----------------------------------------------------------------- life cycle

    @property
    def isolation_label(self) -> str:
        """What protected the last worker, e.g. ``"bwrap+capabilities+seccomp+rlimits"``."""
        layers = [self.isolation] if self.isolation == "bwrap" else []
        layers += [layer for layer in self.applied_layers if layer != "rlimits"]
        return "+".join(layers + ["rlimits"])

    def _start(self) -> None:
        started = time.perf_counter()
        plan = sandbox.plan(isolation=self.isolation, source=self.source, tmp=self.tmp,
                            limits=self.limits, imports=self.imports, env=self.env,
                            layers=self.layers, helpers=self.helpers_dir)
        read_fd, write_fd = os.pipe()
        os.set_inheritable(write_fd, True)
        try:
            popen = subprocess.Popen(
                plan.argv + [str(write_fd)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, env=plan.env, pass_fds=(write_fd,),
                start_new_session=True, cwd=self.tmp, close_fds=True,
            )
        except OSError:
            os.close(read_fd)
            raise
        finally:
            os.close(write_fd)
        proc = _Process(popen=popen, reply_fd=read_fd)
        proc.drain = threading.Thread(target=self._drain, args=(proc,), daemon=True)
        proc.drain.start()
        # a thread of the student's can write on after its call returned: watch the whole time
        threading.Thread(target=self._watch_disk, args=(proc,), daemon=True).start()
        self._proc = proc
        self.starts += 1
        try:
            popen.stdin.write((json.dumps(plan.config) + "\n").encode())
            popen.stdin.flush()
            hello = self._read_reply(timeout=_START_TIMEOUT_S, what="starting the worker")
        except StudentError as exc:
            self._kill()
            raise StudentError("crashed", "the sandboxed worker did not start", exc.summary,
                               what="") from None
        except OSError:
            self._kill()
            raise StudentError("crashed", "the sandboxed worker did not start",
                               what="") from None
        finally:
            spent = time.perf_counter() - started
            self.started_s += spent
            if self.starts > 1:  # a restart: the student's code stopped the last worker
                self.used_s += spent
        layers = hello.get("layers")
        if hello.get("hello") != 1 or not isinstance(layers, list):
            self._kill()
            raise StudentError("crashed", "the sandboxed worker did not start")
        self.applied_layers = [str(x) for x in layers]

    def _drain(self, proc: _Process) -> None:
        """Keep the student's output (up to a cap), and kill the worker past the limit."""
        keep, limit = _OUTPUT_KEEP, self.limits.output_kib * 1024
        stream = proc.popen.stdout
        fd = stream.fileno()
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                return
            if not chunk:
                return
            proc.output_total += len(chunk)
            if len(proc.output) < keep:
                proc.output += chunk[: keep - len(proc.output)]
            if proc.output_total > limit and not proc.output_exceeded:
                proc.output_exceeded = True
                self._signal(proc, signal.SIGKILL)

    def _watch_disk(self, proc: _Process) -> None:
        """Kill the worker as soon as its tmp holds more than the quota, between calls too."""
        while proc.popen.poll() is None:
            if self._tmp_usage() > self.disk_quota:
                proc.disk_exceeded = True
                self._signal(proc, signal.SIGKILL)
                return
            time.sleep(0.1)

    @staticmethod
    def _signal(proc: _Process, sig: int) -> None:
        try:
            os.killpg(proc.popen.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        self._signal(proc, signal.SIGKILL)
        try:
            proc.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        if self.reap_orphans:
            _reap_orphans()
        if proc.disk_exceeded:  # killed between calls: the next worker must not start over quota
            self._empty_tmp()
        for stream in (proc.popen.stdin,):
            try:
                stream.close()
            except OSError:
                pass
        if proc.drain is not None:
            proc.drain.join(timeout=5)
        # what it printed before it was stopped stays the current test's output
        self._stopped_output += proc.output[: max(0, _OUTPUT_KEEP - len(self._stopped_output))]
        try:
            proc.popen.stdout.close()
        except OSError:
            pass
        os.close(proc.reply_fd)
        self._loaded.clear()

    def close(self) -> None:
        """Stop the worker (politely, then by force), kill whatever it started, and delete its
        files (the tmp folder and the helpers' copy), whatever modes student code gave them."""
        proc = self._proc
        if proc is not None and proc.popen.poll() is None:
            try:
                proc.popen.stdin.write(b'{"id": "bye", "op": "exit"}\n')
                proc.popen.stdin.flush()
                proc.popen.wait(timeout=2)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self._kill()
        if self.reap_orphans:
            _reap_orphans()
        if self._tmp_fd >= 0:
            os.close(self._tmp_fd)
            self._tmp_fd = -1
        from .submissions import remove_tree

        for folder in (self.tmp, self.helpers_dir):
            if folder is not None:
                remove_tree(folder)

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _let_drain_catch_up(self, limit_s: float = 0.5) -> None:
        """The worker flushes its output before it replies, but the drain thread may not have
        read the pipe yet on a busy machine: wait (briefly) until the pipe is empty."""
        proc = self._proc
        if proc is None or proc.popen.stdout is None or proc.drain is None or not proc.drain.is_alive():
            return  # no worker, or its output was read to the end
        deadline = time.monotonic() + limit_s
        try:
            while time.monotonic() < deadline and select.select([proc.popen.stdout.fileno()], [], [], 0)[0]:
                time.sleep(0.002)
        except (OSError, ValueError):  # the pipe closed: everything was read
            return

    def output(self) -> str:
        """What the student code printed since the output was last taken, in the current worker
        and in any stopped since (the first 64 KiB of each)."""
        printed = bytes(self._stopped_output)
        if self._proc is not None:
            self._let_drain_catch_up()
            printed += bytes(self._proc.output)
        return printed.decode("utf-8", errors="replace")

    def take_output(self) -> str:
        """Return the output so far and start over (one test's worth at a time)."""
        text = self.output()
        self._stopped_output.clear()
        if self._proc is not None:
            self._proc.output.clear()
        return text

    # ----------------------------------------------------------------- replies

    def _read_reply(self, *, timeout: float, what: str, limit_s: float | None = None) -> dict:
        proc = self._proc
        deadline = time.monotonic() + timeout
        while b"\n" not in proc.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                shown = timeout if limit_s is None else limit_s
                raise StudentError("timeout", f"{what} timed out after {_seconds(round(shown, 3))}",
                                   what=what)
            ready, _, _ = select.select([proc.reply_fd], [], [], min(left, 0.25))
            if not ready:
                if proc.output_exceeded:
                    raise self._limit_error(what)
                if proc.disk_exceeded or self._tmp_usage() > self.disk_quota:
                    raise self._disk_error(what)
                continue
            chunk = os.read(proc.reply_fd, 1 << 20)
            if not chunk:
                if proc.disk_exceeded:
                    raise self._disk_error(what)
                raise self._death(what)
            proc.buffer += chunk
            if len(proc.buffer) > protocol.MAX_MESSAGE:
                raise StudentError("protocol", f"{what}: the worker sent a reply larger than "
                                   f"{_human_bytes(protocol.MAX_MESSAGE)}", what=what)
        line, _, proc.buffer = proc.buffer.partition(b"\n")
        try:
            return protocol.parse_line(line)
        except protocol.ProtocolError as exc:
            raise StudentError("protocol", f"{what}: invalid reply from the worker ({exc})",
                               what=what) from None

    @property
    def disk_quota(self) -> int:
        """Bytes the worker's tmp may hold; a file is capped by RLIMIT_FSIZE, this caps them all."""
        return 4 * self.limits.file_mib * 2**20

    def _tmp_usage(self, max_entries: int = 20000) -> int:
        """Bytes in the worker's tmp (more than the quota if it holds too many entries)."""
        total, seen, stack = 0, 0, [self.tmp]
        while stack:
            try:
                entries = os.scandir(stack.pop())
            except OSError:
                continue
            with entries:
                for entry in entries:
                    seen += 1
                    if seen > max_entries:
                        return self.disk_quota + 1
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            stack.append(entry.path)
                        else:
                            # the larger of apparent and allocated size: a compressing file
                            # system (ZFS, btrfs) stores a file of zeros in almost no blocks
                            info = entry.stat(follow_symlinks=False)
                            total += max(info.st_size, info.st_blocks * 512)
                    except OSError:
                        pass
        return total

    def _empty_tmp(self) -> None:
        """Remove what the worker wrote (whatever modes it gave it); the folder itself stays."""
        from .submissions import remove_tree

        try:
            entries = list(os.scandir(self.tmp))
        except OSError:
            return
        for entry in entries:
            remove_tree(Path(entry.path))

    def _disk_error(self, what: str) -> StudentError:
        self._kill()
        self._empty_tmp()
        return StudentError("disk", f"{what} wrote more than {_human_bytes(self.disk_quota)} into its "
                            "working folder", what=what)

    def _limit_error(self, what: str) -> StudentError:
        return StudentError("output", f"{what} printed more than "
                            f"{_human_bytes(self.limits.output_kib * 1024)} of output", what=what)

    def _death(self, what: str) -> StudentError:
        proc = self._proc
        try:
            code = proc.popen.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        if proc.output_exceeded:
            return self._limit_error(what)
        if proc.disk_exceeded:  # the disk watch killed it (the pipe broke before the reply)
            return self._disk_error(what)
        if code is not None and code > 128 and self.isolation == "bwrap":
            code = 128 - code  # bwrap reports a child killed by signal N as exit status 128 + N
        if code is not None and code < 0:
            sig = -code
            name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
            if sig == signal.SIGXCPU:
                return StudentError("timeout", f"{what} exceeded the CPU time limit of "
                                    f"{_seconds(self.limits.submission_timeout_s)}", what=what)
            return StudentError("crashed", f"{what} killed the worker (signal {name}); its memory "
                                f"limit is {_human_bytes(self.limits.memory_mib * 2**20)}",
                                self.output()[-1500:], what=what)
        return StudentError("exited", f"{what} ended the worker process (exit code {code})",
                            self.output()[-1500:], what=what)

    # ----------------------------------------------------------------- calls

    def _ensure(self, module: str) -> None:
        if (module not in self._import_failures and module not in self.helpers
                and not (self.source / f"{module}.py").is_file()):
            self._import_failures[module] = StudentError("missing", f"{module}.py is not in the submission",
                                                         what=f"{module}.py")
        if module in self._import_failures:
            raise self._import_failures[module]
        if self._proc is None or self._proc.popen.poll() is not None:
            if self._proc is not None:
                stopped = self._proc
                self._kill()
                # stopped between calls (a thread kept writing or printing after its call
                # returned): the call that finds it says why; the next one starts afresh
                if stopped.disk_exceeded:
                    raise StudentError("disk", f"the student's code wrote more than "
                                       f"{_human_bytes(self.disk_quota)} into its working folder "
                                       "after a call returned")
                if stopped.output_exceeded:
                    raise StudentError("output", f"the student's code printed more than "
                                       f"{_human_bytes(self.limits.output_kib * 1024)} of output "
                                       "after a call returned")
            if self.starts > MAX_RESTARTS:
                raise StudentError("crashed", f"not run: the submission's code stopped the worker "
                                   f"{self.starts} times")
            self._start()
        if module not in self._loaded:
            try:
                self._request({"op": "load", "module": module}, what=f"importing {module}.py")
            except StudentError as exc:
                if exc.kind != "protocol":
                    self._import_failures[module] = exc  # deterministic: do not import it again
                raise
            self._loaded.add(module)

    def _request(self, request: dict, *, what: str):
        remaining = self.limits.submission_timeout_s - self.used_s
        if remaining <= 0:
            raise StudentError("budget", f"the submission used up its time budget of "
                               f"{_seconds(self.limits.submission_timeout_s)}", what=what)
        timeout = min(self.limits.call_timeout_s, remaining)
        request = dict(request, id=protocol.new_id())
        proc = self._proc
        start = time.perf_counter()
        try:
            try:
                proc.popen.stdin.write((json.dumps(request) + "\n").encode())
                proc.popen.stdin.flush()
            except OSError:
                raise self._death(what) from None
            while True:
                reply = self._read_reply(timeout=max(timeout - (time.perf_counter() - start), 0.001),
                                         what=what, limit_s=timeout)
                if reply.get("id") == request["id"]:
                    break
                # A line with another id was printed by student code on our descriptor: skip it.
            # what the call (or a thread of it) wrote counts now, not at the watch's next poll
            if self._tmp_usage() > self.disk_quota:
                raise self._disk_error(what)
        except StudentError:
            self.used_s += time.perf_counter() - start
            self._kill()
            raise
        wall = time.perf_counter() - start
        self.used_s += wall
        seconds = reply.get("seconds")
        # the worker's own measure, if it is a plain finite number (a forged 10**400 is not)
        student_s = min(seconds, wall) if type(seconds) is float and 0 <= seconds < wall else wall
        ok = reply.get("ok") is True
        self.calls.append(CallRecord(name=what, wall_s=wall, student_s=student_s, ok=ok))
        if not ok:
            raise self._student_exception(reply.get("error"), what)
        return reply.get("value")

    def _student_exception(self, error, what: str) -> StudentError:
        if not isinstance(error, dict):
            return StudentError("protocol", f"{what}: invalid reply from the worker", what=what)
        kind = str(error.get("type", ""))[:100]
        message = str(error.get("message", ""))[:4000]
        tb = str(error.get("traceback", ""))[:8000]
        builtin = error.get("builtin") is True and kind in _BUILTIN_ERRORS
        shown = kind if builtin else "an exception"
        if kind == "ReturnTypeError" and not error.get("builtin"):
            return StudentError("unsendable", f"{what} returned a value that cannot be graded",
                                message, what=what)
        if error.get("memory") is True:
            return StudentError("memory", f"{what} exceeded the memory limit of "
                                f"{_human_bytes(self.limits.memory_mib * 2**20)}", tb or message,
                                what=what)
        if builtin and kind == "SystemExit":  # the exit code is the student's text: detail only
            return StudentError("exited", f"{what} called sys.exit", message, what=what)
        if builtin and kind == "RecursionError":
            return StudentError("raised", f"{what} raised RecursionError", tb or message, what=what)
        return StudentError("raised", f"{what} raised {shown}", tb or f"{kind}: {message}",
                            what=what)

    def load(self, module: str) -> None:
        """Import ``module`` in the worker (done implicitly by :meth:`call`)."""
        self._ensure(module)

    def call(self, module: str, name: str, *args, **kwargs):
        """Call ``module.name(*args, **kwargs)`` in the worker and return the decoded value.

        Raises
        ------
        StudentError
            If the call raised, timed out, crashed the worker, printed too much or returned
            something that cannot cross the sandbox.
        """
        what = f"{module}.{name}"
        crashes = self._crashes.get(what, [])
        if len(crashes) >= MAX_CRASHES:
            raise StudentError(crashes[-1].kind, f"{what} is not called again: it stopped the worker "
                               f"{len(crashes)} times (last: {crashes[-1].summary})", what=what)
        self._ensure(module)
        prefix = f"in-{protocol.new_id()}"
        try:
            payload = {"op": "call", "module": module, "name": name,
                       "args": protocol.encode(list(args), dir_fd=self._tmp_fd, prefix=prefix),
                       "kwargs": protocol.encode(kwargs, dir_fd=self._tmp_fd, prefix=prefix + "k")}
        except OSError as exc:
            raise StudentError("protocol", f"{what}: the worker's tmp folder is unusable "
                               f"({exc.strerror})", what=what) from None
        try:
            value = self._request(payload, what=what)
        except StudentError as exc:
            if self._proc is None:  # the worker died or was killed
                self._crashes.setdefault(what, []).append(exc)
            raise
        try:
            return protocol.decode(value, dir_fd=self._tmp_fd, max_bytes=self.limits.file_mib * 2**20)
        except protocol.ProtocolError as exc:
            self._kill()
            raise StudentError("protocol", f"{what} returned an invalid value ({exc})", what=what) from None
        finally:
            self._cleanup(prefix)

    def _cleanup(self, prefix: str) -> None:
        try:
            names = os.listdir(self._tmp_fd)
        except OSError:
            return
        for name in names:
            if name.startswith((prefix, "out-")) and name.endswith(".npy"):
                try:
                    os.unlink(name, dir_fd=self._tmp_fd)
                except OSError:
                    pass

    # ----------------------------------------------------------------- files

    def list_files(self) -> list[str]:
        """Names of the files in the worker's tmp (what the student code wrote)."""
        try:
            names = os.listdir(self._tmp_fd)
        except OSError:
            return []
        return sorted(n for n in names if isinstance(n, str))[:10000]

    def read_file(self, name: str, *, max_bytes: int = 2**24) -> bytes:
        """Bytes of a regular file the student code wrote into its tmp (no links, no FIFOs)."""
        try:
            return protocol.open_regular(name, dir_fd=self._tmp_fd, max_bytes=max_bytes)
        except protocol.ProtocolError as exc:
            raise StudentError("missing", f"the file {name!r} could not be read ({exc})") from None

    def load_array(self, name: str):
        """A ``.npy`` file the student code wrote into its tmp, loaded with ``allow_pickle=False``."""
        try:
            return protocol.read_array(name, dir_fd=self._tmp_fd,
                                       budget=[1, self.limits.file_mib * 2**20])
        except protocol.ProtocolError as exc:
            raise StudentError("missing", f"the array {name!r} could not be read ({exc})") from None
