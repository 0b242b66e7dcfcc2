"""cnnlab: reference CNNs in PyTorch and Keras 3, a grading engine for them, a throughput bench.

The package's rooms live in the repository's top-level folders and are mapped into this one
import root by ``pyproject.toml``:

- :mod:`cnnlab.reference`: the answer key (architectures, catalog, metrics, ops, transfer, CAM);
- :mod:`cnnlab.bench`: the ``cnnlab`` command, the grading engine and sandbox, the pytest plugin,
  the throughput harness;
- :mod:`cnnlab.reports`: turning records into tables, CSV, HTML, plots;
- ``cnnlab.assignments``: the bundled assignments (data; see :mod:`cnnlab.paths`).

Importing ``cnnlab`` imports no deep-learning framework.
"""

from __future__ import annotations

from importlib import metadata as _metadata

try:
    __version__ = _metadata.version("cnnlab")
except _metadata.PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = ["__version__"]
