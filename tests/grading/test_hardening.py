"""Issue 19, grader hardening: one class of the metrics assignment graded with every attack of the
issue in it, in each sandbox mode, plus the bare fallback as a control.

The class holds two honest students (``correct`` and ``partial_macro``, whose totals come from
the assignment's points table, see ``test_examples.py``), the folder attacks of
``assignments/examples/metrics/attack_{leak_hidden,outlive,protocol_games,shadowing}`` and the
malformed archives and notebooks below, which the test writes itself (a zip with a bad checksum
is easier to make than to keep in git). For each attack: it earns nothing, the honest students
keep their totals, and after ``grade`` returns no process, IPC object or file of the class is
left (checked in ``/proc`` and ``/proc/sysvipc``, as ``ps`` and ``ipcs`` read them, and in the
temporary folder).
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest

from cnnlab.bench.grading import grade, protocol, sandbox, submissions
from cnnlab.bench.grading.client import HIDDEN_PHRASES, StudentError

from .conftest import EXAMPLES, FAST_LIMITS, computed_once, isolation_modes
from .test_examples import PARTIAL_MACRO

ATTACKS = ["attack_leak_hidden", "attack_outlive", "attack_protocol_games", "attack_shadowing"]
HONEST = {"correct": 100.0, "partial_macro": sum(PARTIAL_MACRO.values())}
LIMITS = dict(FAST_LIMITS, file_mib=16)  # a 64 MiB disk quota: the spilling thread hits it soon
OUTLIVE_KEY = 0x19C0FFEE  # attack_outlive's System V key
OUTLIVE_NAME = "cnnlab-outlive"  # and its daemon's process name
SHADOW_TRACES = Path("/tmp/cnnlab-issue19-shadow")
SOLUTION = (EXAMPLES / "correct" / "metrics.py").read_text()

# student -> a phrase of the one-line error it must get
MALFORMED = {
    "clash": "is both a file and a folder",
    "long_name": "a name longer than 255 bytes",
    "encrypted": "is encrypted",
    "bad_crc": "its checksum is wrong",
    "unknown_method": "uses a compression method",
    "no_cells": "no_cells.ipynb is not a readable notebook",
    "source_not_text": "the source of cell 1 is not text",
    "huge_notebook": "larger than 16 MiB",
    "deep_tree": "folders deep",
    "metrics_is_a_folder": "metrics.py in the submission is not a plain file",
    "twin_a": "are all student 'twin_a'",
    "twin_a-2": "are all student 'twin_a'",
}


# ------------------------------------------------------------------ the malformed entries


def _zip(path: Path, members: dict[str, bytes], method=zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _patch_headers(path: Path, offset_local: int, offset_central: int, value: bytes, mask=False):
    """Set a field of every local (PK 3 4) and central (PK 1 2) header of a zip written above."""
    data = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", offset_local), (b"PK\x01\x02", offset_central)):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            field = start + offset
            if mask:
                data[field] |= value[0]
            else:
                data[field:field + len(value)] = value
            start += 4
    path.write_bytes(bytes(data))


def write_malformed(subs: Path) -> None:
    code = SOLUTION.encode()
    _zip(subs / "clash.zip", {"metrics.py": code, "notes": b"a file", "notes/todo.txt": b"and a folder"})
    _zip(subs / "long_name.zip", {"metrics.py": code, "n" * 300 + ".txt": b"x"})
    _patch_headers(_zip(subs / "encrypted.zip", {"metrics.py": code}), 6, 8, b"\x01", mask=True)
    _patch_headers(_zip(subs / "unknown_method.zip", {"metrics.py": code}), 8, 10, b"\x63\x00")
    bad = _zip(subs / "bad_crc.zip", {"metrics.py": code}, method=zipfile.ZIP_STORED)
    data = bytearray(bad.read_bytes())
    data[data.find(b"def ")] ^= 0x20  # the stored bytes change, the recorded CRC does not
    bad.write_bytes(bytes(data))
    (subs / "no_cells.ipynb").write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}}))
    (subs / "source_not_text.ipynb").write_text(json.dumps({
        "nbformat": 4, "nbformat_minor": 5, "metadata": {},
        "cells": [{"id": "c1", "cell_type": "code", "source": 5, "metadata": {}, "outputs": [], "execution_count": None}]}))
    with open(subs / "huge_notebook.ipynb", "wb") as fh:
        fh.truncate(submissions.MAX_NOTEBOOK_BYTES + 1)  # sparse: costs no disk
    deep = subs / "deep_tree"
    deep.mkdir()
    (deep / "metrics.py").write_text(SOLUTION)
    (deep.joinpath(*["d"] * 40)).mkdir(parents=True)
    (deep.joinpath(*["d"] * 40) / "leaf.txt").write_text("deep")
    (subs / "metrics_is_a_folder" / "metrics.py").mkdir(parents=True)
    (subs / "metrics_is_a_folder" / "metrics.py" / "inside.py").write_text(SOLUTION)
    (subs / "twin a").mkdir()
    (subs / "twin a" / "metrics.py").write_text(SOLUTION)
    _zip(subs / "twin_a.zip", {"metrics.py": code})


# ------------------------------------------------------------------ what is left afterwards


def leftovers(pid: int) -> dict:
    """Processes, System V IPC objects and folders of the grading run of process ``pid``."""
    mark = f"cnnlab-grade-{pid}-"
    processes = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            comm = Path(f"/proc/{entry.name}/comm").read_text().strip()
            cmdline = Path(f"/proc/{entry.name}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            cwd = os.readlink(f"/proc/{entry.name}/cwd")
        except OSError:
            continue
        if comm == OUTLIVE_NAME or mark in cmdline or mark in cwd:
            processes.append(f"{entry.name} {comm} {cmdline[:120]}")
    ipc = []
    for kind in ("shm", "msg", "sem"):
        lines = Path(f"/proc/sysvipc/{kind}").read_text().splitlines()[1:]
        ipc += [f"{kind} {line.split()[1]}" for line in lines if int(line.split()[0]) == OUTLIVE_KEY]
    folders = [str(p) for p in Path(tempfile.gettempdir()).glob(f"{mark}*")]
    return {"processes": processes, "ipc": ipc, "folders": folders,
            "traces": sorted(p.name for p in SHADOW_TRACES.iterdir()) if SHADOW_TRACES.exists() else []}


def _remove_ipc(ids: list[str]) -> None:
    """Remove what the bare fallback let attack_outlive leave (a shared machine)."""
    for item in ids:
        kind, ident = item.split()
        subprocess.run(["ipcrm", {"shm": "-m", "msg": "-q", "sem": "-s"}[kind], ident], check=False)


def _grade_class(folder: Path, names: list[str], **options) -> dict:
    subs = folder / "subs"
    for name in names:
        shutil.copytree(EXAMPLES / name, subs / name)
    write_malformed(subs)
    shutil.rmtree(SHADOW_TRACES, ignore_errors=True)
    summary = grade("metrics", subs, folder / "out", jobs=2, limits=LIMITS, write_reports=False, **options)
    left = leftovers(os.getpid())
    _remove_ipc(left["ipc"])
    return {"records": {r["student"]: r for r in summary.records}, "errors": summary.errors,
            "graded": summary.graded, "warnings": summary.warnings, "isolation": summary.isolation,
            "left": left}


@pytest.fixture(scope="module", params=isolation_modes())
def hardened(request, tmp_path_factory):
    names = [*HONEST, *ATTACKS]
    return computed_once(tmp_path_factory, f"hardening-{request.param}",
                         lambda folder: dict(_grade_class(folder, names, isolation=request.param),
                                             mode=request.param))


@pytest.fixture(scope="module")
def bare(tmp_path_factory):
    """rlimits only, no seccomp and no Landlock: the control that shows which attacks are real."""
    names = [*HONEST, "attack_leak_hidden", "attack_outlive", "attack_protocol_games"]
    return computed_once(tmp_path_factory, "hardening-bare",
                         lambda folder: _grade_class(folder, names, isolation="rlimits", layers=()))


def _outputs(record) -> str:
    return "\n".join(t["output"] for t in record["tests"])


# ------------------------------------------------------------------ 1. malformed submissions


def test_honest_students_keep_their_totals(hardened):
    records = hardened["records"]
    assert records["correct"]["status"] == "graded" and records["correct"]["score"] == 100
    assert records["partial_macro"]["score"] == pytest.approx(HONEST["partial_macro"], abs=0.01)
    assert sorted(hardened["graded"]) == sorted([*HONEST, *ATTACKS])
    assert all(len(records[name]["tests"]) == 9 for name in [*HONEST, *ATTACKS])


@pytest.mark.parametrize("student", sorted(MALFORMED))
def test_a_malformed_submission_is_that_students_error(hardened, student):
    record = hardened["records"][student]
    assert record["status"] == "error" and record["score"] == 0 and student in hardened["errors"]
    assert MALFORMED[student] in record["message"], record["message"]
    assert "\n" not in record["message"] and "Traceback" not in record["message"]


# ------------------------------------------------------------------ 2-5. the folder attacks


@pytest.mark.parametrize("name", ATTACKS)
def test_attacks_earn_nothing(hardened, name):
    record = hardened["records"][name]
    assert record["status"] == "graded"
    assert record["score"] == 0, [(t["test"], t["points"], t["message"][:200]) for t in record["tests"]]


def _hidden_lines(record):
    for test in record["tests"]:
        if test["visibility"] == "visible":
            continue
        for line in test["message"].splitlines():
            yield re.sub(r"^- [^:]+: ", "", line)  # a credit part's name, from the test


def test_hidden_feedback_is_only_the_graders_vocabulary(hardened):
    """No exception class, exit code, signal or field name of the student's in a hidden test's
    message: each line is a fixed phrase of the grader's (or its count of failed parts)."""
    phrases = "|".join(re.escape(p) for p in HIDDEN_PHRASES.values())
    allowed = re.compile(rf"^(wrong result|\d+ of \d+ parts failed|"
                         rf"(metrics\.\w+|importing metrics\.py|the student's code) ({phrases}))$")
    for name, record in hardened["records"].items():
        for line in _hidden_lines(record):
            assert allowed.match(line), (name, line)
    # the attack ran in the hidden tests too (which of its calls did depends on how often the
    # grader restarts a worker that was stopped; see the visible control below)
    assert list(_hidden_lines(hardened["records"]["attack_leak_hidden"]))


