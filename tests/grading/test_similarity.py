"""``cnnlab similarity``: a copy with every name changed and the layout redone is still found;
an independent solution and the bare starter code are not flagged."""

import re

import pytest

pytest.importorskip("copydetect", reason="copydetect is the similarity extra")

from cnnlab.bench.cli import main
from cnnlab.bench.commands.similarity import compare

from .conftest import METRICS, write_submission

RENAMES = {"y_true": "labels", "y_pred": "guesses", "num_classes": "n_cls", "flat": "pairs_index",
           "numerator": "top", "denominator": "bottom", "precision": "prec", "recall": "rec",
           "predicted": "col_sums", "support": "row_sums", "scores": "probs", "order": "perm",
           "ranks": "rank_arr", "starts": "lo", "ends": "hi", "_ratio": "_safe_div", "_binary_auc": "_auc_one"}

OWN = '''"""My own metrics, written with loops."""
import numpy as np


def confusion_matrix(y_true, y_pred, num_classes):
    table = [[0] * num_classes for _ in range(num_classes)]
    for t, p in zip(y_true, y_pred):
        table[int(t)][int(p)] += 1
    return np.array(table, dtype=int)


def top_k_accuracy(y_true, scores, k):
    hits = 0
    for label, row in zip(y_true, scores):
        best = sorted(range(len(row)), key=lambda c: -row[c])[:k]
        hits += label in best
    return hits / len(y_true)


def roc_auc_ovr(y_true, scores):
    total = 0.0
    n = len(scores[0])
    for c in range(n):
        pos = [s[c] for s, t in zip(scores, y_true) if t == c]
        neg = [s[c] for s, t in zip(scores, y_true) if t != c]
        wins = sum(1.0 if a > b else 0.5 if a == b else 0.0 for a in pos for b in neg)
        total += wins / (len(pos) * len(neg))
    return total / n
'''


def _disguised(source: str) -> str:
    """Every name changed, comments and docstrings replaced, blank lines and line breaks redone."""
    for old, new in RENAMES.items():
        source = re.sub(rf"\b{old}\b", new, source)
    source = re.sub(r"#.*", "# reworked", source)
    source = source.replace('"""Instructor solution of the metrics assignment (numpy only)."""', '"""HW 2."""')
    source = source.replace("\n\n\ndef ", "\n\n\n# ---------------\ndef ")
    return source.replace(", dtype=np.float64)", ",\n        dtype=np.float64,\n    )")


@pytest.fixture(scope="module")
def cls(tmp_path_factory):
    root = tmp_path_factory.mktemp("similarity")
    solution = (METRICS / "solution" / "metrics.py").read_text()
    write_submission(root / "subs" / "ada", solution)
    write_submission(root / "subs" / "bob", _disguised(solution))
    write_submission(root / "subs" / "cyd", OWN)
    write_submission(root / "subs" / "dee", (METRICS / "starter" / "metrics.py").read_text())
    return root


def test_a_disguised_copy_is_flagged_and_nothing_else(cls):
    result = compare("metrics", cls / "subs", threshold=0.5)
    assert result["students"] == ["ada", "bob", "cyd", "dee"]
    flagged = [(p["student_a"], p["student_b"]) for p in result["pairs"] if p["flagged"]]
    assert [tuple(sorted(pair)) for pair in flagged] == [("ada", "bob")]
    pair = next(p for p in result["pairs"] if p["flagged"])
    assert min(pair["similarity_a"], pair["similarity_b"]) > 0.8
    for p in result["pairs"]:
        if "dee" in (p["student_a"], p["student_b"]):  # the starter code is boilerplate
            assert max(p["similarity_a"], p["similarity_b"]) < 0.2, p
    # the marked regions are real code of each side
    side = "a" if pair["student_a"] == "bob" else "b"
    marked = "".join(pair[f"code_{side}"][s:e] for s, e in pair[f"regions_{side}"])
    assert "pairs_index" in marked and "_safe_div" in marked


def test_command_writes_the_side_by_side_report(cls, capsys):
    out = cls / "out"
    assert main(["similarity", "metrics", str(cls / "subs"), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "4 submissions, 1 pair(s) flagged at 50% (starter code ignored)" in text
    page = (out / "similarity.html").read_text()
    assert page.count('<section class="pair"') == 1 and page.count("<mark>") > 5
    assert "def _safe_div(top, bottom):" in re.sub(r"</?mark>", "", page)  # bob's side, as he wrote it
    assert (out / "similarity.csv").read_text().splitlines()[0] == \
        "student_a,student_b,file_a,file_b,similarity_a,similarity_b,tokens,flagged"


@pytest.mark.parametrize("argv, message", [
    (["metrics", "{one}"], "at least 2 submissions"),
    (["metrics", "{subs}", "--threshold", "0"], "--threshold must be in (0, 1]"),
    (["nosuch", "{subs}"], "nosuch"),
])
def test_bad_input_is_one_line_and_exit_2(cls, tmp_path, argv, message, capsys):
    write_submission(tmp_path / "one" / "solo", "x = 1\n")
    argv = [a.format(one=tmp_path / "one", subs=cls / "subs") for a in argv]
    assert main(["similarity", *argv, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
