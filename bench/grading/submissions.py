"""Finding submissions and preparing each one as a plain folder of files for its worker.

``SUBMISSIONS`` is a folder holding one sub-folder, ``.zip`` or ``.ipynb`` per student, or a
single submission folder (one that holds an assignment file itself). A notebook becomes the
assignment's module: its code cells, with IPython magics and shell escapes removed. Archives are
unpacked with limits (no absolute paths, no ``..``, no links, bounded size and file count).
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import os
import re
import shutil
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from cnnlab.errors import UsageError

MAX_FILES = 500
MAX_BYTES = 50 * 2**20
MAX_NOTEBOOK_BYTES = 16 * 2**20  # the trusted grader parses a notebook whole: a bound first
MAX_DEPTH = 32  # folder levels inside one submission
MAX_NAME = 255  # bytes of one path component (NAME_MAX of Linux file systems)
MAX_PATH = 3000  # bytes of a path under the scratch folder; PATH_MAX is 4096 with the prefix
_ZIP_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate",
                zipfile.ZIP_BZIP2: "bzip2", zipfile.ZIP_LZMA: "lzma"}
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
_SKIP = ("__MACOSX", "__pycache__", ".ipynb_checkpoints", ".git")


class SubmissionError(UsageError):
    """One submission cannot be prepared for grading; the message is one line naming why."""


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
    problem : str
        Why this entry cannot be graded before anything is unpacked (two entries of the class
        folder that name the same student); :func:`prepare` raises it as a
        :class:`SubmissionError`.
    """

    student: str
    path: Path
    kind: str
    problem: str = ""


def student_id(name: str) -> str:
    """A file-name-safe identifier for a submission called ``name``."""
    safe = _SAFE.sub("_", name).strip("._-")
    return safe[:100] or "submission"


