"""Which framework: the names, what is installed, the install hint, the safe import order.

Every command and routine that needs a framework asks here, so that a missing one is reported
the same way everywhere: ``torch is not installed; pip install 'cnnlab[torch]'``.

Import order: with torch 2.15 and TensorFlow 2.21 in one process, loading triton's LLVM after TensorFlow's
aborts with "LLVM ERROR: inconsistency in registered CommandLine options". triton is pulled in by
torchvision, ``torch.utils.flop_counter`` and torch._dynamo (which some ``meta``-device kernels
load). The reverse order is fine, so a process that will use both loads torch's side first.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from types import ModuleType

from cnnlab.errors import UsageError

#: The frameworks every architecture, routine and assignment exists in.
FRAMEWORKS = ("torch", "keras")
# the extra that installs each framework (and each Keras backend's package)
EXTRAS = {"torch": "torch", "torchvision": "torch", "keras": "keras", "tensorflow": "keras",
          "jax": "keras,jax"}


class FrameworkMissing(ModuleNotFoundError):
    """A framework (or a Keras backend's package) that a job needs is not installed."""


def check_framework(framework: str) -> str:
    """Return ``framework`` if it is one of :data:`FRAMEWORKS`, else raise a ``ValueError``
    listing them."""
    if framework not in FRAMEWORKS:
        raise UsageError(f"unknown framework {framework!r}; valid frameworks: {', '.join(FRAMEWORKS)}")
    return framework


def framework_of(model) -> str:
    """``"torch"`` or ``"keras"``, decided from the model's class, without importing either."""
    for cls in type(model).__mro__:
        root = cls.__module__.split(".")[0]
        if root in FRAMEWORKS:
            return root
    raise UsageError(f"expected a torch.nn.Module or a keras.Model, got {type(model).__name__}")


def twin(package: str, framework: str, *, module: str | None = None) -> ModuleType:
    """The ``framework`` side of a pair of twin modules, imported on demand.

    Twins are named ``_torch.py`` and ``_keras.py`` inside ``package`` (``module=None``); the
    architectures are paired file by file in ``torch_models/`` and ``keras_models/`` instead
    (``twin("cnnlab.reference", "keras", module="resnet")`` imports
    ``cnnlab.reference.keras_models.resnet``). A missing framework raises
    :class:`FrameworkMissing` with the install hint.
    """
    check_framework(framework)
    name = f"{package}.{framework}_models.{module}" if module else f"{package}._{framework}"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        root = (exc.name or "").split(".")[0]
        if root in EXTRAS:
            raise FrameworkMissing(f"{name}: {missing_message([root])}") from exc
        raise


def install_hint(*packages: str) -> str:
    """The command that installs ``packages`` (``torch``, ``keras``, ``tensorflow``, ``jax``)."""
    extras = dict.fromkeys(e for p in packages for e in EXTRAS.get(p, p).split(","))
    return f"pip install 'cnnlab[{','.join(extras)}]'"


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
    verb = "is" if len(packages) == 1 else "are"
    return f"{' and '.join(packages)} {verb} not installed; {install_hint(*packages)}"


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
