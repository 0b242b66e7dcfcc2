"""The transfer assignment: its files, its fixtures, and the grading of its example submissions
(one correct, three with the classic bugs, one that ships a harness of its own) in the sandbox.

Expected points follow from the assignment's points table and each example's bug:
T1 freeze 10, T2 unfreeze_last 10, T3 count_trainable 10, T4 add_head 10 (public); T5 ResNet50
patterns 15, T6 frozen base unchanged after training 15, T7 unfrozen layers train 10, T8
BatchNorm in inference mode 10, T9 count_trainable with BatchNorm 5, T10 edge cases 5 (3 parts).
Every test has one part per framework (T10: two plus the Keras head).
"""

import json
import shutil
from pathlib import Path

import pytest

# the assignment has students write both frameworks, and its grader imports both
pytest.importorskip("torch")
pytest.importorskip("keras")

from cnnlab import paths
from cnnlab.bench.grading import assignment as assignments
from cnnlab.bench.grading import grade

from ..conftest import load_module
from .conftest import computed_once

TRANSFER = paths.bundled_assignments() / "transfer"
EXAMPLES = paths.examples_dir() / "transfer"
FULL = {"test_freeze": 10, "test_unfreeze_last": 10, "test_count_trainable": 10, "test_add_head": 10,
        "test_resnet50_patterns": 15, "test_frozen_base_unchanged_after_training": 15,
        "test_unfrozen_layers_train": 10, "test_frozen_batchnorm_runs_in_inference_mode": 10,
        "test_count_trainable_with_batchnorm": 5, "test_edge_cases": 5}
EXPECTED = {
    "correct": FULL,
    # count_trainable counts every parameter: only the two counting tests fail
    "counted_all": dict(FULL, test_count_trainable=0, test_count_trainable_with_batchnorm=0),
    # torch: BatchNorm statistics move; Keras: BatchNorm stays trainable. VGG has no BatchNorm.
    "forgot_bn": dict(FULL, test_resnet50_patterns=7.5, test_frozen_base_unchanged_after_training=0,
                      test_unfrozen_layers_train=0, test_frozen_batchnorm_runs_in_inference_mode=0,
                      test_edge_cases=5 * 2 / 3),
    # the first n layers: every "last n" count is wrong; n = 0 and n = all still come out right
    "wrong_end": dict(FULL, test_unfreeze_last=0, test_resnet50_patterns=0, test_unfrozen_layers_train=0),
    # counted_all's code with a harness that reports every count as right: cnnlab's helper runs
    # instead, so it scores what counted_all scores
    "tampered_harness": dict(FULL, test_count_trainable=0, test_count_trainable_with_batchnorm=0),
}


def test_assignment_loads():
    spec = assignments.load("transfer")
    assert spec.files == ("transfer_torch.py", "transfer_keras.py")
    assert spec.helpers == ("transfer_harness",)
    assert spec.imports == ("numpy", "torch", "keras") and spec.env == {"KERAS_BACKEND": "torch"}
    assert spec.points == sum(FULL.values()) == 100


def test_the_harness_is_cnnlabs_alone():
    """One harness, cnnlab's helper: no student folder carries a copy but the tampering example."""
    from cnnlab.bench.judges.helpers import HELPERS_DIR, available

    assert "transfer_harness" in available()
    copies = sorted(p.parent.name for p in (TRANSFER.rglob("transfer_harness.py")))
    copies += sorted(p.parent.name for p in EXAMPLES.rglob("transfer_harness.py"))
    assert copies == ["tampered_harness"]
    tampered = (EXAMPLES / "tampered_harness" / "transfer_harness.py").read_text(encoding="utf-8")
    assert tampered != (HELPERS_DIR / "transfer_harness.py").read_text(encoding="utf-8")


def test_fixtures_are_what_the_script_writes():
    script = load_module(TRANSFER / "fixtures" / "make_fixtures.py", "make_fixtures")
    for kind, cases in (("public", script.public()), ("hidden", script.hidden())):
        assert json.loads((TRANSFER / "fixtures" / kind / "cases.json").read_text()) == cases
    # the lecture's figure, from keras.applications via reference/fixtures/transfer
    vgg = next(c for c in script.public()["counts"] if c["name"] == "keras_vgg16")
    assert (vgg["total"], vgg["trainable"]) == (14_714_688, [14_714_688, 0, 7_079_424])


def _grade(folder):
    subs = folder / "subs"
    shutil.copytree(EXAMPLES, subs)
    summary = grade("transfer", subs, folder / "out", jobs=2)
    return {"errors": summary.errors, "out": str(folder / "out"),
            "records": {r["student"]: r for r in summary.records}}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The five examples graded once (about 15 s of CPU per submission: the worker imports torch
    and Keras)."""
    return computed_once(tmp_path_factory, "transfer-examples", _grade)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_examples_score_what_their_bugs_cost(graded, name):
    record = graded["records"][name]
    assert record["status"] == "graded" and graded["errors"] == []
    got = {t["test"]: t["points"] for t in record["tests"]}
    assert got == pytest.approx(EXPECTED[name], abs=0.01), [(t["test"], t["message"][:300]) for t in record["tests"]]
    assert record["score"] == pytest.approx(sum(EXPECTED[name].values()), abs=0.01)


def test_messages_say_what_went_wrong_and_hidden_ones_show_no_values(graded):
    forgot = {t["test"]: t for t in graded["records"]["forgot_bn"]["tests"]}
    # a hidden test says which parts failed, in the grader's fixed words only (issue 19)
    assert forgot["test_frozen_base_unchanged_after_training"]["message"] == \
        "2 of 2 parts failed\n- torch_small: wrong result\n- keras_small: wrong result"
    for test in forgot.values():
        if test["visibility"] == "hidden":  # the first line of each failed part only: no values
            assert "got" not in test["message"] and "\n  " not in test["message"]
    counted = {t["test"]: t for t in graded["records"]["counted_all"]["tests"]}
    assert "got 14,714,688, the model has 0 trainable parameters" in counted["test_count_trainable"]["message"]
    tampered = {t["test"]: t for t in graded["records"]["tampered_harness"]["tests"]}
    assert tampered["test_count_trainable"]["message"] == counted["test_count_trainable"]["message"]


def test_feedback_files_are_written(graded):
    out = Path(graded["out"])
    for name in EXPECTED:
        assert (out / "feedback" / f"{name}.md").is_file()
