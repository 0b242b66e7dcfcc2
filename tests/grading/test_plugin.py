"""The pytest plugin on a small made-up assignment, run as an instructor would run it (plain
pytest in a child process): points, partial credit, visibility, messages of hidden tests, the
records it writes; and its registration as the ``cnnlab`` pytest11 entry point."""

import importlib.metadata
import json
import os
import subprocess
import sys
import textwrap

import pytest

from .conftest import REPO

TOML = """
[assignment]
title = "Adding"
points = 10
files = ["mod.py"]

[limits]
call_timeout_s = 5
"""

SOLUTION = """
def add(a, b):
    return a + b

def echo_secret(x):
    raise ValueError(f"the input was {x}")

def shout(x):
    print("SHOUT", x)
    return x
"""

PUBLIC = '''
import pytest

@pytest.mark.points(2)
def test_add(student, note):
    """Adds two numbers."""
    assert student.mod.add(1, 2) == 3
    note("accepted: an equivalent way")

@pytest.mark.points(3)
def test_partial(student, credit):
    with credit.part(1, "one"):
        assert student.mod.add(1, 0) == 1
    with credit.part(1, "two"):
        assert student.mod.add(1, 1) == 2
    with credit.part(1, "three"):
        assert student.mod.add(1, 1) == 3, "deliberately wrong"

def test_default_point(student):
    assert student.mod.shout(0) == 0
'''

HIDDEN = '''
import pytest

@pytest.mark.points(2)
def test_leaks_nothing(student):
    student.mod.echo_secret("HIDDEN-INPUT-42")

@pytest.mark.points(1)
@pytest.mark.visibility("after_published")
def test_later(student, note):
    assert student.mod.add(2, 2) == 4
    note("HIDDEN-NOTE")

@pytest.mark.points(1)
def test_bare_assert(student):
    assert student.mod.shout("HIDDEN-ECHO") == 11
'''


@pytest.fixture
def assignment(tmp_path):
    root = tmp_path / "adding"
    for rel, text in {"assignment.toml": TOML, "solution/mod.py": SOLUTION,
                      "tests/public/test_pub.py": PUBLIC, "tests/hidden/test_hid.py": HIDDEN}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(textwrap.dedent(text))
    return root


def run_pytest(*args, cwd, autoload=False):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    if not autoload:
        env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
        args = ("-p", "cnnlab.bench.plugin") + args
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_points_partial_credit_and_visibility(assignment, tmp_path):
    results = tmp_path / "results.json"
    done = run_pytest("tests", "--cnnlab-results", str(results), "--cnnlab-isolation", "rlimits",
                      cwd=assignment)
    assert done.returncode == 1, done.stdout + done.stderr  # some tests fail on purpose
    data = json.loads(results.read_text())
    got = {r["test"]: r for r in data["records"]}
    # points: 2 + 3 * 2/3 + 1 + 0 + 1 + 0 out of 10
    assert {k: (r["points"], r["max_points"], r["status"]) for k, r in got.items()} == {
        "test_add": (2, 2, "passed"), "test_partial": (2, 3, "partial"),
        "test_default_point": (1, 1, "passed"), "test_leaks_nothing": (0, 2, "failed"),
        "test_later": (1, 1, "passed"), "test_bare_assert": (0, 1, "failed")}
    assert "cnnlab: 6 / 10 points" in done.stdout
    assert [got[k]["visibility"] for k in ("test_add", "test_leaks_nothing", "test_later")] == [
        "visible", "hidden", "after_published"]
    assert got["test_partial"]["message"] == "1 of 3 parts failed\n- three: deliberately wrong"
    assert got["test_add"]["description"] == "Adds two numbers."
    assert got["test_add"]["message"] == "accepted: an equivalent way"  # a note kept on a pass
    assert "SHOUT 0" in got["test_default_point"]["output"]
    # hidden tests: the grader's words only; no student text, no inputs, no output, no code
    # (not even the class of the exception: the student picks it, issue 19)
    assert got["test_leaks_nothing"]["message"] == "mod.echo_secret raised an exception"
    assert got["test_bare_assert"]["message"] == "wrong result"
    hidden_text = json.dumps([got[k] for k in ("test_leaks_nothing", "test_bare_assert", "test_later")])
    assert "HIDDEN-INPUT-42" not in hidden_text and "HIDDEN-ECHO" not in hidden_text
    assert "HIDDEN-NOTE" not in hidden_text  # notes are for visible tests only
    assert data["isolation"].endswith("rlimits") and data["worker_starts"] == 1


def test_public_only_runs_visible_tests(assignment, tmp_path):
    results = tmp_path / "results.json"
    done = run_pytest("tests", "--cnnlab-public-only", "--cnnlab-results", str(results), cwd=assignment)
    tests = [r["test"] for r in json.loads(results.read_text())["records"]]
    assert tests == ["test_add", "test_partial", "test_default_point"], done.stdout
    assert "3 deselected" in done.stdout


def test_bad_markers_are_usage_errors(assignment):
    bad = assignment / "tests" / "public" / "test_bad.py"
    bad.write_text("import pytest\n\n@pytest.mark.visibility('secret')\ndef test_x():\n    pass\n")
    done = run_pytest("tests", cwd=assignment)
    assert done.returncode == 4
    assert "visibility must be one of visible, hidden, after_due_date, after_published, got 'secret'" in done.stderr
    bad.write_text("import pytest\n\n@pytest.mark.points(-1)\ndef test_x():\n    pass\n")
    done = run_pytest("tests", cwd=assignment)
    assert done.returncode == 4 and "points needs a number >= 0" in done.stderr


def test_registered_as_pytest11_entry_point_and_grades_the_solution_with_plain_pytest():
    """``pytest assignments/metrics/tests/public`` with no option grades the solution."""
    names = {ep.name: ep.value for ep in importlib.metadata.entry_points(group="pytest11")}
    assert names.get("cnnlab") == "cnnlab.bench.plugin"
    done = run_pytest("assignments/metrics/tests/public", "-q", cwd=REPO, autoload=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "cnnlab: 40 / 40 points" in done.stdout


def test_importing_the_plugin_is_light():
    code = ("import sys, bench.plugin; heavy = [m for m in ('numpy', 'torch', 'keras', 'tensorflow', "
            "'cnnlab.bench.grading') if m in sys.modules]; print(heavy)")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert done.stdout.strip() == "[]", done.stderr
