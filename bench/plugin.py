"""cnnlab's pytest plugin: points, visibility, partial credit and the ``student`` fixture.

Registered as the ``cnnlab`` entry point in the ``pytest11`` group, so it is loaded in every
pytest session; it stays quiet unless a test uses ``student`` or carries ``points``. Importing
it imports no framework and not even numpy.

In an assignment's tests::

    @pytest.mark.points(4)
    @pytest.mark.visibility("hidden")          # default: "visible" (or "hidden" under tests/hidden)
    def test_macro_f1(student, credit):
        for y_true, y_pred in cases:
            with credit.part(1):               # 1 of the 4 points per case
                got = student.metrics.precision_recall_f1(y_true, y_pred, 3)
                assert np.allclose(got, expected(y_true, y_pred))

``student.<module>.<function>(...)`` runs in the sandboxed worker and returns plain data; a call
that fails raises :class:`cnnlab.bench.grading.client.StudentError`. Run ``pytest`` on an assignment's
``tests/`` and the plugin grades its ``solution/`` (``--cnnlab-submission DIR`` grades another
folder). A grader child of ``cnnlab grade`` gets its whole job as one file, ``--cnnlab-job FILE``
(a :class:`cnnlab.bench.grading.records.GradingJob`); each graded test becomes a
:class:`~cnnlab.bench.grading.records.TestResult`.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import os
import time
from pathlib import Path

import pytest

from cnnlab.errors import UsageError

VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")
_STATE = pytest.StashKey()
_ITEM = pytest.StashKey()
_MESSAGE_CHARS = 2000
_OUTPUT_CHARS = 2000


# ----------------------------------------------------------------------------- options, markers


def pytest_addoption(parser):
    group = parser.getgroup("cnnlab", "cnnlab grading")
    group.addoption("--cnnlab-job", metavar="FILE",
                    help="grade as this GradingJob JSON says (what `cnnlab grade` gives each "
                         "grader child); not combined with the options below")
    # for running an assignment's tests by hand
    group.addoption("--cnnlab-submission", metavar="DIR",
                    help="submission folder the student fixture loads (default: the "
                         "assignment's solution/, else starter/)")
    group.addoption("--cnnlab-isolation", choices=("auto", "bwrap", "rlimits"),
                    help="sandbox of the student worker (default: bwrap where it works)")
    group.addoption("--cnnlab-public-only", action="store_true", default=None,
                    help="run only the tests whose visibility is 'visible'")
    group.addoption("--cnnlab-results", metavar="FILE", help="write the graded records as JSON")


_BY_HAND = {"--cnnlab-submission": "source", "--cnnlab-isolation": "isolation",
            "--cnnlab-public-only": "public_only", "--cnnlab-results": "results"}


def _job(config):
    """The :class:`~cnnlab.bench.grading.records.GradingJob` of this session: the ``--cnnlab-job``
    file, else the options given by hand.

    Raises
    ------
    pytest.UsageError
        For an unreadable job file, or one given with the options it replaces.
    """
    from cnnlab.bench.grading.records import GradingJob

    given = {key: config.getoption(flag, None) for flag, key in _BY_HAND.items()}
    given = {key: value for key, value in given.items() if value is not None}
    path = config.getoption("--cnnlab-job", None)
    if path is None:
        return GradingJob(assignment=str(config.rootpath), **given)
    if given:
        flags = [flag for flag, key in _BY_HAND.items() if key in given]
        raise pytest.UsageError(f"--cnnlab-job carries the whole job; leave out {', '.join(flags)}")
    try:
        return GradingJob.read(path)
    except UsageError as exc:
        raise pytest.UsageError(str(exc)) from None


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "points(n): points this test is worth (cnnlab grading); default 1")
    config.addinivalue_line(
        "markers", "visibility(v): who sees this test's result: "
        "visible, hidden, after_due_date or after_published (cnnlab grading)")
    config.stash[_STATE] = _Session(config)


def pytest_unconfigure(config):
    state = config.stash.get(_STATE, None)
    if state is not None:
        state.close()


# ----------------------------------------------------------------------------- marker values


def _points(item) -> float:
    marker = item.get_closest_marker("points")
    if marker is None:
        return 1.0
    value = marker.args[0] if marker.args else marker.kwargs.get("n")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.points needs a number >= 0, got {value!r}")
    return float(value)


def _visibility(item) -> str:
    marker = item.get_closest_marker("visibility")
    if marker is None:
        parts = Path(str(item.path)).parts
        return "hidden" if "hidden" in parts[-3:-1] else "visible"
    value = marker.args[0] if marker.args else marker.kwargs.get("value")
    if value not in VISIBILITIES:
        raise pytest.UsageError(
            f"{item.nodeid}: @pytest.mark.visibility must be one of {', '.join(VISIBILITIES)}, "
            f"got {value!r}")
    return value


def pytest_collection_modifyitems(session, config, items):
    state = config.stash[_STATE]
    for number, item in enumerate(items, start=1):
        item.stash[_ITEM] = {"number": str(number), "points": _points(item),
                             "visibility": _visibility(item),
                             "graded": item.get_closest_marker("points") is not None}
    if state.given and state.job.public_only:
        keep = [i for i in items if i.stash[_ITEM]["visibility"] == "visible"]
        dropped = [i for i in items if i.stash[_ITEM]["visibility"] != "visible"]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = keep


# ----------------------------------------------------------------------------- the session


class _Session:
    """Workers (one per assignment and submission) and the records of this pytest session."""

    def __init__(self, config):
        self.config = config
        # a pytest session without cnnlab's options reads its job only when a test asks for the
        # student: the plugin is loaded in every session, and the job imports the grading package
        self.given = any(config.getoption(flag, None) is not None
                         for flag in ("--cnnlab-job", *_BY_HAND))
        self._job = _job(config) if self.given else None
        self.workers: dict = {}
        self.records: list = []  # TestResult, one per graded test
        self.leaderboard = None  # a bench.grading.leaderboard.Recorder, once a test asks for it
        self.started = time.perf_counter()

    @property
    def job(self):
        """This session's :class:`~cnnlab.bench.grading.records.GradingJob`."""
        if self._job is None:
            self._job = _job(self.config)
        return self._job

    def recorder(self, test_path: Path):
        """The submission's leaderboard recorder, for the metrics its assignment declares."""
        from cnnlab.bench.grading import assignment as assignments
        from cnnlab.bench.grading.leaderboard import Recorder

        if self.leaderboard is None:
            root = assignments.find_root(test_path)
            self.leaderboard = Recorder(assignments.load(root).leaderboard if root else ())
        return self.leaderboard

    def worker(self, test_path: Path, tmp_factory):
        from cnnlab.bench.grading import assignment as assignments
        from cnnlab.bench.grading import sandbox
        from cnnlab.bench.grading.client import Worker

        root = assignments.find_root(test_path)
        if root is None:
            raise pytest.UsageError(f"{test_path}: the student fixture needs an assignment.toml "
                                    "in this folder or above")
        spec, job = assignments.load(root), self.job
        if job.source:
            source = Path(job.source).resolve()
        else:
            source = spec.solution_dir if spec.solution_dir.is_dir() else spec.starter_dir
        key = (str(root), str(source))
        if key not in self.workers:
            scratch = Path(job.scratch) if job.scratch else tmp_factory.mktemp("cnnlab")
            scratch = scratch / f"worker{len(self.workers)}"
            limits = spec.limits.replace(**job.limits) if job.limits else spec.limits
            options = {} if job.layers is None else {"layers": job.layers}
            self.workers[key] = Worker(
                source=source, scratch=scratch, isolation=sandbox.resolve(job.isolation),
                limits=limits, imports=spec.imports, env=spec.env, helpers=spec.helpers,
                reap_orphans=bool(job.scratch), **options)  # scratch: run by `cnnlab grade`
        return self.workers[key]

    def summary(self) -> dict:
        workers = list(self.workers.values())
        calls = [c for w in workers for c in w.calls]
        labels = sorted({w.isolation_label for w in workers if w.starts})
        return {
            "isolation": ", ".join(labels) or "none",
            "worker_starts": sum(w.starts for w in workers),
            # workers that said hello (applied_layers is set only then): zero means that no
            # student code ran, and the engine records an error instead of a grade
            "workers_ready": sum(1 for w in workers if w.applied_layers),
            "worker_start_s": sum(w.started_s for w in workers),
            "calls": len(calls),
            "call_wall_s": sum(c.wall_s for c in calls),
            "student_s": sum(c.student_s for c in calls),
            "session_s": time.perf_counter() - self.started,
        }

    def close(self):
        for worker in self.workers.values():
            worker.close()
        self.workers.clear()


