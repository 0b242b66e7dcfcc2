"""The grading records: what a grader child is asked to do, and what grading found.

Three frozen classes carry every grading fact across the processes that grade a class:

* :class:`GradingJob`: one submission to grade, written by the engine as ``job.json`` and read
  by the trusted grader child (``--cnnlab-job FILE``);
* :class:`TestResult`: one graded test, built by the pytest plugin in the grader child;
* :class:`SubmissionResult`: one student's result for one run, with its tests: what the gradebook
  stores (one column per field), what ``cnnlab grade --json`` prints and what the reports read.

Each field is named once, here. The gradebook derives its columns from these classes
(:func:`dataclasses.fields`), so a new field is one line in its class, with a default (records
written before it existed lack it); the gradebook adds the column to an older gradebook when it
opens it. ``to_json`` gives a plain dict with a ``schema`` field (``"cnnlab.grading.<kind>/N"``);
``from_json`` reads it back and refuses another schema.

Importing this module imports only the standard library.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from cnnlab.errors import UsageError

__all__ = ["SCHEMA_VERSION", "RESULTS_SCHEMA", "GradingJob", "TestResult", "SubmissionResult",
           "field_types"]

SCHEMA_VERSION = 1
"""The version of every grading record's JSON; a reader refuses records of another version."""
RESULTS_SCHEMA = f"cnnlab.grading.results/{SCHEMA_VERSION}"
"""The ``schema`` of the results file a grader child writes (its tests and sandbox figures)."""


@functools.cache
def field_types(cls) -> dict[str, tuple[type, bool]]:
    """Field name -> ``(base type, may be None)`` of a record class, in field order.

    ``int | None`` gives ``(int, True)``, ``tuple[str, ...]`` gives ``(tuple, False)``. The
    gradebook picks each column's SQL type from it.
    """
    hints = _hints(cls)
    kinds = {}
    for f in dataclasses.fields(cls):
        hint, optional = hints[f.name], False
        if typing.get_origin(hint) in (types.UnionType, typing.Union):
            rest = [a for a in typing.get_args(hint) if a is not type(None)]
            hint, optional = rest[0], len(rest) < len(typing.get_args(hint))
        kinds[f.name] = (typing.get_origin(hint) or hint, optional)
    return kinds


@functools.cache
def _hints(cls) -> dict[str, Any]:
    """Field name -> resolved type annotation, in field order (the classes are frozen, so once)."""
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


def _encode(value):
    if isinstance(value, _Record):
        return value.to_json(schema=False)
    if isinstance(value, (tuple, list)):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    return value


def _decode(hint, value):
    """``value`` (plain JSON) as the field's type: lists become tuples, dicts records."""
    if value is None:
        return None
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        return _decode(next(a for a in args if a is not type(None)), value)
    if isinstance(hint, type) and issubclass(hint, _Record):
        return value if isinstance(value, hint) else hint.from_json(value)
    if origin is tuple and isinstance(value, (list, tuple)):
        return tuple(_decode(args[0], v) for v in value) if args else tuple(value)
    if origin is dict and isinstance(value, dict):
        return dict(value)
    return value


