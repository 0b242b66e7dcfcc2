"""Grader reliability (issue 20): nothing from the working folder in the trusted grader, no
"graded" record when no student code ran, one run per output folder, and every bad input or
environment one line with a non-zero exit."""

import json
import os
import shutil
import signal
import site
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cnnlab import paths
from cnnlab.bench.grading import Gradebook, grade, sandbox
from cnnlab.bench.grading.grader import WorkersCannotStart, _student_code_unran

from .conftest import EXAMPLES, FAST_LIMITS

CORRECT = (EXAMPLES / "correct" / "metrics.py").read_text()
CNNLAB = str(Path(sys.executable).parent / "cnnlab")  # the console script, as users run it
needs_bwrap = pytest.mark.skipif(sandbox.bwrap_problem() is not None, reason="bubblewrap unusable here")


def _class(folder, n):
    for i in range(n):
        (folder / f"s{i}").mkdir(parents=True, exist_ok=True)
        (folder / f"s{i}" / "metrics.py").write_text(CORRECT)
    return folder


def _cli(*argv, cwd, prefix=(), timeout=300):
    return subprocess.run([*prefix, CNNLAB, *argv], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


def _one_error_line(done, *needles):
    """A failed command: exit 2, exactly one line on stderr, no traceback."""
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 2, done.stderr
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def _statuses(db):
    with sqlite3.connect(db) as con:
        runs = [r[0] for r in con.execute("SELECT status FROM runs ORDER BY run_id")]
        subs = dict(con.execute("SELECT student, status FROM submissions ORDER BY run_id"))
    return runs, subs


def _copy_assignment(tmp_path, name="metrics"):
    root = tmp_path / "assignment"
    shutil.copytree(paths.bundled_assignments() / name, root,
                    ignore=shutil.ignore_patterns("__pycache__"))
    return root


# ----------------------------------------------------------------------------- the working folder


def _trap(folder: Path, marker: Path) -> None:
    """Modules that record it when the trusted grader imports them from ``folder``."""
    code = f"import os\nopen({str(marker)!r} + str(os.getpid()), 'w').close()\n"
    (folder / "json.py").write_text(code)
    (folder / "conftest.py").write_text(code)


def test_submission_folder_as_working_folder_is_not_imported(tmp_path):
    student = tmp_path / "alice"
    student.mkdir()
    (student / "metrics.py").write_text(CORRECT)
    _trap(student, tmp_path / "imported-")
    done = _cli("grade", "metrics", ".", "--out", str(tmp_path / "out"), "--json", cwd=student)
    assert done.returncode == 0, done.stderr
    assert not list(tmp_path.glob("imported-*")), "the grader imported the submission's json.py"
    assert [r["score"] for r in json.loads(done.stdout)["records"]] == [100]


def test_student_folder_named_json_in_the_class_folder_is_not_imported(tmp_path):
    subs = _class(tmp_path / "class", 1)
    package = subs / "json"  # a student whose id is "json", with an __init__.py
    package.mkdir()
    (package / "metrics.py").write_text(CORRECT)
    marker = tmp_path / "imported-"
    (package / "__init__.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    done = _cli("grade", "metrics", ".", "--out", str(tmp_path / "out"), "--json", cwd=subs)
    assert done.returncode == 0, done.stderr
    assert not marker.exists(), "the grader imported the student folder 'json' as a package"
    assert {r["student"]: r["score"] for r in json.loads(done.stdout)["records"]} == {"json": 100, "s0": 100}


def test_other_trusted_processes_start_without_the_working_folder(tmp_path):
    from cnnlab.bench.grading.gradescope import run_script

    assert '"$PYTHON" -P -m cnnlab.bench.grading.gradescope' in run_script("metrics")
    source = (Path(sandbox.__file__).parents[1] / "throughput" / "runner.py").read_text()
    assert '[sys.executable, "-P", "-m", "cnnlab.bench.throughput.worker"' in source


# ----------------------------------------------------------------------------- silent zeros


def _python_under(folder: Path) -> Path:
    """A virtual environment in ``folder`` that imports this checkout's packages."""
    subprocess.run([sys.base_prefix + "/bin/python3", "-m", "venv", "--without-pip", str(folder)],
                   check=True, capture_output=True)
    purelib = next(Path(folder).glob("lib/python3*/site-packages"))
    here = [p for p in site.getsitepackages() if Path(p).is_dir()]
    (purelib / "cnnlab_here.pth").write_text(
        "".join(f"import site; site.addsitedir({p!r})\n" for p in here))
    return folder / "bin" / "python"


@needs_bwrap
def test_python_under_tmp_with_bubblewrap_fails_loudly_and_grades_nobody(tmp_path):
    assert str(tmp_path).startswith("/tmp/")
    python = _python_under(tmp_path / "venv")
    subs, out = _class(tmp_path / "subs", 2), tmp_path / "out"
    done = subprocess.run([str(python), "-m", "cnnlab.bench.cli", "grade", "metrics", str(subs),
                           "--out", str(out), "--isolation", "bwrap"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    _one_error_line(done, "sandboxed worker cannot run here", "installed under /tmp", "nothing was graded")
    assert _statuses(out / "gradebook.db") == ([], {})

    # the same break seen per submission (the grader child's own report): an error, not a 0
    work = tmp_path / "job"
    job = {"assignment": str(paths.bundled_assignments() / "metrics"), "source": str(subs / "s0"),
           "results": str(work / "results.json"), "isolation": "bwrap", "scratch": str(work / "sb"),
           "limits": FAST_LIMITS}
    work.mkdir()
    (work / "job.json").write_text(json.dumps(job))
    subprocess.run([str(python), "-P", "-m", "cnnlab.bench.grading.runner", str(work / "job.json")],
                   cwd=work, capture_output=True, timeout=300)
    data = json.loads((work / "results.json").read_text())
    assert data["records"] and sum(r["points"] for r in data["records"]) == 0
    assert data["worker_starts"] > 0 and data["workers_ready"] == 0
    assert "never started" in _student_code_unran(data, subs / "s0", ("metrics.py",))


def test_a_module_the_worker_cannot_import_stops_the_run_before_grading(tmp_path):
    root = _copy_assignment(tmp_path)
    toml = root / "assignment.toml"
    toml.write_text(toml.read_text().replace('imports = ["numpy"]', 'imports = ["numpy", "nmupy"]'))
    out = tmp_path / "out"
    with pytest.raises(WorkersCannotStart, match="nothing was graded"):
        grade(root, _class(tmp_path / "subs", 2), out, limits=FAST_LIMITS, write_reports=False)
    assert _statuses(out / "gradebook.db") == ([], {})


def test_what_trusted_imports_print_is_not_the_students_output(tmp_path):
    """Keras imports matplotlib, whose first font scan prints fontconfig complaints in the
    sandbox; every transfer student read them as "Your code printed". The standard library's
    ``this`` prints the Zen of Python when imported: a trusted import that talks."""
    root = _copy_assignment(tmp_path)
    toml = root / "assignment.toml"
    toml.write_text(toml.read_text().replace('imports = ["numpy"]', 'imports = ["numpy", "this"]'))
    summary = grade(root, _class(tmp_path / "subs", 1), tmp_path / "out", limits=FAST_LIMITS, write_reports=False)
    (record,) = summary.records
    assert record["status"] == "graded" and record["score"] == 100
    assert not any("Zen of Python" in t["output"] for t in record["tests"])


def test_broken_assignment_tests_are_errors_and_a_fixed_assignment_regrades(tmp_path):
    root = _copy_assignment(tmp_path)
    conftest = root / "tests" / "conftest.py"
    original = conftest.read_text()
    conftest.write_text(original + "\n\n@pytest.fixture(autouse=True)\ndef _typo():\n"
                        "    raise NameError('an instructor typo')\n")
    subs, out = _class(tmp_path / "subs", 2), tmp_path / "out"
    broken = grade(root, subs, out, limits=FAST_LIMITS, write_reports=False)
    assert broken.graded == [] and sorted(broken.errors) == ["s0", "s1"]
    assert all("no test reached the student's code" in r["message"] for r in broken.records)
    conftest.write_text(original)  # fixed: an error is never "already graded"
    fixed = grade(root, subs, out, limits=FAST_LIMITS, write_reports=False)
    assert sorted(fixed.graded) == ["s0", "s1"] and {r["score"] for r in fixed.records} == {100}
    hidden = root / "tests" / "hidden" / "test_hidden.py"
    hidden.write_text(hidden.read_text() + "\n# a changed hidden test\n")
    again = grade(root, subs, out, limits=FAST_LIMITS, write_reports=False)
    assert sorted(again.graded) == ["s0", "s1"] and again.skipped == []  # new tests, new grades
    assert grade(root, subs, out, limits=FAST_LIMITS, write_reports=False).skipped == ["s0", "s1"]


# ----------------------------------------------------------------------------- one run per --out


def _start(subs, out, cwd):
    return subprocess.Popen([CNNLAB, "grade", "metrics", str(subs), "--out", str(out), "--quiet"],
                            cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def _wait_for(predicate, proc, timeout=120):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert proc.poll() is None, proc.stderr.read()
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def _graded_count(db):
    try:
        with sqlite3.connect(db, timeout=5) as con:
            return con.execute("SELECT COUNT(*) FROM submissions").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def test_a_second_grader_on_the_same_out_gets_one_line_and_exit_2(tmp_path):
    subs, out = _class(tmp_path / "subs", 3), tmp_path / "out"
    first = _start(subs, out, tmp_path)
    try:
        _wait_for(lambda: (out / ".grading.lock").is_file()
                  and (out / ".grading.lock").read_text().strip() == str(first.pid), first)
        second = _cli("grade", "metrics", str(subs), "--out", str(out), "--quiet", cwd=tmp_path)
        _one_error_line(second, f"another cnnlab grade (pid {first.pid}) is grading into")
        assert first.wait(timeout=300) == 0, first.stderr.read()
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    runs, subs_status = _statuses(out / "gradebook.db")
    assert runs == ["finished"] and set(subs_status.values()) == {"graded"}


def test_sigterm_marks_the_run_interrupted_and_writes_the_reports(tmp_path):
    subs, out = _class(tmp_path / "subs", 4), tmp_path / "out"
    proc = _start(subs, out, tmp_path)
    try:
        _wait_for(lambda: _graded_count(out / "gradebook.db") >= 1, proc)
        os.kill(proc.pid, signal.SIGTERM)
        assert proc.wait(timeout=120) == 143
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert "terminated (SIGTERM); the run is marked interrupted" in proc.stderr.read()
    runs, graded = _statuses(out / "gradebook.db")
    assert runs == ["interrupted"] and 1 <= len(graded) < 4
    assert len((out / "grades.csv").read_text().splitlines()) == 1 + len(graded)


def test_a_run_killed_while_running_is_closed_by_the_next(tmp_path):
    out = tmp_path / "out"
    with Gradebook(out / "gradebook.db") as book:
        book.start_run("metrics", isolation="rlimits", options={})  # as kill -9 leaves it
    grade("metrics", _class(tmp_path / "subs", 1), out, limits=FAST_LIMITS, write_reports=False)
    assert _statuses(out / "gradebook.db")[0] == ["interrupted", "finished"]


def test_a_crash_after_grading_marks_the_run_failed_not_finished(tmp_path):
    subs, out = _class(tmp_path / "subs", 1), tmp_path / "out"
    (out / "grades.csv").mkdir(parents=True)  # the report cannot be written
    done = _cli("grade", "metrics", str(subs), "--out", str(out), "--quiet", cwd=tmp_path)
    _one_error_line(done, "grades.csv", "Is a directory")
    assert _statuses(out / "gradebook.db") == (["failed"], {"s0": "graded"})


# ----------------------------------------------------------------------------- bad --out


def test_out_problems_are_one_line(tmp_path):
    subs = _class(tmp_path / "subs", 1)
    (tmp_path / "file").write_text("x")
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "gradebook.db").write_bytes(os.urandom(4096))
    cases = [("", "must not be empty"), ("file", "exists and is not a folder"),
             ("file/out", "Not a directory"), ("corrupt", "not a usable gradebook")]
    for out, needle in cases:
        _one_error_line(_cli("grade", "metrics", str(subs), "--out", out, cwd=tmp_path), needle)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corrupt", "file", "subs"]  # nothing written
    _one_error_line(_cli("grade", "metrics", "", cwd=subs / "s0"), "must not be empty")


@needs_bwrap
@pytest.mark.parametrize("mount, needle", [
    (["--ro-bind", "{out}", "{out}"], "Read-only file system"),
    (["--size", str(96 * 1024), "--tmpfs", "{out}"], "full"),
])
def test_read_only_or_full_out_is_one_line(tmp_path, mount, needle):
    subs, out = _class(tmp_path / "subs", 1), tmp_path / "out"
    out.mkdir()
    wrap = [shutil.which("bwrap"), "--dev-bind", "/", "/", *[m.format(out=out) for m in mount], "--"]
    done = _cli("grade", "metrics", str(subs), "--out", str(out), "--isolation", "rlimits", "--quiet",
                cwd=tmp_path, prefix=wrap)
    _one_error_line(done, needle)


# ----------------------------------------------------------------------------- other commands


@pytest.mark.parametrize("argv, needle", [
    (["evaluate", "ok.csv", "--out", ""], "--out must name a folder"),
    (["evaluate", "ok.csv", "--out", "file.txt"], "exists and is not a folder"),
    (["demo", "--out", ""], "--out must name a folder"),
    (["demo", "--out", "file.txt"], "exists and is not a folder"),
    (["transfer-demo", "--out", ""], "--out must name a folder"),
    (["bench", "--arch", "lenet5", "--out", ""], "--out must name a folder"),
    (["bench", "--arch", "lenet5", "--json", ""], "--json must name a file or '-'"),
    (["explain", "lenet5", "--weights", "file.txt", "--image", "file.txt", "--out", ""],
     "--out must name a folder"),
    (["grade", "metrics", ""], "must not be empty"),
])
def test_bad_outputs_of_every_command_are_one_line(tmp_path, argv, needle):
    (tmp_path / "file.txt").write_text("x")
    (tmp_path / "ok.csv").write_text("y_true,y_pred\n0,1\n1,1\n")
    done = _cli(*argv, cwd=tmp_path)
    _one_error_line(done, needle)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt", "ok.csv"]


def test_a_foreign_weights_file_is_one_line(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("keras")
    (tmp_path / "garbage.pt").write_bytes(bytes(range(256)) * 4)
    done = _cli("port", "lenet5", "garbage.pt", "out.weights.h5", cwd=tmp_path)
    _one_error_line(done, "'garbage.pt' is not a readable torch state_dict")



# ----------------------------------------------------------------------------- bounds


def test_the_trusted_grader_memory_is_bounded_and_recorded(tmp_path):
    subs, out = _class(tmp_path / "subs", 1), tmp_path / "out"
    fine = grade("metrics", subs, out, limits=FAST_LIMITS, write_reports=False)
    peak = fine.records[0]["grader_mib"]
    assert fine.graded == ["s0"] and 10 < peak < 1024  # the grader child's own peak (VmHWM)
    # a bound below what grading needs: the grader child is stopped and nobody is graded
    tight = grade("metrics", subs, out, limits=FAST_LIMITS, write_reports=False, regrade=["s0"],
                  grader_memory_mib=peak / 4)
    assert tight.graded == [] and tight.errors == ["s0"]
    assert "MiB of the trusted grader's memory" in tight.records[0]["message"]


def test_a_submission_that_keeps_crashing_the_worker_gets_few_restarts(tmp_path):
    from cnnlab.bench.grading.client import MAX_RESTARTS

    crash = "import os\n\n\n" + "".join(
        f"def {name}(*args, **kwargs):\n    os._exit(3)\n\n\n"
        for name in ("confusion_matrix", "precision_recall_f1", "top_k_accuracy", "roc_auc_ovr"))
    subs, out = tmp_path / "subs", tmp_path / "out"
    (subs / "crash").mkdir(parents=True)
    (subs / "crash" / "metrics.py").write_text(crash)
    summary = grade("metrics", subs, out, limits=FAST_LIMITS, write_reports=False)
    record = summary.records[0]
    assert record["status"] == "graded" and record["score"] == 0
    with Gradebook(out / "gradebook.db") as book:
        messages = [t["message"] for t in book.latest("metrics")[0]["tests"]]
    assert any(f"stopped the worker {MAX_RESTARTS + 1} times" in m for m in messages), messages