def _cpu_seconds() -> float:
    """CPU time of this process and of the workers it has reaped."""
    import resource

    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


# ----------------------------------------------------------------------------- fixtures


class Student:
    """The submission as tests see it: ``student.<module>.<function>(*args, **kwargs)``.

    Arguments and return values are plain data: numpy arrays, numbers, strings, lists, tuples
    and dicts of them. Files the student code writes into its working folder are read with
    :meth:`files`, :meth:`read_file` and :meth:`load_array`.
    """

    def __init__(self, worker):
        object.__setattr__(self, "_worker", worker)

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return _Module(self._worker, name)

    def module(self, name: str):
        """The student module ``name`` (the same as ``student.<name>``)."""
        return _Module(self._worker, name)

    def call(self, qualified: str, *args, **kwargs):
        """Call ``"module.function"`` with the arguments; return its value."""
        module, _, function = qualified.rpartition(".")
        if not module or not function:
            raise UsageError(f"call needs 'module.function', got {qualified!r}")
        return self._worker.call(module, function, *args, **kwargs)

    def files(self) -> list[str]:
        """Names of the files in the student code's working folder."""
        return self._worker.list_files()

    def read_file(self, name: str, *, max_bytes: int = 2**24) -> bytes:
        """Bytes of a file the student code wrote (a plain file; links are refused)."""
        return self._worker.read_file(name, max_bytes=max_bytes)

    def load_array(self, name: str):
        """A ``.npy`` file the student code wrote, loaded with ``allow_pickle=False``."""
        return self._worker.load_array(name)

    @property
    def isolation(self) -> str:
        """The sandbox layers of the worker, e.g. ``"bwrap+capabilities+seccomp+rlimits"``."""
        return self._worker.isolation_label


