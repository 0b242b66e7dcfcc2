"""Finding submissions and preparing each one as a plain folder of files for its worker.

``SUBMISSIONS`` is a folder holding one sub-folder, ``.zip`` or ``.ipynb`` per student, or a
single submission folder (one that holds an assignment file itself). A notebook becomes the
assignment's module: its code cells, with IPython magics and shell escapes removed. Archives are
unpacked with limits (no absolute paths, no ``..``, no links, bounded size and file count).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

MAX_FILES = 500
MAX_BYTES = 50 * 2**20
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
_SKIP = ("__MACOSX", "__pycache__", ".ipynb_checkpoints", ".git")


@dataclass(frozen=True)
class Submission:
    """One student's submission as found on disk.

    Attributes
    ----------
    student : str
        Identifier made of letters, digits, ``.``, ``_`` and ``-`` (from the folder, archive or
        notebook name).
    path : Path
        The folder, ``.zip`` or ``.ipynb``.
    kind : {"folder", "zip", "notebook"}
    """

    student: str
    path: Path
    kind: str


def student_id(name: str) -> str:
    """A file-name-safe identifier for a submission called ``name``."""
    safe = _SAFE.sub("_", name).strip("._-")
    return safe[:100] or "submission"


def _is_submission_folder(folder: Path, files: tuple[str, ...]) -> bool:
    """A folder holding an assignment file (``metrics.py``) or its notebook (``metrics.ipynb``)."""
    return any((folder / f).is_file() or (folder / f).with_suffix(".ipynb").is_file() for f in files)


def discover(submissions: str | Path, files: tuple[str, ...]) -> list[Submission]:
    """Find the submissions in a folder.

    Parameters
    ----------
    submissions : str or Path
        A folder of submissions (sub-folders, ``.zip`` files, ``.ipynb`` files), or one
        submission folder.
    files : tuple of str
        The assignment's files (``assignment.files``), to recognise a single submission.

    Returns
    -------
    list of Submission
        Sorted by student.

    Raises
    ------
    ValueError
        If ``submissions`` is not a folder, holds no submission, or two entries map to the same
        student identifier.
    """
    root = Path(submissions)
    if not root.is_dir():
        raise ValueError(f"submissions must be a folder, got {str(submissions)!r}")
    root = root.resolve()
    if _is_submission_folder(root, files):
        return [Submission(student_id(root.name), root, "folder")]
    found: dict[str, Submission] = {}
    for entry in sorted(root.iterdir()):
        if entry.name.startswith(".") or entry.name in _SKIP or entry.is_symlink():
            continue
        if entry.is_dir():
            kind, name = "folder", entry.name
        elif entry.suffix == ".zip" and entry.is_file():
            kind, name = "zip", entry.stem
        elif entry.suffix == ".ipynb" and entry.is_file():
            kind, name = "notebook", entry.stem
        else:
            continue
        sid = student_id(name)
        if sid in found:
            raise ValueError(f"{found[sid].path.name!r} and {entry.name!r} are both student {sid!r}; "
                             "rename one")
        found[sid] = Submission(sid, entry, kind)
    if not found:
        raise ValueError(f"no submissions in {str(submissions)!r}: expected sub-folders, .zip or "
                         f".ipynb files, or a folder holding {', '.join(files)}")
    return [found[k] for k in sorted(found)]


def notebook_source(path: Path) -> str:
    """The code cells of a notebook as one Python module, IPython magics removed.

    Raises
    ------
    ValueError
        If the file is not a readable notebook.
    """
    import nbformat

    try:
        notebook = nbformat.read(str(path), as_version=4)
    except Exception as exc:  # noqa: BLE001 - nbformat raises many kinds for a bad file
        raise ValueError(f"{path.name} is not a readable notebook ({type(exc).__name__})") from None
    cells = []
    for cell in notebook.cells:
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if source.lstrip().startswith("%%"):
            continue  # a cell magic (%%time, %%bash ...) makes the whole cell IPython-only
        lines = []
        for line in source.splitlines():
            stripped = line.lstrip()
            if stripped.startswith(("%", "!")) or re.match(r"^\w+\s*=\s*[!%]", stripped):
                indent = line[: len(line) - len(stripped)]
                lines.append(f"{indent}pass  # removed, IPython only: {stripped}")
            else:
                lines.append(line)
        cells.append("\n".join(lines))
    return "\n\n".join(cells) + "\n"


def _copy_tree(src: Path, dest: Path) -> None:
    count, total = 0, 0
    for folder, dirs, names in os.walk(src, followlinks=False):
        dirs[:] = [d for d in dirs if d not in _SKIP and not d.startswith(".")]
        rel = Path(folder).relative_to(src)
        for name in names:
            source = Path(folder) / name
            info = source.lstat()
            if not stat.S_ISREG(info.st_mode):
                continue  # links, FIFOs, devices: not part of a submission
            count += 1
            total += info.st_size
            if count > MAX_FILES or total > MAX_BYTES:
                raise ValueError(f"submission is larger than {MAX_FILES} files or {MAX_BYTES >> 20} MiB")
            target = dest / rel / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target, follow_symlinks=False)


def _unzip(path: Path, dest: Path) -> None:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ValueError(f"{path.name} is not a readable zip file ({exc})") from None
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) > MAX_FILES or sum(m.file_size for m in members) > MAX_BYTES:
            raise ValueError(f"{path.name} unpacks to more than {MAX_FILES} files or {MAX_BYTES >> 20} MiB")
        for member in members:
            parts = Path(member.filename.replace("\\", "/")).parts
            if member.filename.startswith("/") or ".." in parts or not parts:
                raise ValueError(f"{path.name}: unsafe path {member.filename!r} in the archive")
            if stat.S_ISLNK(member.external_attr >> 16):
                continue
            if any(p in _SKIP or p.startswith(".") for p in parts):
                continue
            target = dest.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(member) as src, open(target, "wb") as out:
                written = 0
                while chunk := src.read(1 << 20):
                    written += len(chunk)
                    if written > MAX_BYTES:
                        raise ValueError(f"{path.name}: a member unpacks to more than {MAX_BYTES >> 20} MiB")
                    out.write(chunk)


def _single_child(folder: Path) -> Path:
    """Descend through folders that hold nothing but one folder (``alice.zip`` -> ``alice/``)."""
    while True:
        entries = [e for e in folder.iterdir() if not e.name.startswith(".")]
        if len(entries) == 1 and entries[0].is_dir():
            folder = entries[0]
        else:
            return folder


def prepare(submission: Submission, dest: Path, files: tuple[str, ...]) -> Path:
    """Copy or unpack a submission into ``dest`` as plain files the worker may read.

    A missing assignment file is made from a notebook when the submission has exactly one
    (or one with the file's name).

    Returns
    -------
    Path
        The folder to give the worker (``dest`` or a single sub-folder of it).

    Raises
    ------
    ValueError
        For an unreadable archive or notebook, or one over the size limits.
    """
    dest.mkdir(parents=True, exist_ok=True)
    if submission.kind == "zip":
        _unzip(submission.path, dest)
        folder = _single_child(dest)
    elif submission.kind == "notebook":
        shutil.copyfile(submission.path, dest / submission.path.name)
        folder = dest
    else:
        _copy_tree(submission.path, dest)
        folder = dest
    notebooks = sorted(folder.glob("*.ipynb"))
    for name in files:
        if (folder / name).is_file():
            continue
        named = folder / (Path(name).stem + ".ipynb")
        source = named if named in notebooks else (notebooks[0] if len(notebooks) == 1 else None)
        if source is not None:
            (folder / name).write_text(notebook_source(source), encoding="utf-8")
    return folder


def digest(folder: Path) -> str:
    """SHA-256 over the relative paths and contents of the files in ``folder``."""
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()):
        h.update(str(path.relative_to(folder)).encode("utf-8", "surrogateescape") + b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()
