"""What every grading renderer reads the same way: the tests of a class in order, their short
names, point formatting, per-class statistics (the terminal, CSV, Markdown and HTML reports
all use these, so they agree)."""

from __future__ import annotations

import re
import statistics

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def fmt(points) -> str:
    """Points with at most two decimals: 10, 7.5, 3.33."""
    return f"{points:.2f}".rstrip("0").rstrip(".") if points is not None else ""


def clean(text) -> str:
    """``text`` without control characters (they would corrupt a terminal or an XML file)."""
    return _CONTROL.sub("", "" if text is None else str(text))


def test_names(records: list[dict]) -> list[str]:
    """Every test that occurs in ``records``, in test order."""
    order = {}
    for record in records:
        for t in record.get("tests", []):
            number = t.get("number") or ""
            key = (int(number) if number.isdigit() else 10**9, t["test"])
            order.setdefault(t["test"], key)
    return sorted(order, key=order.get)


def short_name(name: str) -> str:
    """A test's readable name: without the ``test_`` prefix, with its parameters
    (``test_architecture[lenet5-torch]`` -> ``architecture[lenet5-torch]``), so that the
    parametrisations of one test stay apart."""
    return name[5:] if name.startswith("test_") else name


def class_stats(records: list[dict]) -> dict:
    """Mean and median score and per-test pass rates of the graded submissions.

    Returns
    -------
    dict
        ``submissions`` (counted: graded or failed to grade), ``missing``, ``mean``,
        ``median``, ``max_score`` and ``pass_rate`` (test -> fraction that passed in full).
    """
    counted = [r for r in records if r["status"] in ("graded", "error")]
    scores = [r["score"] for r in counted]
    rates = {}
    for name in test_names(records):
        results = [t for r in counted for t in r.get("tests", []) if t["test"] == name]
        if results:
            rates[name] = sum(t["status"] == "passed" for t in results) / len(counted)
    return {
        "submissions": len(counted),
        "missing": sum(r["status"] == "missing" for r in records),
        "mean": statistics.fmean(scores) if scores else float("nan"),
        "median": statistics.median(scores) if scores else float("nan"),
        "max_score": max((r["max_score"] for r in counted), default=0.0),
        "pass_rate": rates,
    }
