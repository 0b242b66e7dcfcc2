"""``cnnlab demo`` says, per grading section, which sandbox ran and which report files it wrote."""

from pathlib import Path
from types import SimpleNamespace

from cnnlab.bench.commands.demo import what_it_did
from cnnlab.reports import grading as report

from .test_reports import _record, _test


def test_each_section_names_its_sandbox_and_files(tmp_path):
    records = [_record("ada", [_test("test_a", 1, 4, 4, "passed", "visible")]),
               _record("linus", [], status="missing")]
    out = tmp_path / "grades-metrics"
    summary = SimpleNamespace(out=out, graded=["ada"], errors=[], missing=["linus"], wall_s=3.2,
                              isolation="bwrap+capabilities+seccomp+rlimits", warnings=[],
                              reports=report.write_all(records, out))
    lines = what_it_did(summary).splitlines()
    assert lines[0] == "graded 1, errors 0, missing 1 in 3 s; sandbox: bwrap+capabilities+seccomp+rlimits"
    assert lines[1] == (f"wrote to {out}/: grades.csv, report.html, table.txt, feedback/ (2 files), "
                        f"gradescope/ (2 files), junit/ (2 files), plots/ (2 files); open {out / 'report.html'}")
    for name in ("grades.csv", "report.html", "table.txt"):
        assert (Path(out) / name).is_file()
    quiet = SimpleNamespace(**{**vars(summary), "isolation": "", "warnings": ["not on the roster: x"]})
    assert what_it_did(quiet).splitlines()[:2] == [
        "graded 1, errors 0, missing 1 in 3 s; sandbox: none (no student code ran)", "warning: not on the roster: x"]