def is_submission_folder(folder: Path, files: tuple[str, ...]) -> bool:
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
        If ``submissions`` is not a folder or holds no submission.

    Notes
    -----
    Entries whose names map to the same identifier (``a b`` and ``a_b``) are all kept, under
    distinct identifiers (``a_b``, ``a_b-2``...), each with a :attr:`Submission.problem`: which of
    them is the student's is not ours to guess, and the rest of the class is graded.
    """
    root = Path(submissions)
    if not root.is_dir():
        raise UsageError(f"submissions must be a folder, got {str(submissions)!r}")
    root = root.resolve()
    if is_submission_folder(root, files):
        return [Submission(student_id(root.name), root, "folder")]
    entries: list[tuple[str, Path, str]] = []
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
        entries.append((student_id(name), entry, kind))
    groups: dict[str, list[tuple[Path, str]]] = {}
    for sid, entry, kind in entries:
        groups.setdefault(sid, []).append((entry, kind))
    found: dict[str, Submission] = {}
    taken = set(groups)
    for sid, group in groups.items():
        if len(group) == 1:
            found[sid] = Submission(sid, *group[0])
            continue
        names = " and ".join(repr(entry.name) for entry, _ in group)
        problem = f"{names} are all student {sid!r}; rename all but one and grade again"
        for number, (entry, kind) in enumerate(group, start=1):
            unique, suffix = sid, number
            while number > 1 and unique in taken:
                unique, suffix = f"{sid[:90]}-{suffix}", suffix + 1
            taken.add(unique)
            found[unique] = Submission(unique, entry, kind, problem)
    if not found:
        raise UsageError(f"no submissions in {str(submissions)!r}: expected sub-folders, .zip or "
                         f".ipynb files, or a folder holding {', '.join(files)}")
    return [found[k] for k in sorted(found)]


def notebook_source(path: Path) -> str:
    """The code cells of a notebook as one Python module, IPython magics removed.

    Raises
    ------
    SubmissionError
        If the file is larger than :data:`MAX_NOTEBOOK_BYTES`, not a readable notebook, or its
        cells are not a list of cells with text sources.
    """
    import nbformat

    try:
        size = os.stat(path, follow_symlinks=False).st_size
    except OSError as exc:
        raise SubmissionError(f"{path.name} cannot be read ({exc.strerror})") from None
    if size > MAX_NOTEBOOK_BYTES:
        raise SubmissionError(f"{path.name} is larger than {MAX_NOTEBOOK_BYTES >> 20} MiB, the limit "
                              "for a notebook (clear its outputs)")
    try:
        notebook = nbformat.read(str(path), as_version=4)
    except Exception as exc:  # noqa: BLE001 - nbformat raises many kinds for a bad file
        raise SubmissionError(f"{path.name} is not a readable notebook ({type(exc).__name__})") from None
    raw_cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(raw_cells, list):
        raise SubmissionError(f"{path.name} is not a notebook: it has no list of cells")
    cells = []
    for number, cell in enumerate(raw_cells, start=1):
        if not isinstance(cell, dict):
            raise SubmissionError(f"{path.name}: cell {number} is not a notebook cell")
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(part, str) for part in source):
            source = "".join(source)  # the on-disk form, where nbformat did not join it
        if not isinstance(source, str):
            raise SubmissionError(f"{path.name}: the source of cell {number} is not text")
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


def _check_parts(parts: tuple[str, ...], dest: Path, what: str) -> None:
    """Refuse a relative path that is too deep or too long to be written under ``dest``."""
    if len(parts) > MAX_DEPTH:
        raise SubmissionError(f"{what}: {'/'.join(parts)[:80]!r}... is more than {MAX_DEPTH} folders deep")
    for part in parts:
        if len(os.fsencode(part)) > MAX_NAME:
            raise SubmissionError(f"{what}: a name longer than {MAX_NAME} bytes ({part[:40]!r}...)")
    if len(os.fsencode(str(dest.joinpath(*parts)))) > MAX_PATH:
        raise SubmissionError(f"{what}: the path {'/'.join(parts)[:80]!r}... is too long to unpack")


def _copy_tree(src: Path, dest: Path) -> None:
    count, total = 0, 0
    for folder, dirs, names in os.walk(src, followlinks=False, onerror=_walk_error):
        dirs[:] = [d for d in dirs if d not in _SKIP and not d.startswith(".")]
        rel = Path(folder).relative_to(src)
        _check_parts(rel.parts, dest, src.name)
        for name in names:
            source = Path(folder) / name
            info = source.lstat()
            if not stat.S_ISREG(info.st_mode):
                continue  # links, FIFOs, devices: not part of a submission
            count += 1
            total += info.st_size
            if count > MAX_FILES or total > MAX_BYTES:
                raise UsageError(f"submission is larger than {MAX_FILES} files or {MAX_BYTES >> 20} MiB")
            _check_parts((*rel.parts, name), dest, src.name)
            target = dest / rel / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target, follow_symlinks=False)


def _walk_error(exc: OSError) -> None:
    raise SubmissionError(f"a folder of the submission cannot be read ({exc.strerror})")


def _unzip(path: Path, dest: Path) -> None:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        raise SubmissionError(f"{path.name} is not a readable zip file ({exc})") from None
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) > MAX_FILES or sum(m.file_size for m in members) > MAX_BYTES:
            raise SubmissionError(f"{path.name} unpacks to more than {MAX_FILES} files or {MAX_BYTES >> 20} MiB")
        wanted: dict[tuple[str, ...], zipfile.ZipInfo] = {}
        for member in members:
            parts = Path(member.filename.replace("\\", "/")).parts
            if member.filename.startswith("/") or ".." in parts or not parts or "\0" in member.filename:
                raise SubmissionError(f"{path.name}: unsafe path {member.filename!r} in the archive")
            if stat.S_ISLNK(member.external_attr >> 16):
                continue
            if any(p in _SKIP or p.startswith(".") for p in parts):
                continue
            _check_parts(parts, dest, path.name)
            if member.flag_bits & 0x1:
                raise SubmissionError(f"{path.name}: {member.filename!r} is encrypted; hand in an "
                                      "archive without a password")
            if member.compress_type not in _ZIP_METHODS:
                raise SubmissionError(f"{path.name}: {member.filename!r} uses a compression method "
                                      f"({member.compress_type}) other than "
                                      f"{', '.join(sorted(set(_ZIP_METHODS.values())))}")
            if parts in wanted:
                raise SubmissionError(f"{path.name}: {member.filename!r} is in the archive twice")
            wanted[parts] = member
        # a name that is a file and also a folder of another member cannot be unpacked
        folders = {parts[:i] for parts in wanted for i in range(1, len(parts))}
        clash = sorted(folders & set(wanted))
        if clash:
            name = "/".join(clash[0])
            raise SubmissionError(f"{path.name}: {name!r} is both a file and a folder in the archive")
        for parts, member in wanted.items():
            target = dest.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with archive.open(member) as src, open(target, "wb") as out:
                    written = 0
                    while chunk := src.read(1 << 20):
                        written += len(chunk)
                        if written > MAX_BYTES:
                            raise SubmissionError(f"{path.name}: a member unpacks to more than "
                                                  f"{MAX_BYTES >> 20} MiB")
                        out.write(chunk)
            except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError,
                    ValueError) as exc:
                if isinstance(exc, SubmissionError):
                    raise
                why = "its checksum is wrong" if "CRC" in str(exc) else str(exc)[:200]
                raise SubmissionError(f"{path.name}: {member.filename!r} cannot be unpacked "
                                      f"({why})") from None


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
    SubmissionError
        For an unreadable archive or notebook, one over the limits, a tree that cannot be
        written under ``dest``, an assignment file that is not a file, or two entries of the
        class folder that name the same student.
    """
    if submission.problem:
        raise SubmissionError(submission.problem)
    try:
        return _prepare(submission, dest, files)
    except OSError as exc:  # what the file system refused: this submission's problem only
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        if exc.errno in (errno.ENAMETOOLONG, errno.ELOOP):
            reason += " (a path of the submission is too long or too deep)"
        raise SubmissionError(f"{submission.path.name} cannot be unpacked here: {reason}") from None
    except (RecursionError, MemoryError, UnicodeError):
        raise SubmissionError(f"{submission.path.name} cannot be unpacked here: its file names or "
                              "structure are malformed") from None


