"""Assignments: a folder with ``assignment.toml``, ``README.md``, ``starter/``, ``solution/``,
``tests/public/``, ``tests/hidden/`` and ``fixtures/``.

``assignment.toml``::

    [assignment]
    title = "Classification metrics with numpy"
    points = 100
    files = ["metrics.py"]          # what a submission must contain
    due = 2030-01-31T23:59:00Z      # optional; gates visibility "after_due_date"; UTC without an offset

    [late]                          # optional; needs due (see cnnlab.bench.grading.late)
    grace = "15m"
    per = "day"                     # or "hour"
    penalty = 0.1                   # of the points per started day; or penalty_points = 5
    cap = 0.5
    cutoff = "7d"

    [limits]                        # optional; defaults in Limits
    call_timeout_s = 10
    submission_timeout_s = 120
    memory_mib = 1024
    output_kib = 256

    [sandbox]                       # optional
    imports = ["numpy"]             # preloaded in the worker: numpy, torch, keras, ...
    env = { KERAS_BACKEND = "torch" }
    helpers = ["model_export"]      # cnnlab modules the worker may run (bench/judges/helpers)

    [options]                       # optional; free-form settings the assignment's tests read
    forbid_model_zoo = true

    [leaderboard]                   # optional; metric = "desc" or "asc" (see leaderboard.py)
    "digits accuracy" = "desc"
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cnnlab import paths
from cnnlab.errors import UsageError

from .late import LatePolicy, parse_policy

VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_MODULE_FILE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\.py$")


@dataclass(frozen=True)
class Limits:
    """Per-call and per-submission limits of the sandboxed worker.

    Attributes
    ----------
    call_timeout_s : float
        Wall-clock seconds one call into student code may take.
    submission_timeout_s : float
        Wall-clock seconds all calls of one submission may take together.
    memory_mib : int
        Address-space limit of the worker (``RLIMIT_AS``).
    processes : int
        Processes the worker may add (``RLIMIT_NPROC``, on top of the user's current count);
        seccomp forbids new processes anyway where it is available.
    output_kib : int
        Bytes the student code may print, stdout and stderr together.
    file_mib : int
        Largest file the worker may write (``RLIMIT_FSIZE``).
    open_files : int
        Open file descriptors (``RLIMIT_NOFILE``).
    """

    call_timeout_s: float = 10.0
    submission_timeout_s: float = 300.0
    memory_mib: int = 2048
    processes: int = 16
    output_kib: int = 1024
    file_mib: int = 256
    open_files: int = 256

    def replace(self, **changes: Any) -> Limits:
        """Return a copy with ``changes`` applied (validated)."""
        return _limits({**dataclasses.asdict(self), **changes}, where="limits")


@dataclass(frozen=True)
class Assignment:
    """An assignment folder, read from its ``assignment.toml``.

    Attributes
    ----------
    name : str
        The folder's name.
    root : Path
        The folder.
    title : str
    points : float
        Total points; the tests' ``points`` markers should add up to it.
    files : tuple of str
        Python files a submission must contain, e.g. ``("metrics.py",)``.
    due : datetime or None
        Due date (timezone-aware); tests marked ``after_due_date`` are shown after it.
    limits : Limits
    imports : tuple of str
        Modules the worker imports before the student's code (numpy, torch, keras, ...).
    env : dict
        Extra environment variables of the worker.
    helpers : tuple of str
        cnnlab's worker-side helper modules the worker can import (``bench/judges/helpers``).
    options : dict
        The ``[options]`` table, for the assignment's own tests.
    leaderboard : tuple of Metric
        Declared leaderboard metrics.
    late : LatePolicy or None
        The ``[late]`` table: what lateness costs (:mod:`cnnlab.bench.grading.late`).
    """

    name: str
    root: Path
    title: str
    points: float
    files: tuple[str, ...]
    due: dt.datetime | None = None
    limits: Limits = field(default_factory=Limits)
    imports: tuple[str, ...] = ("numpy",)
    env: dict[str, str] = field(default_factory=dict)
    helpers: tuple[str, ...] = ()
    options: dict[str, Any] = field(default_factory=dict)
    leaderboard: tuple = ()
    late: LatePolicy | None = None

    @property
    def modules(self) -> tuple[str, ...]:
        """The importable module names of ``files``."""
        return tuple(f[:-3] for f in self.files)

    @property
    def tests_dir(self) -> Path:
        return self.root / "tests"

    @property
    def public_tests_dir(self) -> Path:
        return self.root / "tests" / "public"

    @property
    def hidden_tests_dir(self) -> Path:
        return self.root / "tests" / "hidden"

    @property
    def solution_dir(self) -> Path:
        return self.root / "solution"

    @property
    def starter_dir(self) -> Path:
        return self.root / "starter"

    @property
    def fixtures_dir(self) -> Path:
        return self.root / "fixtures"


def available() -> list[str]:
    """Names of the assignments that can be given by name: the bundled ones and those in the
    folders of ``CNNLAB_ASSIGNMENTS`` (see :mod:`cnnlab.paths`)."""
    return sorted({p.name for folder in paths.assignment_folders() if folder.is_dir()
                   for p in folder.iterdir() if (p / "assignment.toml").is_file()})


def _by_name(name: str) -> Path | None:
    """The folder of the assignment called ``name``, the first of :func:`paths.assignment_folders`."""
    if not _NAME.match(name):
        return None
    return next((folder / name for folder in paths.assignment_folders()
                 if (folder / name / "assignment.toml").is_file()), None)


def examples(name: str) -> Path:
    """The folder of sample submissions of a bundled assignment (what ``cnnlab demo`` grades).

    Raises
    ------
    ValueError
        If the assignment has no examples; the message lists the ones that do.
    """
    examples_dir = paths.examples_dir()
    folder = examples_dir / name
    if not folder.is_dir():
        have = sorted(p.name for p in examples_dir.iterdir() if p.is_dir()) if examples_dir.is_dir() else []
        raise UsageError(f"no examples for assignment {name!r}; examples exist for: {', '.join(have) or 'none'}")
    return folder


def find_root(path: str | Path) -> Path | None:
    """The assignment folder that contains ``path`` (``path`` itself included), or None."""
    path = Path(path).resolve()
    for candidate in [path, *path.parents]:
        if (candidate / "assignment.toml").is_file():
            return candidate
    return None


def load(assignment: str | Path | Assignment) -> Assignment:
    """Read an assignment.

    Parameters
    ----------
    assignment : str, Path or Assignment
        A bundled assignment's name (``"metrics"``), or the path of an assignment folder or of
        its ``assignment.toml``.

    Returns
    -------
    Assignment

    Raises
    ------
    ValueError
        If the assignment does not exist (the message lists the bundled ones) or its
        ``assignment.toml`` is malformed (the message names the key).
    """
    if isinstance(assignment, Assignment):
        return assignment
    path = Path(assignment)
    if path.name == "assignment.toml":
        path = path.parent
    if not (path / "assignment.toml").is_file():
        found = _by_name(str(assignment))
        if found is not None:
            path = found
        else:
            choices = ", ".join(available()) or "none"
            raise UsageError(
                f"assignment {str(assignment)!r} not found: give a folder with an "
                f"assignment.toml or one of the bundled assignments: {choices}"
            )
    toml_path = path / "assignment.toml"
    try:
        data = tomllib.loads(toml_path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{toml_path}: not valid TOML: {exc}") from None
    unknown = set(data) - {"assignment", "limits", "sandbox", "options", "leaderboard", "late"}
    if unknown:
        raise UsageError(f"{toml_path}: unknown table(s) {sorted(unknown)}; valid: assignment, "
                         "limits, sandbox, options, leaderboard, late")
    meta = dict(data.get("assignment", {}))
    where = f"{toml_path} [assignment]"
    title = _pop(meta, "title", str, where, default=path.name)
    points = _pop(meta, "points", (int, float), where)
    if points <= 0:
        raise UsageError(f"{where}: points must be positive, got {points!r}")
    files = _pop(meta, "files", list, where)
    if not files or not all(isinstance(f, str) and _MODULE_FILE.match(f) for f in files):
        raise UsageError(f"{where}: files must be a non-empty list of Python file names like 'metrics.py', got {files!r}")
    due = _pop(meta, "due", (dt.datetime, dt.date), where, default=None)
    if isinstance(due, dt.date) and not isinstance(due, dt.datetime):
        due = dt.datetime.combine(due, dt.time(23, 59, 59))
    if due is not None and due.tzinfo is None:
        due = due.replace(tzinfo=dt.UTC)
    if meta:
        raise UsageError(f"{where}: unknown key(s) {sorted(meta)}; valid: title, points, files, due")
    limits = _limits(data.get("limits", {}), where=f"{toml_path} [limits]")
    sandbox = dict(data.get("sandbox", {}))
    where = f"{toml_path} [sandbox]"
    imports = _pop(sandbox, "imports", list, where, default=["numpy"])
    env = _pop(sandbox, "env", dict, where, default={})
    helpers = _pop(sandbox, "helpers", list, where, default=[])
    if sandbox:
        raise UsageError(f"{where}: unknown key(s) {sorted(sandbox)}; valid: imports, env, helpers")
    from ..judges import helpers as helper_modules
    from . import leaderboard

    if not all(h in helper_modules.available() for h in helpers):
        raise UsageError(f"{where}: helpers must be among {', '.join(helper_modules.available())}, "
                         f"got {helpers!r}")
    options = data.get("options", {})
    metrics = leaderboard.parse(data.get("leaderboard", {}), where=f"{toml_path} [leaderboard]")
    late = (parse_policy(data["late"], due=due, where=f"{toml_path} [late]")
            if isinstance(data.get("late"), dict) else None)
    if "late" in data and late is None:
        raise UsageError(f"{toml_path}: late must be a table ([late]), got {data['late']!r}")
    if not all(isinstance(m, str) and re.fullmatch(r"[A-Za-z_][\w.]*", m) for m in imports):
        raise UsageError(f"{where}: imports must be module names, got {imports!r}")
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in env.items()):
        raise UsageError(f"{where}: env must map names to strings, got {env!r}")
    return Assignment(name=path.resolve().name, root=path.resolve(), title=title, points=float(points),
                      files=tuple(files), due=due, limits=limits, imports=tuple(imports), env=env,
                      helpers=tuple(helpers), options=dict(options), leaderboard=metrics, late=late)


def _pop(table: dict, key: str, kind, where: str, **default):
    if key not in table:
        if "default" in default:
            return default["default"]
        raise UsageError(f"{where}: missing required key {key!r}")
    value = table.pop(key)
    if not isinstance(value, kind) or isinstance(value, bool):  # TOML has no bool keys here
        names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
        raise UsageError(f"{where}: {key} must be {names}, got {value!r}")
    return value


def _limits(table: dict, *, where: str) -> Limits:
    valid = {f.name: f.type for f in dataclasses.fields(Limits)}
    unknown = set(table) - set(valid)
    if unknown:
        raise UsageError(f"{where}: unknown limit(s) {sorted(unknown)}; valid: {', '.join(valid)}")
    values = {}
    for key, value in table.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise UsageError(f"{where}: {key} must be a positive number, got {value!r}")
        values[key] = float(value) if key.endswith("_s") else int(value)
    return Limits(**values)
