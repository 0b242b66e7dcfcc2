"""The examples in the docstrings of reference.metrics run and print what they claim."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "cnnlab.reference.metrics",
    "cnnlab.reference.metrics._confusion",
    "cnnlab.reference.metrics._classification",
    "cnnlab.reference.metrics._ranking",
    "cnnlab.reference.metrics._fixtures",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0
