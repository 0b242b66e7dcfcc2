"""How a worker process is started: with bubblewrap where it works, else as a plain child.

Both modes run ``worker.py``, which applies resource limits, drops capabilities and installs a
seccomp filter before it imports student code; without bubblewrap it also applies Landlock
(file-system and TCP rules) where the kernel has it. :func:`plan` returns the command line and
the worker's configuration; it starts nothing.
"""

from __future__ import annotations

import functools
import os
import shutil
import site
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from cnnlab import paths
from cnnlab.errors import UsageError

from .assignment import Limits

ISOLATIONS = ("auto", "bwrap", "rlimits")
# Layers the worker applies to itself; "rlimits" is always on.
WORKER_LAYERS = ("capabilities", "landlock", "seccomp")
WORKER_SCRIPT = Path(__file__).with_name("worker.py")
# cnnlab holds the answers and the grader itself: never visible to student code.
HIDDEN_PACKAGES = ("cnnlab",)
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
SYSTEM_FILES = ("/etc/ld.so.cache", "/etc/localtime")
SANDBOX_SOURCE, SANDBOX_TMP, SANDBOX_SCRIPT = "/submission", "/tmp", "/cnnlab/worker.py"
SANDBOX_HELPERS = "/cnnlab/helpers"
NOBODY = 65534


@functools.lru_cache(maxsize=1)
def bwrap_problem() -> str | None:
    """None if bubblewrap can create the namespaces here, else why not."""
    exe = shutil.which("bwrap")
    if exe is None:
        return "bwrap is not installed (apt-get install bubblewrap)"
    probe = [exe, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "--uid",
             str(NOBODY), "--gid", str(NOBODY), "true"]
    try:
        done = subprocess.run(probe, capture_output=True, timeout=20, text=True)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bwrap does not run: {exc}"
    if done.returncode != 0:
        return f"bwrap cannot create namespaces: {done.stderr.strip() or done.returncode}"
    return None


def resolve(isolation: str) -> str:
    """Turn ``"auto"`` into ``"bwrap"`` or ``"rlimits"``; check that ``"bwrap"`` works.

    Raises
    ------
    ValueError
        For an unknown isolation (the message lists the choices) or ``"bwrap"`` where
        bubblewrap is not usable (the message says why).
    """
    if isolation not in ISOLATIONS:
        raise UsageError(f"isolation must be one of {', '.join(ISOLATIONS)}, got {isolation!r}")
    problem = bwrap_problem()
    if isolation == "auto":
        return "rlimits" if problem else "bwrap"
    if isolation == "bwrap" and problem:
        raise UsageError(f"isolation 'bwrap' is not available: {problem}")
    return isolation


# What each protection stops, for the lines ``cnnlab grade`` prints where one was missing.
_WITHOUT = {
    "files": "no bubblewrap and no Landlock: student code could read any file the grader can "
             "read (other submissions, hidden tests, the grader's /proc)",
    "seccomp": "no seccomp: student code could start processes that outlive their call, open "
               "sockets, and create System V IPC objects or memfd memory (not counted by the "
               "memory limit) that another student's worker could reach",
    "capabilities": "capabilities were not dropped",
}


def missing_protections(label: str) -> list[str]:
    """What a worker of isolation ``label`` (``Worker.isolation_label``) went without, one line each.

    Parameters
    ----------
    label : str
        For example ``"bwrap+capabilities+seccomp+rlimits"`` or ``"rlimits"``.

    Returns
    -------
    list of str
        Empty for the full set.
    """
    layers = set(label.split("+"))
    missing = []
    if not layers & {"bwrap", "landlock"}:
        missing.append(_WITHOUT["files"])
    if "seccomp" not in layers:
        missing.append(_WITHOUT["seccomp"])
    if "capabilities" not in layers:
        missing.append(_WITHOUT["capabilities"])
    return missing


@dataclass(frozen=True)
class Plan:
    """What :class:`~cnnlab.bench.grading.client.Worker` runs.

    Attributes
    ----------
    argv : list of str
        The command; its last argument is the response descriptor's number, filled in later.
    config : dict
        The worker's first input line (limits, layers, paths as the worker sees them).
    env : dict
        The worker's whole environment.
    """

    argv: list[str]
    config: dict
    env: dict


def _python_roots() -> list[str]:
    """Folders the interpreter and its packages live in (resolved, without duplicates)."""
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
             str(Path(sys.executable).resolve().parent.parent)}
    for path in site.getsitepackages() + [site.getusersitepackages()]:
        if os.path.isdir(path) and not any(path.startswith(r + os.sep) for r in roots):
            roots.add(path)
    resolved = {os.path.realpath(r) for r in roots} | roots
    # keep the shortest roots: a root inside another one adds nothing
    keep = sorted(r for r in resolved if os.path.isdir(r))
    return [r for r in keep if not any(r != o and r.startswith(o + os.sep) for o in keep)]


def _hidden_locations() -> list[str]:
    """Every folder the installed cnnlab is read from (site-packages/cnnlab for a wheel; each room
    of the source tree for an editable install)."""
    return paths.package_locations()


def _readable_roots(hidden: list[str]) -> list[str]:
    """Python roots, minus hidden packages: a root holding one is replaced by its other entries."""
    readable = []
    for root in _python_roots():
        inside = [h for h in hidden if h.startswith(root + os.sep)]
        if not inside:
            readable.append(root)
            continue
        readable += _split_around(root, inside)
    return readable


