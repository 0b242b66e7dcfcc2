"""The cases file an assignment's tests read: ``fixtures/<kind>/cases.npz``.

Keys are ``"<case>/<name>"``; the file is read without pickle, so it holds plain arrays only.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def load_cases(path: Path) -> dict[str, dict]:
    """``{case: {name: value}}`` from a cases file; 0-d arrays come back as Python scalars."""
    cases: dict[str, dict] = {}
    with np.load(path, allow_pickle=False) as data:
        for key in data.files:
            case, name = key.split("/")
            value = data[key]
            cases.setdefault(case, {})[name] = value.item() if value.ndim == 0 else value
    return cases
