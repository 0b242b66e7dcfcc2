"""Shared set-up of the data tests."""

import pytest


@pytest.fixture(autouse=True)
def _small_models_run_on_one_thread(one_torch_thread):
    """See ``one_torch_thread`` in tests/conftest.py."""