class _Module:
    def __init__(self, worker, name):
        self._worker, self._name = worker, name

    def __getattr__(self, function: str):
        if function.startswith("_"):
            raise AttributeError(function)
        worker, module = self._worker, self._name

        def call(*args, **kwargs):
            return worker.call(module, function, *args, **kwargs)

        call.__name__ = call.__qualname__ = f"{module}.{function}"
        return call


@pytest.fixture
def student(request, tmp_path_factory):
    """The submission under test, behind the sandbox (see :class:`Student`)."""
    state = request.config.stash[_STATE]
    worker = state.worker(Path(str(request.node.path)), tmp_path_factory)
    worker.take_output()
    info = request.node.stash.setdefault(_ITEM, {})
    info["worker"], info["graded"] = worker, True
    info["calls_before"] = len(worker.calls)
    return Student(worker)


class Credit:
    """Partial credit within one test: each ``with credit.part(weight):`` block that raises
    loses its weight; the test earns ``points * passed weight / total weight``.

    A failure outside the blocks fails the whole test (no points).
    """

    def __init__(self):
        self.parts: list[dict] = []

    @contextlib.contextmanager
    def part(self, weight: float = 1.0, name: str | None = None):
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight <= 0:
            raise UsageError(f"credit.part weight must be a positive number, got {weight!r}")
        record = {"weight": float(weight), "name": name or f"part {len(self.parts) + 1}",
                  "error": None}
        self.parts.append(record)
        try:
            yield
        except Exception as exc:  # noqa: BLE001 - any failure inside a part costs that part
            record["error"] = exc

    @property
    def fraction(self) -> float:
        total = sum(p["weight"] for p in self.parts)
        return 1.0 if total == 0 else sum(p["weight"] for p in self.parts if p["error"] is None) / total


class PartialCredit(AssertionError):
    """Raised after a test whose credit parts did not all pass."""

    def __init__(self, credit: Credit):
        failed = [p for p in credit.parts if p["error"] is not None]
        self.headline = f"{len(failed)} of {len(credit.parts)} parts failed"
        self.credit = credit
        super().__init__(_describe(self, True))


@pytest.fixture
def leaderboard(request):
    """``leaderboard.record(name, value)``: a value of a metric declared in ``assignment.toml``
    ``[leaderboard]`` (see :mod:`cnnlab.bench.grading.leaderboard`)."""
    return request.config.stash[_STATE].recorder(Path(str(request.node.path)))


@pytest.fixture
def note(request):
    """``note(text)``: a line for the student's feedback that is kept when the test passes (an
    equivalent layout the grader accepted, say). Visible tests only: a hidden test's message
    stays within the grader's fixed vocabulary."""
    return request.node.stash.setdefault(_ITEM, {}).setdefault("notes", []).append


@pytest.fixture
def credit(request):
    """Partial credit within a test (see :class:`Credit`)."""
    value = Credit()
    info = request.node.stash.setdefault(_ITEM, {})
    info["credit"], info["graded"] = value, True
    return value


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    __tracebackhide__ = True
    result = yield
    value = item.stash.get(_ITEM, {}).get("credit")
    if value is not None and any(p["error"] is not None for p in value.parts):
        raise PartialCredit(value)
    return result


# ----------------------------------------------------------------------------- records