def test_visible_feedback_still_names_what_happened(hardened):
    """The control: in the visible tests the same attack still shows its exception class, exit
    code and signal, so the hidden ones above are quiet because of the vocabulary."""
    messages = "\n".join(t["message"] for t in hardened["records"]["attack_leak_hidden"]["tests"]
                         if t["visibility"] == "visible")
    assert re.search(r"raised (ValueError|TypeError|KeyError|IndexError|LookupError|ArithmeticError|"
                     r"ZeroDivisionError|OverflowError)", messages)
    assert "exit code 4" in messages and "killed the worker (signal SIG" in messages


def test_nothing_outlives_grading(hardened):
    left = hardened["left"]
    assert left == {"processes": [], "ipc": [], "folders": [], "traces": []}


def test_state_attacks_were_refused(hardened):
    """attack_outlive reports what worked: in both modes seccomp refuses System V IPC, memfd and
    fork (bwrap's IPC and PID namespaces would also end them with the worker)."""
    said = _outputs(hardened["records"]["attack_outlive"])
    for part in ("shm: refused", "msg queue: refused", "memfd: refused", "daemon: refused"):
        assert part in said, said[:500]
    assert "chmod 000 folder: made" in said  # made, and removed anyway (test_nothing_outlives_grading)
    assert any(phrase in t["message"] for t in hardened["records"]["attack_outlive"]["tests"]
               for phrase in ("wrote more than 64 MiB into its working folder",
                              "wrote too much into its working folder"))  # a visible or hidden test


