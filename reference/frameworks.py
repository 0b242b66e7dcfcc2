"""Which framework: the names, what is installed, the install hint, the safe import order.

Every command and routine that needs a framework asks here, so that a missing one is reported
the same way everywhere: ``torch is not installed; pip install 'cnnlab[torch]'``.

Import order: with torch 2.15 and TensorFlow 2.21 in one process, loading triton's LLVM after TensorFlow's
aborts with "LLVM ERROR: inconsistency in registered CommandLine options". triton is pulled in by
torchvision, ``torch.utils.flop_counter`` and torch._dynamo (which some ``meta``-device kernels
load). The reverse order is fine, so a process that will use both loads torch's side first.
"""

from __future__ import annotations

import importlib.util
import sys

FRAMEWORKS = ("torch", "keras")
# the extra that installs each framework (and each Keras backend's package)
EXTRAS = {"torch": "torch", "torchvision": "torch", "keras": "keras", "tensorflow": "keras",
          "jax": "keras,jax"}


class FrameworkMissing(ModuleNotFoundError):
    """A framework (or a Keras backend's package) that a job needs is not installed."""


def install_hint(package: str) -> str:
    """The command that installs ``package`` (``torch``, ``keras``, ``tensorflow``, ``jax``)."""
    return f"pip install 'cnnlab[{EXTRAS.get(package, package)}]'"


def is_installed(package: str) -> bool:
    """Whether ``package`` can be imported here (checked without importing it)."""
    try:
        return importlib.util.find_spec(package) is not None
    except (ImportError, ValueError):
        return False


def installed(frameworks=FRAMEWORKS) -> list[str]:
    """The ``frameworks`` that are installed, in the order given."""
    return [f for f in frameworks if is_installed(f)]


def missing_message(packages) -> str:
    """One line naming the missing ``packages`` and the command that installs them."""
    packages = list(packages)
    extras = dict.fromkeys(e for p in packages for e in EXTRAS.get(p, p).split(","))
    verb = "is" if len(packages) == 1 else "are"
    return f"{' and '.join(packages)} {verb} not installed; pip install 'cnnlab[{','.join(extras)}]'"


def require(*packages: str) -> None:
    """Raise :class:`FrameworkMissing` with the install hint unless every package is installed."""
    absent = [p for p in packages if not is_installed(p)]
    if absent:
        raise FrameworkMissing(missing_message(absent))


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
