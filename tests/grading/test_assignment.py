"""assignment.toml: the metrics assignment loads; malformed files give a ValueError naming the
key and the valid choices."""

import datetime as dt

import pytest

from cnnlab.bench.grading import assignment as assignments
from cnnlab.bench.grading.assignment import Limits

from .conftest import METRICS


def test_metrics_assignment_loads_by_name_and_by_path():
    spec = assignments.load("metrics")
    assert spec == assignments.load(METRICS) == assignments.load(METRICS / "assignment.toml")
    assert spec.name == "metrics" and spec.points == 100 and spec.files == ("metrics.py",)
    assert spec.modules == ("metrics",) and spec.imports == ("numpy",)
    assert spec.due == dt.datetime(2030, 6, 30, 23, 59, tzinfo=dt.UTC)
    assert spec.limits.call_timeout_s == 10 and spec.limits.memory_mib == 1024
    assert "metrics" in assignments.available()
    assert assignments.find_root(METRICS / "tests" / "public" / "test_public.py") == METRICS


def test_unknown_assignment_lists_the_bundled_ones():
    with pytest.raises(ValueError, match="assignment 'nope' not found.*metrics"):
        assignments.load("nope")


def _write(tmp_path, text):
    (tmp_path / "assignment.toml").write_text(text)
    return tmp_path


@pytest.mark.parametrize("text, message", [
    ("[assignment]\nfiles = ['m.py']\n", "missing required key 'points'"),
    ("[assignment]\npoints = 0\nfiles = ['m.py']\n", "points must be positive"),
    ("[assignment]\npoints = 'ten'\nfiles = ['m.py']\n", "points must be int or float"),
    ("[assignment]\npoints = 10\nfiles = ['../m.py']\n", "Python file names"),
    ("[assignment]\npoints = 10\nfiles = ['m.py']\ncolor = 1\n", r"unknown key\(s\) \['color'\]; valid: title"),
    ("[assignment]\npoints = 10\nfiles = ['m.py']\n[limits]\nmemory = 5\n", r"unknown limit\(s\).*valid: call_timeout_s"),
    ("[assignment]\npoints = 10\nfiles = ['m.py']\n[limits]\nmemory_mib = -1\n", "memory_mib must be a positive number"),
    ("[assignment]\npoints = 10\nfiles = ['m.py']\n[grading]\n", r"unknown table\(s\) \['grading'\]"),
    ("[assignment]\npoints = 10\nfiles = ['m.py']\n[sandbox]\nimports = ['os; rm']\n", "imports must be module names"),
    ("[assignment\n", "not valid TOML"),
])
def test_malformed_assignment_toml(tmp_path, text, message):
    with pytest.raises(ValueError, match=message):
        assignments.load(_write(tmp_path, text))


def test_date_only_due_is_end_of_day_utc(tmp_path):
    spec = assignments.load(_write(tmp_path, "[assignment]\npoints = 5\nfiles = ['m.py']\ndue = 2031-01-02\n"))
    assert spec.due == dt.datetime(2031, 1, 2, 23, 59, 59, tzinfo=dt.UTC)
    assert spec.title == tmp_path.name


def test_limits_replace_validates():
    assert Limits().replace(call_timeout_s=2).call_timeout_s == 2.0
    with pytest.raises(ValueError, match="unknown limit"):
        Limits().replace(timeout=2)
    with pytest.raises(ValueError, match="must be a positive number"):
        Limits().replace(output_kib=True)
