"""Fixtures of the transfer assignment's tests: the expected numbers on disk, the harness that
builds models in the sandbox (cnnlab's ``transfer_harness`` helper), and comparisons of what it
reports (plain data from the sandbox) with the expected numbers."""

import json
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _cases(kind):
    return json.loads((ROOT / "fixtures" / kind / "cases.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def public_cases():
    return _cases("public")


@pytest.fixture(scope="session")
def hidden_cases():
    return _cases("hidden")


@pytest.fixture
def harness(student):
    """``harness.<function>(...)`` runs cnnlab's ``transfer_harness`` in the sandbox."""
    return student.transfer_harness


class Checks:
    """Each method asserts that the harness's report matches the expected numbers. The first
    line of a message names the case only: it is all a hidden test shows."""

    def trainable(self, rows, case, what):
        assert len(rows) == len(case["trainable"]), f"{what}: wrong number of rows"
        got = [r["trainable"] for r in rows]
        assert rows[0]["total"] == case["total"], \
            f"{what}: the model has another size\ngot {rows[0]['total']:,}, expected {case['total']:,}"
        for step, g, e in zip([["(built)"]] + case["steps"], got, case["trainable"], strict=True):
            assert g == e, (f"{what}: wrong trainable count after {step}\n"
                            f"got {g:,}, expected {e:,}")

    def counted(self, rows, what):
        for index, row in enumerate(rows):
            assert not row["count_error"], f"{what}: count_trainable raised an exception\n{row['count_error']}"
            assert isinstance(row["count_trainable"], int), f"{what}: count_trainable must return an int"
            assert row["count_trainable"] == row["trainable"], (
                f"{what}: count_trainable is wrong after step {index}\n"
                f"got {row['count_trainable']:,}, the model has {row['trainable']:,} trainable parameters")

    def changed(self, report, case, what):
        assert sorted(report["names"]) == case["names"], f"{what}: the model's weights are not the harness's"
        moved = sorted(n for n, b, a in zip(report["names"], report["before"], report["after"], strict=True)
                       if not np.array_equal(b, a))
        should = set(case["changed"])
        wrongly_moved = [n for n in moved if n not in should]
        stuck = [n for n in case["changed"] if n not in moved]
        assert not wrongly_moved, f"{what}: frozen weights or statistics changed in training\n{wrongly_moved}"
        assert not stuck, f"{what}: trainable weights did not change in training\n{stuck}"

    def head(self, report, case, what):
        assert report["contains_base"], f"{what}: the model does not contain the base's weights"
        assert report["output_shape"] == case["output_shape"], \
            f"{what}: wrong output shape\ngot {report['output_shape']}, expected {case['output_shape']}"
        assert report["trainable"] == case["trainable"], (
            f"{what}: wrong trainable count (head only, the base stays frozen)\n"
            f"got {report['trainable']:,}, expected {case['trainable']:,}")
        assert report["total"] == case["total"], \
            f"{what}: wrong total\ngot {report['total']:,}, expected {case['total']:,}"
        if case["softmax"]:
            assert np.allclose(report["row_sums"], 1.0, atol=1e-5), \
                f"{what}: the outputs are not probabilities (rows do not sum to 1)\n{report['row_sums']}"


@pytest.fixture(scope="session")
def check():
    return Checks()