def _prepare(submission: Submission, dest: Path, files: tuple[str, ...]) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    if submission.kind == "zip":
        _unzip(submission.path, dest)
        folder = _single_child(dest)
    elif submission.kind == "notebook":
        if os.stat(submission.path).st_size > MAX_NOTEBOOK_BYTES:
            raise SubmissionError(f"{submission.path.name} is larger than {MAX_NOTEBOOK_BYTES >> 20} "
                                  "MiB, the limit for a notebook (clear its outputs)")
        shutil.copyfile(submission.path, dest / submission.path.name)
        folder = dest
    else:
        _copy_tree(submission.path, dest)
        folder = dest
    notebooks = sorted(p for p in folder.glob("*.ipynb") if p.is_file())
    for name in files:
        if (folder / name).is_file():
            continue
        if os.path.lexists(folder / name):
            raise SubmissionError(f"{name} in the submission is not a plain file (a folder or a "
                                  "link?)")
        named = folder / (Path(name).stem + ".ipynb")
        source = named if named in notebooks else (notebooks[0] if len(notebooks) == 1 else None)
        if source is not None:
            (folder / name).write_text(notebook_source(source), encoding="utf-8")
    return folder


def digest(folder: Path) -> str:
    """SHA-256 over the relative paths and contents of the files in ``folder``.

    Raises
    ------
    SubmissionError
        If the prepared files cannot be read back.
    """
    h = hashlib.sha256()
    try:
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()):
            h.update(str(path.relative_to(folder)).encode("utf-8", "surrogateescape") + b"\0")
            h.update(path.read_bytes())
            h.update(b"\0")
    except OSError as exc:
        raise SubmissionError(f"the prepared submission cannot be read back ({exc.strerror})") from None
    return h.hexdigest()


