"""Comparison of a routine's result with a fixture's or scikit-learn's: exact for counts,
labels and text, absolute tolerance 1e-12 for floats."""

from __future__ import annotations

import numpy as np

ATOL = 1e-12


def assert_matches(actual, expected, path: str = "result") -> None:
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{path}: expected a dict, got {type(actual).__name__}"
        assert list(actual) == list(expected), (
            f"{path}: keys {list(actual)[:8]} != {list(expected)[:8]}"
        )
        for key in expected:
            assert_matches(actual[key], expected[key], f"{path}[{key!r}]")
    elif isinstance(expected, str):
        assert isinstance(actual, str), f"{path}: expected text, got {type(actual).__name__}"
        assert actual == expected, f"{path}: text differs\n{actual}\n!=\n{expected}"
    elif expected is None:
        assert actual is None, f"{path}: expected None, got {actual!r}"
    elif (
        isinstance(expected, (list, tuple))
        and any(isinstance(e, (dict, str)) or e is None for e in expected)
        and not all(isinstance(e, str) for e in expected)
    ):
        assert len(actual) == len(expected), f"{path}: length {len(actual)} != {len(expected)}"
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            assert_matches(a, e, f"{path}[{i}]")
    else:
        e = np.asarray(expected)
        a = np.asarray(actual)
        assert a.shape == e.shape, f"{path}: shape {a.shape} != {e.shape}"
        if e.dtype.kind in "biuUS":  # counts and labels: exact
            assert a.dtype.kind in ("biu" if e.dtype.kind in "biu" else "U"), (
                f"{path}: dtype {a.dtype} for exact values of dtype {e.dtype}"
            )
            assert np.array_equal(a, e), f"{path}: {a.tolist()[:10]} != {e.tolist()[:10]}"
        else:
            np.testing.assert_allclose(
                a.astype(np.float64),
                e.astype(np.float64),
                rtol=0,
                atol=ATOL,
                equal_nan=True,
                err_msg=path,
            )
