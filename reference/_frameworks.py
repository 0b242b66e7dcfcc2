"""Import the frameworks a process needs, in an order that does not abort it.

With torch 2.15 and TensorFlow 2.21 in one process, loading triton's LLVM after TensorFlow's
aborts with "LLVM ERROR: inconsistency in registered CommandLine options". triton is pulled in by
torchvision, ``torch.utils.flop_counter`` and torch._dynamo (which some ``meta``-device kernels
load). The reverse order is fine, so a process that will use both loads torch's side first.
"""

from __future__ import annotations

import importlib.util
import sys


def prepare(frameworks) -> None:
    """Call before the first framework import of a process that may use ``frameworks``."""
    frameworks = set(frameworks)
    if "torch" not in frameworks or "keras" not in frameworks:
        return
    if importlib.util.find_spec("torch") is None:
        return
    if "tensorflow" in sys.modules and "triton" not in sys.modules:
        raise RuntimeError(
            "TensorFlow was imported before torch: import torch (and torchvision) first in a "
            "process that uses both frameworks, or the process may abort inside LLVM"
        )
    import torch  # noqa: F401

    if importlib.util.find_spec("triton") is not None:
        import triton  # noqa: F401
