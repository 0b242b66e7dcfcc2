"""Report renderers on hand-made gradebook records: every number below follows from the records
by arithmetic, and visibility rules are checked line by line."""

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET

import pandas as pd
import pytest

from cnnlab.reports import grading as report

COLOURLESS = re.compile(r"\x1b\[[0-9;]*m")  # ANSI colour codes

UTC = dt.UTC
DUE = dt.datetime(2030, 1, 1, tzinfo=UTC)
BEFORE, AFTER = DUE - dt.timedelta(days=1), DUE + dt.timedelta(days=1)


def _test(name, number, points, max_points, status, visibility, message="", output=""):
    return {"test": name, "number": str(number), "file": "test_x.py", "description": f"about {name}",
            "points": points, "max_points": max_points, "status": status, "message": message,
            "output": output, "visibility": visibility, "duration_s": 0.01, "student_s": 0.001}


def _record(student, tests, status="graded"):
    return {"student": student, "status": status, "score": sum(t["points"] for t in tests),
            "max_score": sum(t["max_points"] for t in tests) if tests else 10.0,
            "isolation": "bwrap+capabilities+seccomp+rlimits", "wall_s": 1.5, "student_s": 0.1,
            "message": "" if status == "graded" else "no submission", "tests": tests}


@pytest.fixture
def records():
    return [
        _record("alice", [_test("test_a", 1, 4, 4, "passed", "visible"),
                          _test("test_b", 2, 6, 6, "passed", "hidden")]),
        _record("bob", [_test("test_a", 1, 1, 4, "partial", "visible", "1 of 4 parts\n```evil```",
                              output="<script>alert(1)</script>"),
                        _test("test_b", 2, 0, 6, "failed", "hidden", "wrong result"),
                        _test("test_c", 3, 0, 0, "failed", "after_due_date", "too slow")]),
        _record("carol", [], status="missing"),
    ]


def test_class_stats(records):
    stats = report.class_stats(records)
    assert stats["submissions"] == 2 and stats["missing"] == 1
    assert stats["mean"] == (10 + 1) / 2 and stats["median"] == 5.5
    assert stats["pass_rate"] == {"test_a": 0.5, "test_b": 0.5, "test_c": 0.0}


def test_table(records):
    text = report.table(records, names={"alice": "Alice A."})
    lines = text.splitlines()
    assert lines[0].split() == ["student", "T1", "T2", "T3", "total", "status"]
    assert lines[2].split() == ["alice", "(Alice", "A.)", "4", "6", "10/10", "graded"]
    assert lines[3].split() == ["bob", "1", "0", "FAIL", "1/10", "graded"]  # test_c is worth 0
    assert lines[4].split() == ["carol", "0/10", "missing"]
    assert "2 submissions, 1 missing: mean 5.5, median 5.5 of 10 points" in text
    assert "T3: test_c (after_due_date, 0 points: pass or FAIL)" in text
    assert "\x1b[" not in text  # pytest's captured stdout is not a TTY
    assert [ln.split() for ln in lines if ln.startswith("passed")] == [["passed", "50%", "50%", "0%"]]


def test_csv_one_row_per_student(records, tmp_path):
    path = report.write_csv(records, tmp_path / "grades.csv")
    frame = pd.read_csv(path)
    assert list(frame.columns) == ["student", "test_a", "test_b", "test_c", "total", "max", "status", "isolation"]
    assert frame["total"].tolist() == [10, 1, 0] and frame["status"].tolist() == ["graded", "graded", "missing"]
    assert frame.loc[1, "test_a"] == 1


def test_feedback_respects_visibility(records):
    bob = records[1]
    before = report.feedback_markdown(bob, title="HW", due=DUE, now=BEFORE)
    assert "**Score: 1 / 10**" in before  # the after_due_date test is withheld
    assert "## test_c\n\nResult shown later." in before and "too slow" not in before
    assert "about test_a" in before and "about test_b" not in before  # descriptions of visible tests only
    assert "## test_b\n\n```text\nwrong result\n```" in before  # hidden: name and message only
    assert "## test_b (" not in before
    assert "<script>alert(1)</script>" in before.split("Your code printed:")[1]  # inside a fence
    assert "````text\n1 of 4 parts\n```evil```\n````" in before  # a longer fence than the message's
    after = report.feedback_markdown(bob, title="HW", due=DUE, now=AFTER)
    assert "## test_c (0 / 0, failed)" in after and "too slow" in after
    assert "No submission was received." in report.feedback_markdown(records[2])


def test_after_published():
    rec = _record("dan", [_test("test_p", 1, 2, 2, "passed", "after_published", "ok")])
    assert "Result shown later." in report.feedback_markdown(rec, published=False)
    assert "## test_p (2 / 2, passed)" in report.feedback_markdown(rec, published=True)


