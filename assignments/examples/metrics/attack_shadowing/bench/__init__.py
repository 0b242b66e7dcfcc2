"""Shadows cnnlab's rooms: a trusted process importing it leaves a trace."""

import os as _os


def _mark(name):
    """Leave a trace where only a process outside the sandbox can write."""
    try:
        _os.makedirs("/tmp/cnnlab-issue19-shadow", exist_ok=True)
        open(f"/tmp/cnnlab-issue19-shadow/{name}", "w").close()
    except OSError:
        pass


_mark("bench")
