"""The one error type for bad input.

A :class:`UsageError` says the user gave something cnnlab cannot take (a name, an option, a
value, a file) and why, in one line naming the valid choices. The ``cnnlab`` command prints it
as one line and exits 2. Any other exception is a bug: the command shows its traceback and exits
1, so a real fault is never disguised as a typo. ``UsageError`` is a ``ValueError``, so callers
of the Python API catch it as before.
"""

from __future__ import annotations

__all__ = ["UsageError"]


class UsageError(ValueError):
    """Bad input from the user, with a message that says what is valid."""
