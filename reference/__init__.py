"""cnnlab's answer key: reference architectures in PyTorch and Keras 3, and the facts about them.

Importing this package imports no deep-learning framework; :func:`build` imports the one it
is asked for.
"""

from __future__ import annotations

from ._build import build
from .frameworks import check_framework

__all__ = ["build", "check_framework"]