def remove_tree(path: Path) -> bool:
    """Delete ``path`` and everything below it, whatever modes student code gave the folders.

    A folder chmod-ed to 000 stops ``shutil.rmtree`` for a grader that is not root; its owner
    may still chmod it back, which is done on the way down. Links are removed, never followed.

    Returns
    -------
    bool
        Whether nothing is left.
    """
    path = Path(path)

    def retry(function, name, _exc_info):
        parent = os.path.dirname(name)
        for folder in (parent, name):
            try:
                if os.path.isdir(folder) and not os.path.islink(folder):
                    os.chmod(folder, 0o700)
            except OSError:
                pass
        try:
            if function in (os.rmdir, os.unlink, os.remove):
                function(name)
            elif os.path.isdir(name) and not os.path.islink(name):
                shutil.rmtree(name, ignore_errors=True)
            else:
                os.unlink(name)
        except OSError:
            pass

    for _ in range(3):  # a second pass for entries a first chmod made reachable
        if not os.path.lexists(path):
            return True
        if os.path.isdir(path) and not os.path.islink(path):
            try:
                os.chmod(path, 0o700)
            except OSError:
                pass
            shutil.rmtree(path, onerror=retry)
        else:
            try:
                os.unlink(path)
            except OSError:
                pass
    return not os.path.lexists(path)


# --------------------------------------------------------------------- submission times
# What cnnlab.bench.grading.late falls back on when no submissions CSV gives a student's time.

_UNIX_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_NTFS_EPOCH = dt.datetime(1601, 1, 1, tzinfo=dt.UTC)


def _extra_time(extra: bytes) -> dt.datetime | None:
    """The UTC modification time in a zip entry's extra field, where the tool that wrote the
    archive put one: Info-ZIP's extended timestamp (0x5455, Unix seconds) or the NTFS field
    (0x000a, 100 ns ticks since 1601). None where there is neither (then only the DOS time,
    which has no time zone, is left)."""
    at = 0
    while at + 4 <= len(extra):
        kind, size = int.from_bytes(extra[at:at + 2], "little"), int.from_bytes(extra[at + 2:at + 4], "little")
        data = extra[at + 4:at + 4 + size]
        at += 4 + size
        if kind == 0x5455 and len(data) >= 5 and data[0] & 1:
            return _UNIX_EPOCH + dt.timedelta(seconds=int.from_bytes(data[1:5], "little", signed=True))
        if kind == 0x000A and len(data) >= 4 + 4 + 8:
            tag, tag_size = int.from_bytes(data[4:6], "little"), int.from_bytes(data[6:8], "little")
            if tag == 1 and tag_size >= 8:
                ticks = int.from_bytes(data[8:16], "little")
                return _NTFS_EPOCH + dt.timedelta(microseconds=ticks // 10)
    return None


def zip_time(path: Path, *, dos_offset: dt.tzinfo) -> dt.datetime | None:
    """The newest modification time of the files in a zip archive.

    Parameters
    ----------
    path : Path
        The archive.
    dos_offset : tzinfo
        The time zone the archive's DOS times are read in, for entries without an extended
        (UTC) timestamp: a DOS time is the wall clock of the machine that made the archive.

    Returns
    -------
    datetime or None
        Timezone-aware; None for an archive without files or one that cannot be read (grading
        it reports why).
    """
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()
                       and not any(p in _SKIP for p in Path(m.filename.replace("\\", "/")).parts)]
            times = []
            for member in members:
                exact = _extra_time(member.extra)
                if exact is None:
                    try:
                        exact = dt.datetime(*member.date_time, tzinfo=dos_offset)
                    except ValueError:  # a malformed DOS date (month 0, ...)
                        continue
                times.append(exact)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
        return None
    return max(times, default=None)


def file_time(path: Path) -> dt.datetime | None:
    """The newest modification time of the files of a folder submission (the files grading
    would copy: no links, no hidden or cache folders) or of a single file; None if it has none."""
    try:
        if not path.is_dir():
            return dt.datetime.fromtimestamp(os.stat(path, follow_symlinks=False).st_mtime, dt.UTC)
        newest = None
        for folder, dirs, names in os.walk(path, followlinks=False):
            dirs[:] = [d for d in dirs if d not in _SKIP and not d.startswith(".")]
            for name in names:
                info = os.lstat(os.path.join(folder, name))
                if stat.S_ISREG(info.st_mode) and (newest is None or info.st_mtime > newest):
                    newest = info.st_mtime
    except OSError:
        return None
    return None if newest is None else dt.datetime.fromtimestamp(newest, dt.UTC)
