"""Report renderers on hand-made gradebook records: every number below follows from the records
by arithmetic, and visibility rules are checked line by line."""

import datetime as dt
import json
import xml.etree.ElementTree as ET

import pandas as pd
import pytest

from cnnlab.reports import grading as report

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
    assert lines[2].split() == ["alice", "(Alice", "A.)", "4", "6", "10/10"]
    assert lines[3].split() == ["bob", "1", "0", "0", "1/10"]
    assert lines[4].split() == ["carol", "0/10", "missing"]
    assert "2 submissions, 1 missing: mean 5.5, median 5.5 of 10 points" in text
    assert "T3: test_c (after_due_date)" in text
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
