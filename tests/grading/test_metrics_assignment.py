"""The metrics assignment itself: the instructor's solution agrees with scikit-learn (an
independent implementation) on every fixture case, the points add up, hidden tests cover what
the public ones do not, the solution earns full marks and the starter none."""

import shutil

import numpy as np
import pytest
from sklearn import metrics as skm

from cnnlab.bench.grading import grade

from ..conftest import load_module
from .conftest import FAST_LIMITS, METRICS, marked_points


def _cases(kind):
    with np.load(METRICS / "fixtures" / kind / "cases.npz", allow_pickle=False) as data:
        cases = {}
        for key in data.files:
            case, name = key.split("/")
            cases.setdefault(case, {})[name] = data[key]
    return cases


ALL_CASES = {f"{kind}/{name}": case for kind in ("public", "hidden") for name, case in _cases(kind).items()}


@pytest.fixture(scope="module")
def solution():
    return load_module(METRICS / "solution" / "metrics.py", "metrics_solution")


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.UndefinedMetricWarning")  # k = n_classes
@pytest.mark.parametrize("name", sorted(ALL_CASES))
def test_solution_agrees_with_scikit_learn(solution, name):
    case = ALL_CASES[name]
    y = case["y_true"]
    n = int(case["scores"].shape[1]) if "scores" in case else int(max(y.max(), case["y_pred"].max()) + 1)
    if name == "hidden/absent":
        n = 4  # the test's class count: class 3 never occurs
    labels = np.arange(n)
    if "y_pred" in case:
        p = case["y_pred"]
        np.testing.assert_array_equal(solution.confusion_matrix(y, p, n), skm.confusion_matrix(y, p, labels=labels))
        for average in ("macro", "micro", "weighted", None):
            expected = skm.precision_recall_fscore_support(y, p, labels=labels, average=average,
                                                           zero_division=0.0)[:3]
            np.testing.assert_allclose(solution.precision_recall_f1(y, p, n, average=average), expected,
                                       rtol=1e-12, atol=1e-12)
    if "scores" in case:
        s = case["scores"]
        sk_scores = s[:, 1] if n == 2 else s  # scikit-learn takes the positive column for two classes
        for k in range(1, n + 1) if name != "hidden/ties" else ():  # top-k is graded without ties
            assert solution.top_k_accuracy(y, s, k) == pytest.approx(
                skm.top_k_accuracy_score(y, sk_scores, k=k, labels=labels), abs=1e-12)
        expected = (skm.roc_auc_score(y, s[:, 1]) if n == 2 else
                    skm.roc_auc_score(y, s, multi_class="ovr", average="macro", labels=labels))
        assert solution.roc_auc_ovr(y, s) == pytest.approx(expected, abs=1e-12)


def test_points_add_up_to_the_assignment_total():
    public = marked_points(METRICS / "tests" / "public" / "test_public.py")
    hidden = marked_points(METRICS / "tests" / "hidden" / "test_hidden.py")
    assert sum(public.values()) == 40 and sum(hidden.values()) == 60  # as README.md says
    assert sum(public.values()) + sum(hidden.values()) == 100  # assignment.toml points


def test_hidden_cases_cover_what_public_ones_do_not():
    public, hidden = _cases("public"), _cases("hidden")
    absent = hidden["absent"]
    assert 3 not in absent["y_true"] and 3 not in absent["y_pred"]  # a class in neither
    assert 2 in absent["y_true"] and 2 not in absent["y_pred"]  # a class never predicted
    assert len(np.unique(hidden["ties"]["scores"][:, 0])) < len(hidden["ties"]["scores"]) // 5  # ties
    assert hidden["binary"]["scores"].shape[1] == 2
    for case in public.values():  # public: every class occurs, no ties
        assert set(np.unique(case["y_true"])) == set(range(case["scores"].shape[1]))
        assert len(np.unique(case["scores"][:, 0])) == len(case["scores"])


def test_starter_raises_not_implemented():
    starter = load_module(METRICS / "starter" / "metrics.py", "metrics_starter")
    for name, args in [("confusion_matrix", ([0], [0], 1)), ("precision_recall_f1", ([0], [0], 1)),
                       ("top_k_accuracy", ([0], [[1.0]], 1)), ("roc_auc_ovr", ([0, 1], [[1, 0], [0, 1]]))]:
        with pytest.raises(NotImplementedError):
            getattr(starter, name)(*args)


def test_solution_earns_everything_and_starter_nothing(tmp_path):
    for name in ("solution", "starter"):
        shutil.copytree(METRICS / name, tmp_path / "subs" / name)
    summary = grade("metrics", tmp_path / "subs", tmp_path / "out", jobs=2, limits=FAST_LIMITS)
    scores = {r["student"]: (r["score"], r["max_score"]) for r in summary.records}
    assert scores == {"solution": (100, 100), "starter": (0, 100)}
    starter = next(r for r in summary.records if r["student"] == "starter")
    for test in starter["tests"]:  # hidden tests say what happened, not the class (issue 19)
        said = "raised NotImplementedError" if test["visibility"] == "visible" else "raised an exception"
        assert said in test["message"], test