def _split_around(root: str, hidden: list[str]) -> list[str]:
    """The entries of ``root`` that neither are nor contain a hidden path (recursively)."""
    entries = []
    for name in sorted(os.listdir(root)):
        path = os.path.join(root, name)
        if path in hidden:
            continue
        if os.path.islink(path):
            # a link into a hidden path's parent (a venv's lib64 -> lib) would grant it whole;
            # what it points to is reachable under its real path, split there
            target = os.path.realpath(path)
            if any(h == target or h.startswith(target + os.sep) for h in hidden):
                continue
        inner = [h for h in hidden if h.startswith(path + os.sep)]
        if inner and os.path.isdir(path) and not os.path.islink(path):
            entries += _split_around(path, inner)
        elif not inner:
            entries.append(path)
    return entries


def environment(extra: dict[str, str], *, home: str) -> dict[str, str]:
    """The worker's entire environment: nothing inherited from the grader."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "TMPDIR": home,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
        "CUDA_VISIBLE_DEVICES": "",
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }
    env.update(extra)
    return env


def _process_count() -> int:
    """Tasks (processes and threads) this user runs now; RLIMIT_NPROC counts them all."""
    uid, count = os.getuid(), 0
    try:
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                try:
                    if entry.stat().st_uid == uid:
                        count += len(os.listdir(f"/proc/{entry.name}/task"))
                except OSError:
                    pass
    except OSError:
        return 0
    return count


def plan(*, isolation: str, source: Path, tmp: Path, limits: Limits, imports: tuple[str, ...],
         env: dict[str, str], layers: tuple[str, ...] = WORKER_LAYERS,
         helpers: Path | None = None) -> Plan:
    """The command and configuration of one worker.

    Parameters
    ----------
    isolation : {"bwrap", "rlimits"}
        Already resolved (see :func:`resolve`).
    source : Path
        The submission's files (read-only for the worker).
    tmp : Path
        The worker's private writable folder; arrays cross through it.
    limits : Limits
    imports : tuple of str
        Modules the worker imports before it locks itself down.
    env : dict
        Extra environment variables.
    layers : tuple of str
        Worker layers to ask for (tests switch them off to check the bare fallback).
    helpers : Path, optional
        A folder of cnnlab helper modules, put on the worker's path (read-only).
    """
    if isolation not in ("bwrap", "rlimits"):
        raise UsageError(f"isolation must be 'bwrap' or 'rlimits' here, got {isolation!r}")
    unknown = set(layers) - set(WORKER_LAYERS)
    if unknown:
        raise UsageError(f"unknown worker layer(s) {sorted(unknown)}; valid: {', '.join(WORKER_LAYERS)}")
    rlimits = {
        "memory_bytes": limits.memory_mib * 2**20,
        "cpu_seconds": int(limits.submission_timeout_s) + 1,
        "file_bytes": limits.file_mib * 2**20,
        "open_files": limits.open_files,
    }
    if "seccomp" not in layers:
        # Without seccomp RLIMIT_NPROC is the fork-bomb guard; it counts the user's tasks.
        rlimits["processes"] = _process_count() + limits.processes
    python = sys.executable
    hidden = _hidden_locations()
    roots = _readable_roots(hidden)
    if isolation == "bwrap":
        layers = tuple(layer for layer in layers if layer != "landlock")  # namespaces do it
        config = {"source": SANDBOX_SOURCE, "tmp": SANDBOX_TMP, "readable": [], "writable": [],
                  "helpers": SANDBOX_HELPERS if helpers else None}
        worker_env = environment(env, home=SANDBOX_TMP)
        # --unshare-all holds --unshare-ipc; named too, because the IPC namespace is what keeps
        # one student's System V objects from the next (and frees them when the worker ends)
        argv = [shutil.which("bwrap") or "bwrap", "--unshare-all", "--unshare-ipc", "--die-with-parent",
                "--new-session", "--uid", str(NOBODY), "--gid", str(NOBODY),
                "--hostname", "sandbox", "--clearenv"]
        for key, value in worker_env.items():
            argv += ["--setenv", key, value]
        for path in SYSTEM_DIRS + SYSTEM_FILES:
            if os.path.islink(path):
                argv += ["--symlink", os.readlink(path), path]
            elif os.path.exists(path):
                argv += ["--ro-bind", path, path]
        for root in roots:
            argv += ["--ro-bind", root, root]
        # /dev/shm is memory that RLIMIT_AS does not count: a small tmpfs; the root and /dev
        # read-only, so the private tmp is the only place to write
        argv += ["--proc", "/proc", "--dev", "/dev",
                 "--size", str(16 * 2**20), "--tmpfs", "/dev/shm", "--remount-ro", "/dev",
                 "--bind", str(tmp), SANDBOX_TMP,
                 "--ro-bind", str(source), SANDBOX_SOURCE,
                 "--ro-bind", str(WORKER_SCRIPT), SANDBOX_SCRIPT,
                 *(["--ro-bind", str(helpers), SANDBOX_HELPERS] if helpers else []),
                 "--remount-ro", "/",
                 "--chdir", SANDBOX_TMP, "--",
                 python, "-I", "-B", "-X", "utf8", SANDBOX_SCRIPT]
    else:
        readable = list(SYSTEM_DIRS) + list(SYSTEM_FILES) + roots + [str(source), "/dev/urandom"]
        readable += [str(helpers)] if helpers else []
        config = {"source": str(source), "tmp": str(tmp), "helpers": str(helpers) if helpers else None,
                  "readable": [p for p in readable if os.path.exists(p)],
                  "writable": [str(tmp), "/dev/null"]}
        worker_env = environment(env, home=str(tmp))
        argv = [python, "-I", "-B", "-X", "utf8", str(WORKER_SCRIPT)]
    config.update(imports=list(imports), limits=rlimits, layers=list(layers))
    return Plan(argv=argv, config=config, env=worker_env)
