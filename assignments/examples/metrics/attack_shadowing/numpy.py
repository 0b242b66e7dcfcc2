"""Shadows the module numpy: if a trusted grader process imported it, the trace is left and the
import breaks the grader."""

import os as _os


def _mark(name):
    """Leave a trace where only a process outside the sandbox can write."""
    try:
        _os.makedirs("/tmp/cnnlab-issue19-shadow", exist_ok=True)
        open(f"/tmp/cnnlab-issue19-shadow/{name}", "w").close()
    except OSError:
        pass


_mark("numpy")
raise ImportError("attack_shadowing: numpy.py was imported")