def test_protocol_games_cost_the_grader_nothing(hardened):
    record = hardened["records"]["attack_protocol_games"]
    messages = {t["test"]: t["message"] for t in record["tests"]}
    assert "metrics.top_k_accuracy returned an invalid value" in messages["test_top_k_accuracy"]
    assert "metrics.precision_recall_f1 timed out after 1.5 s" in messages["test_precision_recall_f1_macro"]  # SIGSTOP
    assert "more elements than a reply may carry" in messages["test_top_k_accuracy"]  # the bool array
    assert "is not an array of numbers" in messages["test_top_k_accuracy"]  # the 2**40 zero-size one
    assert 0 <= record["student_s"] <= record["wall_s"]  # not 10**400
    assert "grader /proc: cmdline: Permission denied" in _outputs(record) or hardened["mode"] == "bwrap"


def test_shadowing_modules_reach_no_trusted_process(hardened):
    """conftest.py would have made every test pass, pytest.ini dropped the hidden ones, and each
    module leaves a trace when imported outside the sandbox: 9 tests, 0 points, no trace."""
    record = hardened["records"]["attack_shadowing"]
    assert len(record["tests"]) == 9 and record["score"] == 0
    assert hardened["left"]["traces"] == []


def test_grade_warns_of_nothing_missing_with_all_layers(hardened):
    assert not any("some workers ran" in w for w in hardened["warnings"]), hardened["warnings"]


