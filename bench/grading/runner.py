"""The trusted grader child: runs an assignment's pytest tests against one submission.

``python -P -m cnnlab.bench.grading.runner JOB.json`` runs ``pytest.main`` with cnnlab's plugin and
the job file (a :class:`~cnnlab.bench.grading.records.GradingJob`, ``--cnnlab-job JOB.json``); the
plugin sends every call into student code to the sandboxed worker and writes the test records to
the job's ``results`` file. Each submission gets a fresh process, so the grading of one student
cannot leak into the next (imported test modules, fixtures with module state, a crash in a test),
and ``--jobs`` runs several at once.

``python -P -m cnnlab.bench.grading.runner --serve`` is what the engine starts instead, once per job slot:
a server that imports pytest and numpy once (:data:`PRELOAD`) and then forks one fresh grader
child per submission it is sent, which halves the CPU cost per submission. (multiprocessing's
forkserver would re-import the caller's ``__main__`` script in every child.) Third-party pytest
plugins are not auto-loaded: a grader child runs cnnlab's plugin and the assignment's tests only.
"""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cnnlab.bench.grading.records import GradingJob

# Imported once by the grader server, inherited by every grader child. (Not bench.plugin itself:
# pytest rewrites the asserts of a plugin it imports, and warns about one already imported.)
PRELOAD = ["pytest", "_pytest.python", "_pytest.fixtures", "numpy", "numpy.lib.format",
           "cnnlab.bench.grading.client", "cnnlab.bench.grading.protocol", "cnnlab.bench.grading.assignment",
           "cnnlab.bench.grading.records"]


def pytest_args(job: GradingJob, job_file: str | os.PathLike) -> list[str]:
    """The pytest command line of one job: the assignment's tests, cnnlab's plugin and the job
    file (``--cnnlab-job``), which tells the plugin everything else."""
    root = job.assignment
    # public tests first, so that they come first in tables and feedback
    tests = [t for t in (os.path.join(root, "tests", part) for part in ("public", "hidden"))
             if os.path.isdir(t)] or [os.path.join(root, "tests")]
    return [
        *tests,
        "-p", "cnnlab.bench.plugin", "-p", "no:cacheprovider",
        "-q", "--no-header", "-p", "no:randomly",
        "--rootdir", root, "-c", os.path.join(root, "assignment.toml"), "--confcutdir", root,
        "--import-mode=importlib",
        "-o", "addopts=", "-o", "python_files=test_*.py",
        "--cnnlab-job", os.fspath(job_file),
    ]


def _die_with_parent() -> None:
    """Die with the grader: a killed ``cnnlab grade`` leaves no orphans grading on."""
    if sys.platform != "linux":
        return
    import ctypes
    import signal

    parent = os.getppid()
    ctypes.CDLL(None).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(1)


def _child(job_file: str, log_file: str) -> int:
    """A forked grader child: its own session, output to the log, dies with the server."""
    os.setsid()
    _die_with_parent()
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    fd = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    for extra in (null, fd):
        os.close(extra)
    try:
        return main([job_file])
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001 - reported through the exit status and the log
        import traceback

        traceback.print_exc()
        return 3
    finally:
        sys.stdout.flush()
        sys.stderr.flush()


def serve() -> int:
    """Read ``{"job": ..., "log": ...}`` lines on stdin; for each, fork a grader child, answer
    ``{"pid": ...}`` at once and ``{"exit": ...}`` when it ends."""
    _die_with_parent()
    import importlib

    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            os._exit(_child(request["job"], request["log"]))
        print(json.dumps({"pid": pid}), flush=True)
        _, status = os.waitpid(pid, 0)
        print(json.dumps({"exit": os.waitstatus_to_exitcode(status)}), flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["--serve"]:
        return serve()
    _die_with_parent()
    from cnnlab.bench.grading.records import GradingJob

    job = GradingJob.read(argv[0])
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    import pytest

    return int(pytest.main(pytest_args(job, argv[0])))


if __name__ == "__main__":
    sys.exit(main())
