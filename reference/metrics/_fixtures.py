"""The versioned metric fixtures: inputs and scikit-learn's outputs, for grading and tests.

Each case lives in ``reference/fixtures/metrics/<name>.json`` (plus ``<name>.npz`` for large
arrays), written by ``scripts/make_metric_fixtures.py``. A case holds named ``inputs`` and a list
of ``calls``: a routine of :mod:`cnnlab.reference.metrics`, its arguments and either the ``expected``
result (computed by scikit-learn) or the error it ``raises``.

JSON values of the form ``{"npz": key}`` stand for an array in the case's ``.npz`` file; floats
use Python's ``NaN`` and ``Infinity`` tokens where they occur.

>>> from cnnlab.reference.metrics import fixture_names, load_fixture
>>> case = load_fixture("lecture_top_k")
>>> [(c["kwargs"]["k"], c.get("expected")) for c in case["calls"]
...  if c["routine"] == "top_k_accuracy"]
[(1, 0.0), (2, 0.0), (3, 1.0), (4, 1.0), (5, 1.0), (6, None)]
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from cnnlab import paths
from cnnlab.errors import UsageError

FIXTURE_DIR = paths.fixtures_dir() / "metrics"
MANIFEST = "MANIFEST.json"


def manifest() -> dict:
    """The fixture set's manifest: version, generator, library versions and the cases."""
    return json.loads((FIXTURE_DIR / MANIFEST).read_text())


def fixture_names() -> list[str]:
    """Names of all fixture cases, in manifest order."""
    return [case["name"] for case in manifest()["cases"]]


def _resolve(value: Any, arrays) -> Any:
    if isinstance(value, dict):
        if set(value) == {"npz"}:
            return arrays[value["npz"]]
        return {k: _resolve(v, arrays) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, arrays) for v in value]
    return value


def load_fixture(name: str) -> dict:
    """Load one case with its inputs as numpy arrays.

    Parameters
    ----------
    name : str
        A case name; see :func:`fixture_names`.

    Returns
    -------
    dict
        ``name``, ``description``, ``covers`` (the situations it exercises), ``inputs`` (name to
        ndarray) and ``calls``: dicts with ``id``, ``routine``, ``args`` (input names, or
        ``{"input": name, "column": j}`` for one score column), ``kwargs``, ``source`` and either
        ``expected`` or ``raises`` (``{"type": "ValueError", "match": text}``). Use
        :func:`call_arguments` to turn a call into ``(args, kwargs)``.
    """
    names = fixture_names()
    if name not in names:
        raise UsageError(f"unknown metric fixture {name!r}; valid names: {', '.join(names)}")
    case = json.loads((FIXTURE_DIR / f"{name}.json").read_text())
    npz_path = FIXTURE_DIR / f"{name}.npz"
    arrays = {}
    if npz_path.exists():
        with np.load(npz_path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    case = _resolve(case, arrays)
    case["inputs"] = {key: np.asarray(value) for key, value in case["inputs"].items()}
    return case


def call_arguments(case: dict, call: dict) -> tuple[list, dict]:
    """The positional and keyword arguments of one fixture call."""
    args = []
    for spec in call["args"]:
        if isinstance(spec, dict):
            args.append(case["inputs"][spec["input"]][:, spec["column"]])
        else:
            args.append(case["inputs"][spec])
    return args, dict(call.get("kwargs", {}))
