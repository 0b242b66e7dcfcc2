"""Grading the bundled example class: correct, partly wrong and broken submissions, and one
submission per attack of issue 5. The whole class is graded in one run per sandbox mode, so each
test also shows that grading went on for everyone else.

Expected points come from the assignment's points table (tests/public and tests/hidden):
T1 confusion 10, T2 macro P/R/F1 10, T3 top-k 10 (3 parts), T4 AUC 10, T5 confusion edge
cases 10, T6 averages 15 (5 parts), T7 top-k edge cases 10 (3 parts), T8 AUC ties/two
classes 15 (3 parts), T9 large problem 10 (4 parts, one per function).
"""

import json
import shutil
import socket
import threading
from pathlib import Path

import pytest

from cnnlab.bench.grading import grade

from .conftest import EXAMPLES, FAST_LIMITS, computed_once, isolation_modes

ATTACKS_WORTH_NOTHING = [
    "attack_always_equal", "attack_exit_at_import", "attack_exit_in_function", "attack_fork_bomb",
    "attack_lying_ndarray", "attack_memory_bomb", "attack_monkeypatch", "attack_network",
    "attack_print_flood", "attack_read_secrets", "attack_write_results",
    # issue 19 (tests/grading/test_hardening.py grades them with malformed archives beside them)
    "attack_leak_hidden", "attack_outlive", "attack_protocol_games", "attack_shadowing",
]
BROKEN = ["broken_syntax", "nan_results", "not_utf8", "wrong_return_type"]
# roc_auc_ovr never returns (or is missing): everything but T4, T8 and T9's AUC part, 100 - 27.5.
WITHOUT_AUC = 100 - 10 - 15 - 10 / 4
# partial_macro's bugs, test by test: top-k uses k-1 (only k=1 parts pass: T3 1/3, T7 1/3, T9 3/4);
# averages over present classes only and treats micro/weighted as macro (T6: only the two
# average=None parts pass, 2/5); ties count as losses in AUC (T8: the ties case fails, 2/3).
PARTIAL_MACRO = {"test_confusion_matrix": 10, "test_precision_recall_f1_macro": 10,
                 "test_top_k_accuracy": 10 / 3, "test_roc_auc_ovr": 10,
                 "test_confusion_matrix_edge_cases": 10, "test_precision_recall_f1_averages": 15 * 2 / 5,
                 "test_top_k_edge_cases": 10 / 3, "test_roc_auc_ties_and_two_classes": 15 * 2 / 3,
                 "test_large_problem": 10 * 3 / 4}


