"""Build the documentation site: ``python scripts/build_docs.py [--out DIR]``.

mkdocstrings reads the installed cnnlab's source. A wheel install lays the package out as one
folder; an editable install maps each room from its own folder of the checkout, which the
docstring reader cannot follow, so the rooms are first linked into one ``cnnlab/`` tree in a
temporary folder put ahead on ``PYTHONPATH``. Exits with mkdocs' status (``--strict``: a broken
link, a missing page or an API object that no longer exists fails the build).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROOMS = ("reference", "bench", "reports", "assignments")


def package_tree(folder: Path) -> Path:
    """A ``cnnlab/`` tree under ``folder`` whose rooms link to where they are installed."""
    top = Path(importlib.util.find_spec("cnnlab").submodule_search_locations[0])
    tree = folder / "cnnlab"
    tree.mkdir()
    for entry in top.iterdir():
        (tree / entry.name).symlink_to(entry)
    for room in ROOMS:
        location = Path(importlib.util.find_spec(f"cnnlab.{room}").submodule_search_locations[0])
        if not (tree / room).exists():
            (tree / room).symlink_to(location)
    return folder


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "out" / "site"), help="site folder (default out/site)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="cnnlab-docs-") as tmp:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            filter(None, [str(package_tree(Path(tmp))), os.environ.get("PYTHONPATH")])))
        return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-f",
                               str(ROOT / "mkdocs.yml"), "-d", str(Path(args.out).resolve())],
                              env=env, cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main())
