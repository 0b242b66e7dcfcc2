"""Every file-system location cnnlab looks things up in, in one place.

cnnlab runs from a wheel in site-packages as well as from an editable install of its source tree,
so nothing may assume a checkout: the bundled assignments are package data found through
:mod:`importlib.resources`, and an instructor's own assignments come from the folders named in
``CNNLAB_ASSIGNMENTS`` (``os.pathsep``-separated) or from a path given on the command line.
"""

from __future__ import annotations

import importlib.resources
import importlib.util
import os
from pathlib import Path

ASSIGNMENTS_ENV = "CNNLAB_ASSIGNMENTS"
# the rooms of the package (pyproject.toml maps each onto a top-level folder of the repository)
ROOMS = ("cnnlab", "cnnlab.reference", "cnnlab.bench", "cnnlab.reports", "cnnlab.assignments")


def bundled_assignments() -> Path:
    """The folder of the assignments that ship inside cnnlab (``cnnlab.assignments``)."""
    return Path(str(importlib.resources.files("cnnlab.assignments")))


def assignment_folders() -> list[Path]:
    """Where assignments are looked up by name, first match wins: the folders of
    ``CNNLAB_ASSIGNMENTS`` (an instructor's own), then the bundled ones."""
    extra = [Path(p).expanduser() for p in os.environ.get(ASSIGNMENTS_ENV, "").split(os.pathsep) if p]
    return [*extra, bundled_assignments()]


def examples_dir() -> Path:
    """Sample submissions of the bundled assignments, one folder per assignment."""
    return bundled_assignments() / "examples"


def fixtures_dir() -> Path:
    """The reference fixtures that ship with cnnlab (metrics cases, lecture tables, ImageNet
    class names ...): ``cnnlab/reference/fixtures``."""
    return Path(str(importlib.resources.files("cnnlab.reference"))) / "fixtures"


def cache_dir() -> Path:
    """Where cnnlab keeps what it computes once (the GAN judge): ``$CNNLAB_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/cnnlab``, else ``~/.cache/cnnlab``."""
    if os.environ.get("CNNLAB_CACHE_DIR"):
        return Path(os.environ["CNNLAB_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "cnnlab"


def package_locations() -> list[str]:
    """Every folder the installed cnnlab is read from (one in a wheel install; one per room in an
    editable install, where the rooms stay in the source tree). The sandbox hides all of them
    from student code."""
    found = set()
    for name in ROOMS:
        spec = importlib.util.find_spec(name)
        if spec is not None:
            found.update(os.path.realpath(p) for p in spec.submodule_search_locations or ())
    # a room inside another one adds nothing
    return sorted(p for p in found if not any(p != o and p.startswith(o + os.sep) for o in found))