class AnswerServer:
    """A TCP server on this machine that records whatever a submission sends it."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.received, self.stop = [], False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    self.received.append(conn.recv(65536))
                    conn.sendall(b"0.5\n")
                except OSError:
                    pass

    def close(self):
        self.stop = True
        self.thread.join()
        self.sock.close()


def _grade(folder, names, **options):
    """Grade a copy of the examples ``names`` (the network attack is told the server's port);
    return plain data, so that pytest-xdist workers can share it."""
    subs = folder / "subs"
    for name in names:
        shutil.copytree(EXAMPLES / name, subs / name)
    server = AnswerServer()
    if "attack_network" in names:
        (subs / "attack_network" / "server.txt").write_text(f"127.0.0.1 {server.port}\n")
    try:
        summary = grade("metrics", subs, folder / "out", jobs=2, limits=FAST_LIMITS, **options)
    finally:
        server.close()
    return {"isolation": summary.isolation, "warnings": summary.warnings, "errors": summary.errors,
            "graded": summary.graded, "out": str(folder / "out"),
            "records": {r["student"]: r for r in summary.records},
            "received": [payload.decode("latin-1") for payload in server.received]}


@pytest.fixture(scope="module", params=isolation_modes())
def graded(request, tmp_path_factory):
    names = sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir())
    return computed_once(tmp_path_factory, f"class-{request.param}",
                         lambda folder: dict(_grade(folder, names, isolation=request.param),
                                             mode=request.param))


def _points(record):
    return {t["test"]: t["points"] for t in record["tests"]}


def test_everyone_is_graded_with_reports(graded):
    records, out = graded["records"], Path(graded["out"])
    names = sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir())
    assert sorted(records) == names and graded["errors"] == [] and sorted(graded["graded"]) == names
    assert all(r["status"] == "graded" and len(r["tests"]) == 9 for r in records.values())
    for name in names:
        assert (out / "feedback" / f"{name}.md").is_file()
        assert (out / "junit" / f"{name}.xml").is_file()
        assert json.loads((out / "gradescope" / name / "results.json").read_text())["score"] == records[name]["score"]
    expected = ("bwrap+capabilities+seccomp+rlimits" if graded["mode"] == "bwrap"
                else "capabilities+landlock+seccomp+rlimits")
    assert graded["isolation"] == expected
    assert graded["warnings"] == []


@pytest.mark.parametrize("name", ["correct", "notebook"])
def test_correct_submissions_get_full_marks(graded, name):
    record = graded["records"][name]
    assert record["score"] == record["max_score"] == 100
    assert all(t["status"] == "passed" and t["message"] == "" for t in record["tests"])


def test_partial_credit_follows_the_bugs(graded):
    got = _points(graded["records"]["partial_macro"])
    assert got == pytest.approx(PARTIAL_MACRO, abs=0.01)
    assert graded["records"]["partial_macro"]["score"] == pytest.approx(sum(PARTIAL_MACRO.values()), abs=0.01)


def test_missing_function_earns_the_rest(graded):
    record = graded["records"]["missing_function"]
    assert record["score"] == pytest.approx(WITHOUT_AUC)
    roc = next(t for t in record["tests"] if t["test"] == "test_roc_auc_ovr")
    assert "metrics.roc_auc_ovr raised AttributeError" in roc["message"]


@pytest.mark.parametrize("name, message", [
    ("broken_syntax", "importing metrics.py raised SyntaxError"),
    ("not_utf8", "importing metrics.py raised SyntaxError"),
    ("wrong_return_type", "expected a numpy array, got list"),
    ("nan_results", "result contains NaN or infinity"),
])
def test_broken_submissions_earn_nothing(graded, name, message):
    record = graded["records"][name]
    assert record["score"] == 0
    assert any(message in t["message"] for t in record["tests"])


@pytest.mark.parametrize("name", ATTACKS_WORTH_NOTHING)
def test_attacks_earn_nothing(graded, name):
    record = graded["records"][name]
    assert record["score"] == 0, [(t["test"], t["points"], t["message"][:200]) for t in record["tests"]]
    assert all(t["status"] == "failed" for t in record["tests"])


def test_an_endless_loop_costs_only_its_own_points(graded):
    record = graded["records"]["attack_infinite_loop"]
    assert record["score"] == pytest.approx(WITHOUT_AUC)
    roc = next(t for t in record["tests"] if t["test"] == "test_roc_auc_ovr")
    assert "metrics.roc_auc_ovr timed out after 1.5 s" in roc["message"]
    assert record["wall_s"] < 30  # two timeouts, then the function is no longer called


@pytest.mark.parametrize("name, message", [
    ("attack_exit_at_import", "importing metrics.py called sys.exit\nexit code 0"),
    ("attack_exit_in_function", "metrics.confusion_matrix ended the worker process (exit code 0)"),
    ("attack_exit_in_function", "metrics.roc_auc_ovr killed the worker (signal SIGKILL)"),
    ("attack_always_equal", "metrics.confusion_matrix returned a value that cannot be graded"),
    ("attack_memory_bomb", "metrics.confusion_matrix exceeded the memory limit of 512 MiB"),
    ("attack_print_flood", "importing metrics.py printed more than 256 KiB of output"),
    ("attack_fork_bomb", "metrics.confusion_matrix raised PermissionError"),
])
def test_attack_messages_say_what_happened(graded, name, message):
    assert any(message in t["message"] for t in graded["records"][name]["tests"]), [
        t["message"][:300] for t in graded["records"][name]["tests"]]


def test_secrets_stay_hidden(graded):
    """The attack ran (it reports what it found in a visible test's output) and found nothing;
    no record or report of any student contains hidden-test source."""
    records, out = graded["records"], Path(graded["out"])
    outputs = " ".join(t["output"] for t in records["attack_read_secrets"]["tests"])
    assert "hidden tests: not found" in outputs
    hidden_source = (EXAMPLES.parent.parent / "metrics" / "tests" / "hidden" / "test_hidden.py").read_text()
    secret_line = next(line for line in hidden_source.splitlines() if "load_cases(" in line)
    for path in out.rglob("*"):
        if path.is_file() and path.suffix in (".md", ".json", ".xml", ".csv", ".html", ".txt"):
            assert secret_line.strip() not in path.read_text(errors="replace"), path


def test_nothing_was_written_outside_the_sandbox(graded):
    records, out = graded["records"], Path(graded["out"])
    allowed_top = {".grading.lock", "gradebook.db", "gradebook.db-wal", "gradebook.db-shm", "grades.csv", "report.html",
                   "table.txt", "feedback", "gradescope", "junit", "logs", "plots"}
    assert {p.name for p in out.iterdir()} <= allowed_top
    assert not list(out.rglob("PWNED*"))
    assert all(p.parent.parent == out / "gradescope" for p in out.rglob("results.json"))
    assert {p.name for p in (out / "feedback").iterdir()} == {f"{s}.md" for s in records}
    assert records["correct"]["score"] == 100  # the gradebook rows of others are intact


def test_the_network_stayed_silent(graded):
    assert graded["received"] == []


# ------------------------------------------------------------------ the bare fallback and controls

BARE_SAFE = ["correct", "partial_macro", "attack_exit_at_import", "attack_exit_in_function",
             "attack_always_equal", "attack_lying_ndarray", "attack_monkeypatch", "attack_infinite_loop",
             "attack_memory_bomb", "attack_print_flood", "attack_read_secrets", "attack_network"]


@pytest.fixture(scope="module")
def bare(tmp_path_factory):
    """rlimits only (no Landlock, no seccomp), as on a kernel without them. The fork bomb and the
    gradebook writer are not run here: without those layers they would really fork (unbounded
    for root) and really rewrite gradebooks they can reach, on a machine shared with others."""
    return computed_once(tmp_path_factory, "class-bare",
                         lambda folder: _grade(folder, BARE_SAFE, isolation="rlimits", layers=()))


def test_bare_fallback_holds_the_limits(bare):
    records = bare["records"]
    assert bare["isolation"] == "rlimits"
    assert any("without file-system isolation" in w for w in bare["warnings"])
    assert records["correct"]["score"] == 100
    assert _points(records["partial_macro"]) == pytest.approx(PARTIAL_MACRO, abs=0.01)
    assert records["attack_infinite_loop"]["score"] == pytest.approx(WITHOUT_AUC)
    for name in ("attack_exit_at_import", "attack_exit_in_function", "attack_always_equal",
                 "attack_lying_ndarray", "attack_monkeypatch", "attack_memory_bomb", "attack_print_flood"):
        assert records[name]["score"] == 0, name


def test_controls_show_the_file_and_network_attacks_are_real(bare):
    """Without Landlock/bwrap the secret-reader finds the solution and earns full marks, and the
    network attack sends the test inputs to the server: the layers above are what stop them."""
    assert bare["records"]["attack_read_secrets"]["score"] == 100
    assert any("confusion_matrix" in payload for payload in bare["received"])
