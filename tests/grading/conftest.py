"""Shared set-up of the grading tests: paths, the isolation modes this machine offers, and a
helper that writes a one-file submission."""

import ast
import fcntl
import json
import os
from pathlib import Path

import pytest

from cnnlab import paths
from cnnlab.bench.grading import sandbox

REPO = Path(__file__).resolve().parents[2]  # the checkout: it must stay out of the sandbox too
METRICS = paths.bundled_assignments() / "metrics"
EXAMPLES = paths.examples_dir() / "metrics"
# Short limits keep the attack examples cheap: an endless loop costs 1.5 s per try, a memory
# bomb fills 512 MiB before it fails.
FAST_LIMITS = {"call_timeout_s": 1.5, "submission_timeout_s": 60, "memory_mib": 512}


def isolation_modes():
    """bwrap where it works here (it does on the CI image, which installs bubblewrap), and the
    fallback, which never needs anything."""
    modes = ["rlimits"]
    if sandbox.bwrap_problem() is None:
        modes.insert(0, "bwrap")
    return modes


@pytest.fixture(params=isolation_modes())
def isolation(request):
    return request.param


def write_submission(folder: Path, source: str, name: str = "metrics.py") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(source, encoding="utf-8")
    return folder


def computed_once(tmp_path_factory, key, compute):
    """``compute(folder)`` once per test run, even under pytest-xdist: the first worker computes
    and stores its JSON result, the others wait for it and read it."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # shared by the workers of one run
    result = root / f"{key}.json"
    with open(root / f"{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not result.exists():
            result.write_text(json.dumps(compute(root / key)))
    return json.loads(result.read_text())


def marked_points(path: Path) -> dict[str, float]:
    """The ``points`` marker of each test function in a test file, read from its source."""
    found = {}
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            for dec in node.decorator_list:
                if isinstance(dec, ast.Call) and getattr(dec.func, "attr", None) == "points":
                    found[node.name] = dec.args[0].value
    return found
