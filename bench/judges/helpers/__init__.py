"""Modules an assignment can ship into the sandboxed worker, next to the student's code.

An assignment names them in ``assignment.toml`` (``[sandbox] helpers = ["model_export"]``); the
worker imports them like student modules and tests call them with ``student.call(...)``. They run
inside the sandbox, so they import only the standard library, numpy and the frameworks, never
cnnlab, and everything they return is as untrusted as the student's own values.
"""

from pathlib import Path

HELPERS_DIR = Path(__file__).resolve().parent


def available() -> list[str]:
    """Names of the helper modules (``model_export`` ...)."""
    return sorted(p.stem for p in HELPERS_DIR.glob("*.py") if not p.name.startswith("_"))