class _Record:
    """``to_json``, ``from_json`` and ``replace`` of the record classes."""

    KIND: ClassVar[str]

    @classmethod
    def schema(cls) -> str:
        """``"cnnlab.grading.<kind>/<SCHEMA_VERSION>"``, the ``schema`` field of the JSON."""
        return f"cnnlab.grading.{cls.KIND}/{SCHEMA_VERSION}"

    def to_json(self, *, schema: bool = True) -> dict[str, Any]:
        """A plain dict (JSON types only): ``schema`` first (unless ``schema=False``, for a
        record inside another), then the fields in order; nested records and tuples become dicts
        and lists."""
        data = {"schema": self.schema()} if schema else {}
        data.update((f.name, _encode(getattr(self, f.name))) for f in dataclasses.fields(self))
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]):
        """The record of a :meth:`to_json` dict (or of a JSON text).

        A dict without ``schema`` is read as the current version (a record nested in another,
        or a job written by hand).

        Raises
        ------
        UsageError
            For another schema, an unknown field or a missing required one.
        """
        if isinstance(data, (str, bytes)):
            data = json.loads(data)
        if not isinstance(data, dict):
            raise UsageError(f"a {cls.__name__} is a JSON object, got {type(data).__name__}")
        given = data.get("schema", cls.schema())
        if given != cls.schema():
            raise UsageError(f"{cls.__name__}: schema {given!r} is not the one this cnnlab reads "
                             f"({cls.schema()!r}); read it with the cnnlab version that wrote it")
        hints = _hints(cls)
        names = list(hints)
        unknown = sorted(set(data) - set(names) - {"schema"})
        if unknown:
            raise UsageError(f"{cls.__name__}: unknown field(s) {', '.join(unknown)}; "
                             f"fields: {', '.join(names)}")
        missing = [f.name for f in dataclasses.fields(cls) if f.name not in data
                   and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
        if missing:
            raise UsageError(f"{cls.__name__}: missing field(s) {', '.join(missing)}")
        return cls(**{k: _decode(hints[k], v) for k, v in data.items() if k != "schema"})

    def replace(self, **changes):
        """A copy with ``changes`` (the record is frozen)."""
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True, kw_only=True)
class GradingJob(_Record):
    """One submission for a trusted grader child: written as ``job.json`` by the engine (or a
    Dask worker), given to pytest as ``--cnnlab-job job.json``.

    Attributes
    ----------
    assignment : str
        The assignment folder (its ``assignment.toml`` and ``tests/``).
    source : str, optional
        The unpacked submission folder the student's worker loads (default: the assignment's
        ``solution/``, else ``starter/``).
    results : str, optional
        Where the grader child writes its results file (see :data:`RESULTS_SCHEMA`).
    isolation : str, default="auto"
        The worker sandbox (``bwrap`` or ``rlimits``; ``auto``: bubblewrap where it works).
    scratch : str, optional
        The folder for the workers' working folders (default: a pytest temporary folder).
    limits : dict
        Overrides of the assignment's limits, e.g. ``{"call_timeout_s": 2}``.
    layers : tuple of str, optional
        Worker lock-down layers (default: all); tests use it to check the fallback.
    public_only : bool, default=False
        Run only the tests whose visibility is ``visible``.
    work : str, optional
        The engine's folder for this submission (``job.json``, ``results.json``, ``sandbox/``);
        removed once the submission is recorded.
    digest : str
        SHA-256 of the submission's files (see :func:`cnnlab.bench.grading.submissions.digest`).
    files : tuple of str
        The files the assignment requires.
    grader_memory_mib : float, optional
        Resident memory the grader child may reach (default
        :data:`cnnlab.bench.grading.grader.GRADER_MEMORY_MIB`).
    """

    KIND: ClassVar[str] = "job"

    assignment: str
    source: str | None = None
    results: str | None = None
    isolation: str = "auto"
    scratch: str | None = None
    limits: dict[str, float] = field(default_factory=dict)
    layers: tuple[str, ...] | None = None
    public_only: bool = False
    work: str | None = None
    digest: str = ""
    files: tuple[str, ...] = ()
    grader_memory_mib: float | None = None

    def write(self, path: str | Path) -> Path:
        """Write the job as JSON to ``path``; return the path."""
        path = Path(path)
        path.write_text(json.dumps(self.to_json()), encoding="utf-8")
        return path

    @classmethod
    def read(cls, path: str | Path) -> GradingJob:
        """The job in the JSON file ``path``.

        Raises
        ------
        UsageError
            For a missing or unreadable file, or a job of another schema.
        """
        try:
            text = Path(path).read_text(encoding="utf-8")
            return cls.from_json(json.loads(text))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise UsageError(f"cannot read the grading job {str(path)!r} ({exc})") from None


