"""A conftest.py that makes every test pass, if pytest ever collected it from the submission."""

import os as _os


def _mark(name):
    """Leave a trace where only a process outside the sandbox can write."""
    try:
        _os.makedirs("/tmp/cnnlab-issue19-shadow", exist_ok=True)
        open(f"/tmp/cnnlab-issue19-shadow/{name}", "w").close()
    except OSError:
        pass


_mark("conftest")


def pytest_runtest_call(item):
    item.runtest = lambda: None