# ------------------------------------------------------------------ the bare fallback (control)


def test_bare_fallback_names_what_it_lacks_and_still_cleans_up(bare):
    """Without seccomp the worker can fork, and System V IPC outlives it: the attack works there
    (the README says so and grade warns). The daemon is still killed (the grader child is a
    subreaper) and the files are removed; the IPC objects are removed by this test."""
    records = bare["records"]
    assert records["correct"]["score"] == 100
    assert records["partial_macro"]["score"] == pytest.approx(HONEST["partial_macro"], abs=0.01)
    for name in ("attack_leak_hidden", "attack_outlive", "attack_protocol_games"):
        assert records[name]["score"] == 0
    said = _outputs(records["attack_outlive"])
    assert "shm: created" in said and "daemon: started" in said
    assert any("no seccomp" in w for w in bare["warnings"]) and any(
        "without file-system isolation" in w for w in bare["warnings"])
    left = bare["left"]
    assert left["processes"] == [] and left["folders"] == []
    assert left["ipc"], "the control: without seccomp or an IPC namespace the segment outlives grading"


# ------------------------------------------------------------------ 4. the working folder


def _cli_grade(cwd: Path, submissions_arg: str, out: Path) -> subprocess.CompletedProcess:
    cnnlab = Path(sys.executable).with_name("cnnlab")
    return subprocess.run([str(cnnlab), "grade", "metrics", submissions_arg, "--out", str(out), "--json"],
                          cwd=cwd, capture_output=True, text=True, timeout=600)


def test_grading_from_inside_a_shadowing_submission(tmp_path):
    """``cnnlab grade metrics .`` run in attack_shadowing's own folder (numpy.py, json.py,
    pytest.py, sitecustomize.py, conftest.py, pytest.ini ... in the working folder)."""
    folder = shutil.copytree(EXAMPLES / "attack_shadowing", tmp_path / "me")
    shutil.rmtree(SHADOW_TRACES, ignore_errors=True)
    done = _cli_grade(folder, ".", tmp_path / "out")
    assert done.returncode == 0, done.stderr[-2000:]
    records = json.loads(done.stdout)["records"]
    assert [(r["student"], r["status"], r["score"], len(r["tests"])) for r in records] == [("me", "graded", 0, 9)]
    assert not SHADOW_TRACES.exists()