@dataclass(frozen=True, kw_only=True)
class TestResult(_Record):
    """One graded test, as the pytest plugin records it in the grader child.

    Attributes
    ----------
    test : str
        The test's name within its file (``test_macro_f1``, ``test_x[case]``).
    number : str
        Its place in the run, from 1 (public tests first).
    file : str
        The test file's name.
    description : str
        The first paragraph of its docstring (visible tests only).
    points, max_points : float
        Earned and possible points.
    status : str
        ``passed``, ``partial``, ``failed``, ``error`` or ``skipped``.
    message : str
        Why it lost points (for a test that is not visible, only the grader's own words).
    output : str
        What the student's code printed during the test (visible tests only).
    visibility : str
        ``visible``, ``hidden``, ``after_due_date`` or ``after_published``.
    duration_s, student_s : float
        Wall time of the test, and the part of it spent in the student's code.
    """

    __test__ = False  # not a pytest test class, despite its name
    KIND: ClassVar[str] = "test"

    test: str
    number: str = ""
    file: str = ""
    description: str = ""
    points: float
    max_points: float
    status: str
    message: str = ""
    output: str = ""
    visibility: str
    duration_s: float = 0.0
    student_s: float = 0.0


@dataclass(frozen=True, kw_only=True)
class SubmissionResult(_Record):
    """One student's result in one grading run: a row of the gradebook with its tests.

    Attributes
    ----------
    run_id : int, optional
        The gradebook's run (set when the gradebook records it).
    assignment : str
    student : str
    scope : str
        ``all`` or ``public`` (the visible tests only).
    source : str, optional
        The submission as handed in (folder, ``.zip`` or ``.ipynb``).
    digest : str, optional
        SHA-256 of its files.
    status : str
        ``graded``, ``error`` (grading failed for a reason other than the student's code being
        wrong) or ``missing`` (on the roster without a submission).
    score : float
        Points earned, after any late penalty.
    max_score : float
        Points possible.
    isolation : str, optional
        The sandbox layers of the student's worker, or ``"missing file"`` where no student code
        ran because a required file is missing.
    wall_s, cpu_s, student_s, worker_start_s : float, optional
        Wall time of grading, CPU time of the grader child and its workers, time in the
        student's code, time starting workers.
    message : str
        Why grading failed, or which file is missing.
    graded_at : str, optional
        When the gradebook recorded it (ISO 8601, UTC).
    leaderboard : tuple of dict
        ``{"name", "value", "order"}`` per metric the assignment's leaderboard declares.
    grader_digest : str, optional
        What decided the grade besides the submission (see
        :func:`cnnlab.bench.grading.grader.grader_digest`).
    grader_mib : float, optional
        Peak resident memory of the trusted grader child.
    submitted_at : str, optional
        When it was handed in (ISO 8601), where a late-submission policy applies.
    late_seconds : float, default=0.0
        How late it was handed in.
    penalty : float, default=0.0
        Points deducted for lateness (``score`` is after the penalty).
    raw_score : float, optional
        The score before the penalty (None: no policy applied).
    submitted_from : str, optional
        Where ``submitted_at`` came from (:data:`cnnlab.bench.grading.late.SOURCES`).
    tests : tuple of TestResult
        In test order.
    """

    KIND: ClassVar[str] = "submission"

    run_id: int | None = None
    assignment: str = ""
    student: str
    scope: str = "all"
    source: str | None = None
    digest: str | None = None
    status: str
    score: float = 0.0
    max_score: float = 0.0
    isolation: str | None = None
    wall_s: float | None = None
    cpu_s: float | None = None
    student_s: float | None = None
    worker_start_s: float | None = None
    message: str = ""
    graded_at: str | None = None
    leaderboard: tuple[dict[str, Any], ...] = ()
    grader_digest: str | None = None
    grader_mib: float | None = None
    submitted_at: str | None = None
    late_seconds: float = 0.0
    penalty: float = 0.0
    raw_score: float | None = None
    submitted_from: str | None = None
    tests: tuple[TestResult, ...] = ()