def _describe(exc, visible: bool) -> str:
    """A failure message. For tests that are not visible, only text the grader wrote: student
    code must not be able to smuggle hidden inputs out through an exception or its output."""
    from cnnlab.bench.grading.client import StudentError

    if isinstance(exc, StudentError):
        if not visible:  # a fixed phrase per kind: no class name, exit code or signal of theirs
            return exc.hidden
        if exc.detail:
            return f"{exc.summary}\n{exc.detail[-1500:]}"
        return exc.summary
    if isinstance(exc, PartialCredit):
        lines = [exc.headline]
        for part in exc.credit.parts:
            if part["error"] is not None:
                text = _describe(part["error"], visible)
                prefix = "" if text.startswith(part["name"]) else f"{part['name']}: "
                lines.append(f"- {prefix}{text}")
        return "\n".join(lines)
    if isinstance(exc, AssertionError):
        text = str(exc)
        custom, _, _ = text.partition("\nassert ")  # pytest appends its explanation after a message
        if not visible:  # an assertion's text can carry what the student returned (a dtype's
            return "wrong result"  # field names, a shape): none of it for a hidden test
        return text if text.startswith("assert ") else custom
    if visible:
        return f"{type(exc).__name__}: {exc}"
    return "wrong result"  # the class of an error the returned value provoked is a channel too


def _clip(text: str, limit: int) -> str:
    text = "".join(ch for ch in text if ch in "\n\t" or ch.isprintable())
    return text if len(text) <= limit else text[: limit - 15] + "\n[... clipped]"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    info = item.stash.get(_ITEM, None)
    if info is None or "number" not in info:
        return report
    if call.when == "setup":
        info["setup_exc"] = call.excinfo.value if call.excinfo and report.failed else None
        info["skipped"] = report.skipped
    elif call.when == "call":
        info["call_exc"] = call.excinfo.value if call.excinfo else None
        info["call_outcome"] = report.outcome
        info["duration_s"] = call.duration
    elif call.when == "teardown" and info.get("graded"):
        item.config.stash[_STATE].records.append(_record(item, info))
    return report


def _description(item) -> str:
    """The first paragraph of the test function's docstring, on one line (whole sentences, never
    a first line cut where the docstring wraps)."""
    function = getattr(item, "function", None)
    doc = inspect.cleandoc(getattr(function, "__doc__", None) or "")
    return " ".join(doc.split("\n\n", 1)[0].split())


def _record(item, info):
    """The :class:`~cnnlab.bench.grading.records.TestResult` of a test that has run."""
    from cnnlab.bench.grading.records import TestResult

    visibility, max_points = info["visibility"], info["points"]
    visible = visibility == "visible"
    exc = info.get("setup_exc") or info.get("call_exc")
    earned, status, message = 0.0, "failed", ""
    if info.get("setup_exc") is not None:
        status = "error"
        message = _describe(info["setup_exc"], visible)
    elif info.get("skipped") or info.get("call_outcome") == "skipped":
        status, message = "skipped", "skipped"
    elif info.get("call_outcome") == "passed":
        earned, status = max_points, "passed"
    elif isinstance(exc, PartialCredit):
        earned = round(max_points * exc.credit.fraction, 6)
        status = "partial" if earned > 0 else "failed"
        message = _describe(exc, visible)
    elif exc is not None:
        message = _describe(exc, visible)
    if visible and info.get("notes"):
        message = "\n".join([*filter(None, [message]), *info["notes"]])
    worker = info.get("worker")
    output, student_s = "", 0.0
    if worker is not None:
        calls = worker.calls[info.get("calls_before", 0):]
        student_s = sum(c.student_s for c in calls)
        output = worker.take_output() if visible else ""
        worker.take_output()
    return TestResult(
        test=item.nodeid.split("::", 1)[-1], number=info["number"], file=Path(str(item.path)).name,
        description=_description(item) if visible else "", points=earned, max_points=max_points,
        status=status, message=_clip(message, _MESSAGE_CHARS), output=_clip(output, _OUTPUT_CHARS),
        visibility=visibility, duration_s=round(info.get("duration_s", 0.0), 6),
        student_s=round(student_s, 6))


def pytest_sessionfinish(session, exitstatus):
    state = session.config.stash.get(_STATE, None)
    if state is None:
        return
    summary = state.summary()
    state.close()
    summary["cpu_s"] = _cpu_seconds()  # after close: the workers are reaped and counted
    if state.given and state.job.results:
        from cnnlab.bench.grading.records import RESULTS_SCHEMA

        payload = {"schema": RESULTS_SCHEMA, "records": [r.to_json(schema=False) for r in state.records],
                   **summary, "leaderboard": state.leaderboard.entries() if state.leaderboard else []}
        path = Path(state.job.results)
        tmp = path.with_suffix(".part")
        tmp.write_text(json.dumps(payload), encoding="utf-8")
        os.replace(tmp, path)
    state.final = summary


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    state = config.stash.get(_STATE, None)
    if state is None or not state.records:
        return
    got = sum(r.points for r in state.records)
    total = sum(r.max_points for r in state.records)
    isolation = getattr(state, "final", {}).get("isolation", "none")
    terminalreporter.write_sep("-", f"cnnlab: {got:g} / {total:g} points (sandbox: {isolation})")
