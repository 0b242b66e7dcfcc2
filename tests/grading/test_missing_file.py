"""A submission without the assignment's required file: no student code runs, so there is no
sandbox to speak of and no security warning to give (issue 14)."""

from cnnlab.bench.grading import grade
from cnnlab.bench.grading.engine import MISSING_FILE

from .conftest import FAST_LIMITS, write_submission


def test_a_missing_file_is_recorded_as_such_without_a_false_alarm(tmp_path):
    write_submission(tmp_path / "subs" / "nofile", "print('my metrics are in my head')\n", name="notes.py")
    summary = grade("metrics", tmp_path / "subs", tmp_path / "out", limits=FAST_LIMITS, isolation="rlimits")
    (record,) = summary.records
    assert record["isolation"] == MISSING_FILE == "missing file"
    assert record["score"] == 0 and record["max_score"] == 100
    assert "missing file: metrics.py" in record["message"]
    assert not any("isolation" in w for w in summary.warnings), summary.warnings
    assert summary.isolation == ""  # no worker ran
    assert "Graded in a sandbox: missing file." not in (tmp_path / "out" / "feedback" / "nofile.md").read_text()
    assert "None of your code ran (missing file: metrics.py)." in (tmp_path / "out" / "feedback" / "nofile.md").read_text()
