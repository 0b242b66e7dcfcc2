"""Attack: monkeypatch the test machinery so that every check passes: pytest's outcomes and
assertion rewriting, cnnlab's plugin, numpy's comparisons and ``builtins``."""

import builtins
import sys

import numpy as np

PATCHED = []


def _patch(obj, name, value):
    try:
        setattr(obj, name, value)
        PATCHED.append(f"{getattr(obj, '__name__', obj)}.{name}")
    except Exception:  # noqa: BLE001
        pass


def _yes(*args, **kwargs):
    return True


# numpy's comparisons, the ones a test would use
for name in ("allclose", "array_equal", "isclose", "all", "any"):
    _patch(np, name, _yes)
_patch(np, "isfinite", lambda x, *a, **k: np.ones(np.shape(x), dtype=bool))
_patch(np.testing, "assert_allclose", lambda *a, **k: None)
_patch(np.testing, "assert_array_equal", lambda *a, **k: None)

# pytest, if it can be imported here: make failures pass and assertions vanish
try:
    import _pytest.outcomes
    import pytest

    _patch(pytest, "fail", lambda *a, **k: None)
    _patch(_pytest.outcomes, "fail", lambda *a, **k: None)
    _patch(pytest, "approx", lambda expected, *a, **k: expected)
except Exception:  # noqa: BLE001
    pass

# cnnlab's own plugin and grader, if they can be found
for module in ("cnnlab.bench.plugin", "cnnlab.bench.grading.client", "cnnlab.bench.grading.engine"):
    try:
        __import__(module)
        target = sys.modules[module]
        _patch(target, "_record", lambda item, info: {"points": 100, "status": "passed"})
        _patch(target, "StudentError", Exception)
    except Exception:  # noqa: BLE001
        pass

# builtins: every isinstance check succeeds, AssertionError becomes harmless
_patch(builtins, "isinstance", _yes)
_patch(builtins, "AssertionError", type("NotAnError", (Exception,), {}))


def confusion_matrix(y_true, y_pred, num_classes):
    return np.zeros((num_classes, num_classes), dtype=np.int64)


def precision_recall_f1(y_true, y_pred, num_classes, average="macro"):
    return 0.0, 0.0, 0.0


def top_k_accuracy(y_true, scores, k):
    return 0.0


def roc_auc_ovr(y_true, scores):
    return 0.5
