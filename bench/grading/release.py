"""The student bundle of an assignment: what students receive, and nothing else.

Released: ``README.md``, ``assignment.toml``, ``starter/``, the files directly in ``tests/``
(``conftest.py`` and helpers), ``tests/public/`` and ``fixtures/public/``. Never released:
``solution/``, ``tests/hidden/``, other fixtures. A public test marked with any visibility but
``visible`` stops the release, so a hidden test cannot leak by being filed in the wrong folder.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

from cnnlab.errors import UsageError

from . import assignment as assignments

_SKIP = {"__pycache__", ".pytest_cache", ".ipynb_checkpoints"}


def _files(folder: Path, *, recursive: bool = True) -> list[Path]:
    if not folder.is_dir():
        return []
    found = folder.rglob("*") if recursive else folder.iterdir()
    return sorted(p for p in found if p.is_file() and not p.is_symlink()
                  and not _SKIP.intersection(p.relative_to(folder).parts)
                  and not p.name.endswith(".pyc"))


def _marked_not_visible(path: Path) -> list[str]:
    """Tests in ``path`` that a ``visibility`` marker makes anything but visible."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "visibility":
            values = [a.value for a in node.args if isinstance(a, ast.Constant)]
            if values != ["visible"]:
                found.append(f"{path.name}:{node.lineno}")
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "pytestmark" for t in node.targets):
            if "visibility" in ast.unparse(node.value) and "'visible'" not in ast.unparse(node.value):
                found.append(f"{path.name}:{node.lineno}")
    return found


def bundle_files(assignment) -> list[tuple[Path, Path]]:
    """(source, path in the bundle) of every released file.

    Raises
    ------
    ValueError
        If a public test is marked hidden (or after_due_date / after_published), or the
        assignment has no starter files.
    """
    spec = assignments.load(assignment)
    root = spec.root
    chosen = [root / "README.md", root / "assignment.toml"]
    chosen += _files(spec.starter_dir)
    chosen += [p for p in _files(spec.tests_dir, recursive=False)]
    chosen += _files(spec.public_tests_dir)
    chosen += _files(spec.fixtures_dir / "public")
    if not _files(spec.starter_dir):
        raise UsageError(f"{spec.name}: starter/ is empty; students would receive nothing to work on")
    leaks = [m for p in _files(spec.public_tests_dir) if p.suffix == ".py" for m in _marked_not_visible(p)]
    leaks += [m for p in _files(spec.tests_dir, recursive=False) if p.suffix == ".py" for m in _marked_not_visible(p)]
    if leaks:
        raise UsageError(f"{spec.name}: public test(s) marked with a visibility other than 'visible' "
                         f"({', '.join(leaks)}); move them to tests/hidden/")
    return [(p, p.relative_to(root)) for p in chosen if p.is_file()]


def release(assignment, out: str | Path, *, force: bool = False) -> list[Path]:
    """Write the student bundle of ``assignment`` into ``out``.

    Parameters
    ----------
    assignment : str or Path
        A bundled assignment's name or an assignment folder.
    out : str or Path
        The bundle's folder; must not exist (or be empty) unless ``force``.
    force : bool, default=False
        Replace an existing ``out``.

    Returns
    -------
    list of Path
        The bundle's files, relative to ``out``.

    Raises
    ------
    ValueError
        If ``out`` exists and is not empty (without ``force``), lies inside the assignment, or
        the assignment cannot be released (see :func:`bundle_files`).
    """
    spec = assignments.load(assignment)
    out = Path(out)
    resolved = out.resolve()
    if resolved == spec.root or spec.root in resolved.parents:
        raise UsageError(f"--out must be outside the assignment folder {spec.root}")
    files = bundle_files(spec)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {str(out)!r} exists and is not a folder")
    if out.exists() and any(out.iterdir()):
        if not force:
            raise UsageError(f"--out {str(out)!r} exists and is not empty; use --force to replace it")
        shutil.rmtree(out)
    for source, rel in files:
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    return [rel for _, rel in files]