def test_gradescope_results_follow_the_published_schema(records):
    data = json.loads(json.dumps(report.gradescope_json(records[1])))
    assert set(data) == {"score", "execution_time", "output", "visibility", "stdout_visibility", "tests"}
    assert data["score"] == 1 and data["execution_time"] == 1.5
    assert data["visibility"] == "visible" and data["stdout_visibility"] == "hidden"
    for t in data["tests"]:
        assert set(t) == {"name", "number", "score", "max_score", "status", "output", "tags", "visibility"}
        assert t["status"] in ("passed", "failed")
        assert t["visibility"] in ("visible", "hidden", "after_due_date", "after_published")
    assert [t["score"] for t in data["tests"]] == [1, 0, 0]
    assert data["tests"][0]["tags"] == ["partial", "test_x.py"]
    assert "Your code printed" in data["tests"][0]["output"] and "printed" not in data["tests"][1]["output"]


def test_junit_xml_parses_and_counts(records):
    root = ET.fromstring(report.junit_xml(records[1]).encode())
    assert root.tag == "testsuite" and root.get("name") == "bob"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("3", "3", "0")
    cases = root.findall("testcase")
    assert [c.get("name") for c in cases] == ["test_a", "test_b", "test_c"]
    assert cases[0].find("failure").text.startswith("1 / 4 points")
    control = report.junit_xml(_record("x", [_test("t", 1, 0, 1, "failed", "visible", "bad\x00\x1b[31m")]))
    ET.fromstring(control.encode())  # control characters from student output are stripped


def test_write_all(records, tmp_path):
    paths = report.write_all(records, tmp_path, title="HW <1>", due=DUE, now=BEFORE)
    assert sorted(p.name for p in (tmp_path / "feedback").iterdir()) == ["alice.md", "bob.md", "carol.md"]
    assert json.loads((tmp_path / "gradescope" / "bob" / "results.json").read_text())["score"] == 1
    html = paths["report.html"].read_text()
    assert "HW &lt;1&gt;" in html and "<1>" not in html
    for png in ("scores.png", "pass_rates.png"):
        assert (tmp_path / "plots" / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "table.txt").read_text().startswith("student")


# ------------------------------------------------------------------ issue 14: what instructors see


def _params_class():
    """Four tests of which two are one test function with two parametrisations."""
    def rec(student, passed):
        return _record(student, [
            _test("test_architecture[lenet5-torch]", 1, 10 * passed, 10, "passed" if passed else "failed", "visible"),
            _test("test_architecture[lenet5-keras]", 2, 10, 10, "passed", "visible"),
            _test("test_model_zoo", 3, 0, 0, "passed" if passed else "failed", "visible", "" if passed else "zoo"),
            _test("test_leaderboard[lenet5]", 4, 0, 0, "passed", "visible")])
    return [rec("ada", True), rec("bo", False)]


def test_parametrised_names_stay_apart_everywhere(tmp_path):
    records = _params_class()
    assert report.test_names(records) == ["test_architecture[lenet5-torch]", "test_architecture[lenet5-keras]",
                                          "test_model_zoo", "test_leaderboard[lenet5]"]
    text = report.table(records, colour=False)
    assert "T1: test_architecture[lenet5-torch] (visible)" in text
    assert "T2: test_architecture[lenet5-keras] (visible)" in text
    assert [ln.split()[:5] for ln in text.splitlines()[2:4]] == [["ada", "10", "10", "pass", "pass"],
                                                                 ["bo", "0", "10", "FAIL", "pass"]]
    paths = report.write_all(records, tmp_path, title="CNNs")
    frame = pd.read_csv(paths["grades.csv"])
    assert list(frame.columns[1:5]) == report.test_names(records)
    html = paths["report.html"].read_text()
    assert "architecture[<wbr>lenet5-<wbr>torch]" in html and "architecture[<wbr>lenet5-<wbr>keras]" in html
    assert "## test_architecture[lenet5-keras] (10 / 10, passed)" in (tmp_path / "feedback" / "bo.md").read_text()
    cases = ET.parse(tmp_path / "junit" / "bo.xml").getroot().findall("testcase")
    assert [c.get("name") for c in cases][:2] == ["test_architecture[lenet5-torch]", "test_architecture[lenet5-keras]"]
    names = [t["name"] for t in json.loads((tmp_path / "gradescope" / "bo" / "results.json").read_text())["tests"]]
    assert names[:2] == ["test_architecture[lenet5-torch]", "test_architecture[lenet5-keras]"]