def test_a_class_folder_as_working_folder_with_students_named_like_modules(tmp_path):
    """Students ``json`` and ``numpy`` (folders, as a standard module's package would be) in the
    class folder that is the working folder of ``cnnlab grade metrics .``."""
    subs = tmp_path / "class"
    for name in ("json", "numpy", "pytest"):
        shutil.copytree(EXAMPLES / "attack_shadowing", subs / name)
        (subs / name / "__init__.py").write_text((EXAMPLES / "attack_shadowing" / "json.py").read_text())
    shutil.copytree(EXAMPLES / "correct", subs / "correct")
    shutil.rmtree(SHADOW_TRACES, ignore_errors=True)
    done = _cli_grade(subs, ".", tmp_path / "out")
    assert done.returncode == 0, done.stderr[-2000:]
    scores = {r["student"]: (r["status"], r["score"]) for r in json.loads(done.stdout)["records"]}
    assert scores == {"correct": ("graded", 100), "json": ("graded", 0), "numpy": ("graded", 0),
                      "pytest": ("graded", 0)}
    assert not SHADOW_TRACES.exists()


# ------------------------------------------------------------------ unit checks of the pieces


def test_collisions_are_kept_as_errors_of_their_own(tmp_path):
    (tmp_path / "a b").mkdir()
    (tmp_path / "a b" / "metrics.py").write_text("")
    _zip(tmp_path / "a_b.zip", {"metrics.py": b""})
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "metrics.py").write_text("")
    found = submissions.discover(tmp_path, ("metrics.py",))
    assert [(s.student, bool(s.problem)) for s in found] == [("a_b", True), ("a_b-2", True), ("c", False)]
    with pytest.raises(submissions.SubmissionError, match="'a b' and 'a_b.zip' are all student 'a_b'"):
        submissions.prepare(found[0], tmp_path / "work", ("metrics.py",))


def test_remove_tree_takes_folders_whatever_their_modes(tmp_path):
    locked = tmp_path / "gone" / "locked" / "inner"
    locked.mkdir(parents=True)
    (locked / "file").write_text("x")
    (tmp_path / "gone" / "link").symlink_to("/etc/passwd")
    os.chmod(locked, 0)
    os.chmod(locked.parent, 0)
    assert submissions.remove_tree(tmp_path / "gone") and not (tmp_path / "gone").exists()
    assert Path("/etc/passwd").exists()


def test_replies_that_cost_more_than_they_carry_are_refused(tmp_path):
    import numpy as np

    fd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        np.save(tmp_path / "bools.npy", np.ones(2**20, dtype=bool))  # 1 MiB sent, 8 MiB as float64
        with pytest.raises(protocol.ProtocolError, match="more elements than a reply may carry"):
            protocol.decode({"$array": "bools.npy"}, dir_fd=fd, max_bytes=4 * 2**20)
        assert protocol.decode({"$array": "bools.npy"}, dir_fd=fd, max_bytes=9 * 2**20).sum() == 2**20
        np.save(tmp_path / "void.npy", np.zeros(2**40, dtype="V0"))
        with pytest.raises(protocol.ProtocolError, match="not an array of numbers"):
            protocol.decode({"$array": "void.npy"}, dir_fd=fd, max_bytes=2**30)
        np.save(tmp_path / "fields.npy", np.zeros(2, dtype=[("secret_7", "f8")]))
        with pytest.raises(protocol.ProtocolError, match="not an array of numbers") as caught:
            protocol.decode({"$array": "fields.npy"}, dir_fd=fd, max_bytes=2**20)
        assert "secret" not in str(caught.value)
    finally:
        os.close(fd)


