"""The trusted grader child: runs an assignment's pytest tests against one submission.

``python -m bench.grading.runner JOB.json`` runs ``pytest.main`` in this fresh process with
cnnlab's plugin, which sends every call into student code to the sandboxed worker and writes the
records to ``results``. A fresh process per submission keeps the grading of one student from
leaking into the next (imported test modules, fixtures with module state, a crash in a test)
and lets ``--jobs`` run several at once; it costs a Python start-up and a pytest collection per
submission (measured in docs/grading.md). Third-party pytest plugins are not auto-loaded: this
process only runs cnnlab's plugin and the assignment's own tests.
"""

from __future__ import annotations

import json
import os
import sys


def pytest_args(job: dict) -> list[str]:
    """The pytest command line of one job (see :func:`bench.grading.engine.grade`)."""
    root = job["assignment"]
    # public tests first, so that they come first in tables and feedback
    tests = [os.path.join(root, "tests", part) for part in ("public", "hidden")]
    args = [
        *[t for t in tests if os.path.isdir(t)],
        "-p", "bench.plugin", "-p", "no:cacheprovider",
        "-q", "--no-header", "-p", "no:randomly",
        "--rootdir", root, "-c", os.path.join(root, "assignment.toml"), "--confcutdir", root,
        "--import-mode=importlib",
        "-o", "addopts=", "-o", "python_files=test_*.py",
        "--cnnlab-submission", job["source"],
        "--cnnlab-results", job["results"],
        "--cnnlab-isolation", job["isolation"],
        "--cnnlab-scratch", job["scratch"],
        "--cnnlab-limits", json.dumps(job.get("limits", {})),
    ]
    if job.get("layers") is not None:
        args += ["--cnnlab-layers", ",".join(job["layers"])]
    if job.get("public_only"):
        args.append("--cnnlab-public-only")
    return args


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


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    _die_with_parent()
    with open(argv[0], encoding="utf-8") as fh:
        job = json.load(fh)
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    import pytest

    return int(pytest.main(pytest_args(job)))


if __name__ == "__main__":
    sys.exit(main())