def test_pass_rate_plot_has_one_bar_per_test(tmp_path, monkeypatch):
    import matplotlib.axes

    bars = []
    original = matplotlib.axes.Axes.barh

    def spy(self, y, width, *args, **kwargs):
        bars.append(list(width))
        return original(self, y, width, *args, **kwargs)

    monkeypatch.setattr(matplotlib.axes.Axes, "barh", spy)
    report.write_all(_params_class(), tmp_path)
    assert bars == [[100.0, 50.0, 100.0, 50.0]]  # 4 tests, 4 bars (bottom-up: the last test first)


def test_colour_on_a_tty_only_and_never_with_no_color(monkeypatch):
    records = _params_class()

    class Tty:
        def isatty(self):
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert report.use_colour(Tty()) and not report.use_colour(object())
    coloured = report.table(records, colour=True)
    assert "\x1b[32mpass\x1b[0m" in coloured and "\x1b[31mFAIL\x1b[0m" in coloured
    assert "\x1b[32mgraded\x1b[0m" in coloured
    # tabulate lines the columns up by the visible text
    assert [len(COLOURLESS.sub("", ln)) for ln in coloured.splitlines()[:4]] == \
        [len(ln) for ln in report.table(records, colour=False).splitlines()[:4]]
    monkeypatch.setenv("NO_COLOR", "1")
    assert not report.use_colour(Tty())


def test_feedback_of_an_errored_submission_is_out_of_the_assignment():
    errored = {"student": "eve", "status": "error", "score": 0.0, "max_score": 100.0, "isolation": None,
               "message": "evil.zip: unsafe path '../../evil.py' in the archive", "tests": []}
    text = report.feedback_markdown(errored, title="HW")
    assert "**Score: 0 / 100**" in text and "0 / 0" not in text and "unsafe path" in text


def _junit_checked(xml_text, tmp_path, name="s"):
    """Parse with junitparser (a real JUnit reader) and check that the counts equal the cases."""
    path = tmp_path / f"{name}.xml"
    path.write_text(xml_text, encoding="utf-8")
    return junit_file_checked(path)


def junit_file_checked(path):
    """A JUnit file read by junitparser: one suite whose counts equal its cases, at least one."""
    junitparser = pytest.importorskip("junitparser", reason="junitparser is in the test extra")
    xml = junitparser.JUnitXml.fromfile(str(path))
    suites = [xml] if isinstance(xml, junitparser.TestSuite) else list(xml)
    assert len(suites) == 1
    suite = suites[0]
    cases = list(suite)
    results = [type(r).__name__ for c in cases for r in c.result]
    assert suite.tests == len(cases) >= 1
    assert (suite.failures, suite.errors, suite.skipped) == (
        results.count("Failure"), results.count("Error"), results.count("Skipped"))
    return suite, cases


def test_junit_counts_match_the_cases_for_every_status(records, tmp_path):
    suite, cases = _junit_checked(report.junit_xml(records[1]), tmp_path, "bob")
    assert (suite.tests, suite.failures) == (3, 3)
    errored = {"student": "eve", "status": "error", "score": 0.0, "max_score": 100.0, "wall_s": 0.2,
               "message": "evil.zip: unsafe path '../../evil.py'\nmore", "tests": []}
    suite, cases = _junit_checked(report.junit_xml(errored), tmp_path, "eve")
    assert (suite.tests, suite.errors, suite.failures) == (1, 1, 0)
    assert cases[0].name == "grading" and "unsafe path" in cases[0].result[0].message
    suite, cases = _junit_checked(report.junit_xml(records[2]), tmp_path, "carol")  # missing
    assert (suite.tests, suite.failures) == (1, 1) and cases[0].name == "submission"
    assert cases[0].result[0].message == "no submission was received"
    skipped = _record("sam", [_test("test_s", 1, 0, 1, "skipped", "visible", "needs a GPU"),
                              _test("test_e", 2, 0, 1, "error", "visible", "fixture broke")])
    suite, cases = _junit_checked(report.junit_xml(skipped), tmp_path, "sam")
    assert (suite.tests, suite.skipped, suite.errors) == (2, 1, 1)


def test_descriptions_are_whole_sentences():
    from types import SimpleNamespace

    from cnnlab.bench.plugin import _description

    def test_architecture():
        """Parameters, output shape, layer output shapes and function (the reference with your
        weights gives your output) of build(arch, framework).

        Details for the instructor that students need not read.
        """

    assert _description(SimpleNamespace(function=test_architecture)) == (
        "Parameters, output shape, layer output shapes and function (the reference with your "
        "weights gives your output) of build(arch, framework).")
    assert _description(SimpleNamespace(function=lambda: None)) == ""
    assert _description(SimpleNamespace()) == ""