def test_hidden_text_depends_on_the_kind_alone():
    a = StudentError("raised", "metrics.f raised KeyError", "KeyError: 'x'", what="metrics.f")
    b = StudentError("raised", "metrics.f raised ValueError", "ValueError: y", what="metrics.f")
    c = StudentError("exited", "metrics.f ended the worker process (exit code 42)", what="metrics.f")
    assert a.hidden == b.hidden == "metrics.f raised an exception"
    assert c.hidden == "metrics.f ended the worker process"


def test_missing_protections_are_named():
    assert sandbox.missing_protections("bwrap+capabilities+seccomp+rlimits") == []
    assert sandbox.missing_protections("capabilities+landlock+seccomp+rlimits") == []
    lines = sandbox.missing_protections("rlimits")
    assert any("no seccomp" in line for line in lines) and any("Landlock" in line for line in lines)


# ------------------------------------------------------------------ 6. the leaderboard


def _leaderboard_accuracy(source: Path, scratch: Path) -> float:
    """What the architectures leaderboard records as "digits accuracy" for ``source``: the
    recipe of ``model_export.train`` in the worker, the grader's reference holding the result."""
    torch = pytest.importorskip("torch")
    import numpy as np

    from cnnlab import paths
    from cnnlab.bench.grading import assignment
    from cnnlab.bench.grading.client import Worker
    from cnnlab.bench.judges import architectures

    spec = assignment.load(paths.bundled_assignments() / "architectures")
    with np.load(spec.root / "fixtures" / "public" / "digits.npz", allow_pickle=False) as data:
        images, labels, split = data["images"], data["labels"], int(data["train"])
    x = np.kron(images.astype(np.float32) / 16.0, np.ones((4, 4), np.float32))[:, None]
    with Worker(source=source, scratch=scratch, isolation=sandbox.resolve("auto"), limits=spec.limits,
                imports=spec.imports, env=spec.env, helpers=spec.helpers) as worker:
        result = worker.call("model_export", "train", "architectures", "lenet5", "torch", 10,
                             x[:split], labels[:split], 2024)
        model = architectures.trained_reference(result, arch="lenet5", framework="torch", num_classes=10,
                                         input_shape=x[:1].shape, load_array=worker.load_array)
    with torch.no_grad():
        logits = model(torch.from_numpy(x[split:])).numpy()
    return float(np.mean(logits.argmax(1) == labels[split:]))


def test_the_leaderboard_number_is_what_the_submitted_model_reaches(tmp_path):
    """The attack works, and cannot be closed by training in the grader either: the recipe's
    starting weights are the student's, and leaderboard_forgery's were trained on every digit,
    the held-out ones included. So the test's description (what the feedback shows) and the
    README say what the number means instead of claiming the recipe alone produced it."""
    # kept beside the tests, not in assignments/examples/architectures: that folder is a class
    # whose members the architectures tests and the demo grade by name
    forged_source = Path(__file__).with_name("attacks") / "leaderboard_forgery"
    honest = tmp_path / "honest"
    honest.mkdir()
    text = (forged_source / "architectures.py").read_text()
    (honest / "architectures.py").write_text(text.replace("return _pretrained(LeNet5(num_classes))",
                                                          "return LeNet5(num_classes)"))
    forged = _leaderboard_accuracy(forged_source, tmp_path / "w1")
    fair = _leaderboard_accuracy(honest, tmp_path / "w2")
    assert forged >= 0.99 and forged > fair, (forged, fair)
    from cnnlab import paths

    public = (paths.bundled_assignments() / "architectures" / "tests" / "public" / "test_public.py").read_text()
    assert "from weights that are yours" in public
    docs = Path(__file__).resolve().parents[2] / "docs" / "architectures-assignment.md"
    assert "not that the recipe alone got it there" in " ".join(docs.read_text().split())
