"""The reports of the bundled example classes (what ``cnnlab demo`` writes), in headless Chromium:
the classes are graded once for the whole test run by the fixtures of test_examples.py and
test_architectures_assignment.py (shared through ``computed_once``), so this costs one browser
start per class."""

import json
from pathlib import Path

import pytest

pytest.importorskip("torch", reason="the architectures class needs torch and Keras")
pytest.importorskip("keras", reason="the architectures class needs torch and Keras")

from .test_architectures_assignment import graded_class  # noqa: F401 - the shared fixture
from .test_examples import graded  # noqa: F401 - the shared fixture
from .test_reports_html import WIDTHS, _junit_files_checked, measure, needs_chromium


@needs_chromium
@pytest.mark.parametrize("graded", ["rlimits"], indirect=True)  # one sandbox mode is enough here
def test_metrics_class_report_fits_and_links(graded, tmp_path):  # noqa: F811
    out = Path(graded["out"])
    students = sorted(graded["records"])
    measured = measure({"metrics": out / "report.html"}, tmp_path)
    for width in WIDTHS:
        m = measured[("metrics", width)]
        assert m["scrollWidth"] <= width and m["tableRight"] <= width, (width, m["scrollWidth"], m["tableRight"])
        assert m["links"] == [f"feedback/{s}.md" for s in students]
        assert len(m["headers"]) == 1 + 9 + 2 and m["rows"][-2:] == ["max points", "passed"]
        assert all(w > 0 for w in m["images"])
    _junit_files_checked(out / "junit", len(students))


@needs_chromium
def test_architectures_class_report_has_teams_and_leaderboard(graded_class, tmp_path):  # noqa: F811
    out = Path(graded_class["out"])
    measured = measure({"architectures": out / "report.html"}, tmp_path)
    teams = [t["team"] for t in graded_class["teams"]]
    for width in WIDTHS:
        m = measured[("architectures", width)]
        assert m["scrollWidth"] <= width and m["tableRight"] <= width, (width, m["scrollWidth"], m["tableRight"])
        assert sorted(m["teams"]) == sorted(teams) and m["leaderboard"][0] == "convolutionists"
        assert "architecture[lenet5-torch]" in m["headers"] and "architecture[alexnet-keras]" in m["headers"]
        assert m["badges"]["graded"] != m["badges"]["missing"] and None not in (m["badges"]["graded"], m["badges"]["missing"])
        assert m["links"][0] == "feedback/alexnet_no_padding.md"
    _junit_files_checked(out / "junit", len(graded_class["records"]))
    missing = json.loads(json.dumps(graded_class["missing"]))
    assert missing == ["linus"]
