"""A Gradescope autograder for an assignment: ``cnnlab export-gradescope ASSIGNMENT``.

The bundle (a ``.zip`` Gradescope unpacks into ``/autograder/source``) holds

- ``setup.sh``: run once when Gradescope builds the image; installs Python, bubblewrap, cnnlab
  (from the bundled wheel) and the frameworks the assignment needs (CPU builds);
- ``run_autograder``: run per submission; grades ``/autograder/submission`` with the same
  sandbox as ``cnnlab grade`` and writes ``/autograder/results/results.json`` (scores, tests with
  their visibility, and the ``leaderboard`` where the assignment declares one);
- ``cnnlab-<version>-py3-none-any.whl``: the cnnlab that exports the bundle, packed as a wheel
  from its installed files (without the bundled assignments: their solutions stay home);
- ``assignment/``: the assignment without its solution and starter.

``AUTOGRADER_ROOT`` (default ``/autograder``) and ``CNNLAB_PYTHON`` (default the virtual
environment ``setup.sh`` makes) let ``run_autograder`` run against a copy of that tree.

The wheel is written here rather than by a build tool because the exporting cnnlab may itself be
a wheel install with no source tree to build from; its files, metadata and entry points are read
from the installed distribution (:mod:`importlib.metadata`), for editable installs too.
"""

from __future__ import annotations

import argparse
import ast
import base64
import hashlib
import importlib.metadata
import importlib.util
import json
import shutil
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from cnnlab import paths
from cnnlab.errors import UsageError

from . import assignment as assignments

_SKIP_PARTS = {"__pycache__", ".pytest_cache", ".ipynb_checkpoints"}
# import name -> what setup.sh installs for it
FRAMEWORKS = {"torch": "torch", "torchvision": "torch", "keras": "keras", "tensorflow": "keras",
              "jax": "jax"}
_EXECUTABLE = 0o100755 << 16


_TORCH_JUDGE = "cnnlab.bench.judges.architectures"  # its tests need torch in the autograder

def needed_frameworks(spec) -> list[str]:
    """``torch``, ``keras`` and/or ``jax``: what the assignment's solution, tests and worker
    helpers import (anywhere in the file, lazily imported modules included)."""
    from ..judges.helpers import HELPERS_DIR

    files = [*spec.solution_dir.rglob("*.py"), *spec.tests_dir.rglob("*.py")]
    files += [HELPERS_DIR / f"{name}.py" for name in spec.helpers]
    found = set()
    for path in files:
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError):
            continue
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else [])
            found |= {FRAMEWORKS[n.split(".")[0]] for n in names if n.split(".")[0] in FRAMEWORKS}
            if isinstance(node, ast.ImportFrom) and node.module and (
                    node.module.startswith(_TORCH_JUDGE)
                    or (node.module == _TORCH_JUDGE.rpartition(".")[0]
                        and any(a.name == "architectures" for a in node.names))):
                found.add("torch")  # the architectures judge builds its reference models in torch
    return sorted(found)


def setup_script(frameworks: list[str]) -> str:
    """``setup.sh``: Python 3.11+, bubblewrap, the frameworks (CPU builds) and cnnlab."""
    lines = [
        "#!/usr/bin/env bash",
        "# Gradescope runs this once, as root, when it builds the autograder image.",
        "# Base image: Ubuntu 24.04 (Python 3.12); cnnlab needs Python 3.11 or newer.",
        "set -euo pipefail",
        'ROOT="${AUTOGRADER_ROOT:-/autograder}"',
        'VENV="$ROOT/venv"',
        "export DEBIAN_FRONTEND=noninteractive",
        "apt-get update",
        "apt-get install -y --no-install-recommends python3 python3-venv python3-pip bubblewrap",
        "python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || "
        "{ echo 'cnnlab needs Python 3.11+: choose the Ubuntu 24.04 base image' >&2; exit 1; }",
        'python3 -m venv "$VENV"',
        '"$VENV/bin/pip" install --upgrade pip',
    ]
    if "torch" in frameworks:
        lines += ["# CPU builds: the CUDA wheels are gigabytes that a grader does not use",
                  '"$VENV/bin/pip" install torch torchvision --index-url https://download.pytorch.org/whl/cpu']
    extras = [f for f in ("keras", "jax") if f in frameworks]
    wheel = "$(ls \"$ROOT\"/source/cnnlab-*.whl)"
    target = f"{wheel}[{','.join(extras)}]" if extras else wheel
    lines += [f'"$VENV/bin/pip" install "{target}"',
              'echo "cnnlab autograder installed in $VENV"']
    return "\n".join(lines) + "\n"


def run_script(name: str) -> str:
    """``run_autograder``: grade the submission, write results.json."""
    return "\n".join([
        "#!/usr/bin/env bash",
        "# Gradescope runs this for every submission.",
        "set -uo pipefail",
        'ROOT="${AUTOGRADER_ROOT:-/autograder}"',
        'PYTHON="${CNNLAB_PYTHON:-$ROOT/venv/bin/python}"',
        "export TF_CPP_MIN_LOG_LEVEL=2",
        'mkdir -p "$ROOT/results"',
        "# -P: the working folder is never on the trusted grader's import path",
        'exec "$PYTHON" -P -m cnnlab.bench.grading.gradescope --assignment "$ROOT/source/assignment" \\',
        '    --submission "$ROOT/submission" --results "$ROOT/results/results.json"',
    ]) + "\n"


def _tree(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()
                  and not _SKIP_PARTS.intersection(p.relative_to(folder).parts) and p.suffix != ".pyc")


def bundle_files(assignment) -> list[tuple[Path, str]]:
    """``(source file, path in the zip)`` of the assignment, without its solution and starter."""
    spec = assignments.load(assignment)
    skip = {spec.solution_dir, spec.starter_dir}
    return [(path, f"assignment/{path.relative_to(spec.root)}") for path in _tree(spec.root)
            if not any(folder in path.parents for folder in skip)]


def _wheel_files() -> list[tuple[Path, str]]:
    """``(installed file, path in the wheel)`` of cnnlab's code and data, bundled assignments
    left out; from wherever each room is installed (see :func:`cnnlab.paths.package_locations`)."""
    import cnnlab

    top = Path(cnnlab.__file__).resolve().parent
    bundled = paths.bundled_assignments().resolve()
    files = []
    for room in map(Path, paths.package_locations()):
        if room == bundled or bundled in room.parents:
            continue
        # cnnlab/ itself, or a room of an editable install named after its package (bench -> cnnlab/bench)
        prefix = "cnnlab" if room == top else f"cnnlab/{_room_name(room)}"
        files += [(p, f"{prefix}/{p.relative_to(room).as_posix()}") for p in _tree(room)
                  if not (room == top and p.relative_to(room).parts[0] == "assignments")]
    return files


def _room_name(folder: Path) -> str:
    """The package name (``bench``) that an editable install maps onto ``folder``."""
    for name in paths.ROOMS[1:]:
        spec = importlib.util.find_spec(name)
        if spec and folder in {Path(p).resolve() for p in spec.submodule_search_locations or ()}:
            return name.split(".", 1)[1]
    raise RuntimeError(f"{folder} is not a room of cnnlab")


def write_wheel(folder: Path) -> Path:
    """Pack the running cnnlab into ``folder/cnnlab-<version>-py3-none-any.whl``."""
    dist = importlib.metadata.distribution("cnnlab")
    version = dist.version
    info = f"cnnlab-{version}.dist-info"
    metadata = dist.read_text("METADATA") or dist.read_text("PKG-INFO")  # wheel or egg-info
    entries = [(f"{info}/METADATA", metadata.encode()),
               (f"{info}/WHEEL", b"Wheel-Version: 1.0\nGenerator: cnnlab export-gradescope\n"
                                 b"Root-Is-Purelib: true\nTag: py3-none-any\n"),
               (f"{info}/entry_points.txt", (dist.read_text("entry_points.txt") or "").encode())]
    entries = [(name, source.read_bytes()) for source, name in _wheel_files()] + entries
    record = []
    path = folder / f"cnnlab-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append(f"{name},sha256={digest},{len(data)}")
            archive.writestr(name, data)
        archive.writestr(f"{info}/RECORD", "\n".join([*record, f"{info}/RECORD,,"]) + "\n")
    return path


def export(assignment, out: str | Path, *, force: bool = False) -> dict:
    """Write the autograder ``.zip`` of ``assignment``.

    Parameters
    ----------
    assignment : str or Path
        A bundled assignment's name or an assignment folder.
    out : str or Path
        The ``.zip`` to write.
    force : bool, default=False
        Replace an existing file.

    Returns
    -------
    dict
        ``path``, ``files`` (count), ``frameworks``, ``bytes``.

    Raises
    ------
    ValueError
        For an unknown assignment, an ``out`` that does not end in ``.zip``, or one that exists
        (without ``force``).
    """
    spec = assignments.load(assignment)
    out = Path(out)
    if out.suffix != ".zip":
        raise UsageError(f"--out must name a .zip file, got {str(out)!r}")
    if out.exists() and not force:
        raise UsageError(f"--out {str(out)!r} exists; use --force to replace it")
    frameworks = needed_frameworks(spec)
    files = bundle_files(spec)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="cnnlab-export-"))
    try:
        wheel = write_wheel(staging)
        files.append((wheel, wheel.name))
        _write_bundle(out, files, frameworks, spec.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return {"path": out, "files": len(files) + 2, "frameworks": frameworks, "bytes": out.stat().st_size}


def _write_bundle(out: Path, files: list[tuple[Path, str]], frameworks: list[str], name: str) -> None:
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for script, text in (("setup.sh", setup_script(frameworks)), ("run_autograder", run_script(name))):
            info = zipfile.ZipInfo(script, date_time=time.localtime()[:6])
            info.external_attr = _EXECUTABLE
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text)
        for source, arcname in files:
            archive.write(source, arcname)


# ------------------------------------------------------------------------------------ grading


def _find_submission(folder: Path, files: tuple[str, ...]) -> Path | None:
    """The shallowest folder (at most three levels down) holding the assignment's file, else
    one holding a notebook (Gradescope keeps the folders of an uploaded archive)."""
    if not folder.is_dir():
        return None
    found = [p for p in folder.rglob("*") if p.is_dir() and len(p.relative_to(folder).parts) <= 3
             and not _SKIP_PARTS.intersection(p.relative_to(folder).parts)]
    candidates = sorted([folder, *found], key=lambda p: (len(p.parts), str(p)))
    for test in (lambda c: any((c / f).is_file() for f in files), lambda c: any(c.glob("*.ipynb"))):
        for candidate in candidates:
            if test(candidate):
                return candidate
    return None


def _failure(message: str, seconds: float) -> dict:
    return {"score": 0.0, "execution_time": round(seconds, 3), "output": message,
            "visibility": "visible", "stdout_visibility": "hidden", "tests": []}


def grade_submission(assignment, submission: str | Path, results: str | Path) -> dict:
    """Grade one Gradescope submission folder and write ``results.json``; never raises for a
    bad submission (Gradescope needs a results file whatever happens).

    Returns
    -------
    dict
        What was written.
    """
    from cnnlab.reports.grading import gradescope_json

    from .engine import grade

    started = time.perf_counter()
    spec = assignments.load(assignment)
    results = Path(results)
    results.parent.mkdir(parents=True, exist_ok=True)
    found = _find_submission(Path(submission), spec.files)
    if found is None:
        payload = _failure(f"No {', '.join(spec.files)} (or notebook) in the submission.",
                           time.perf_counter() - started)
    else:
        work = Path(tempfile.mkdtemp(prefix="cnnlab-gradescope-"))
        try:
            folder = work / "submission"
            shutil.copytree(found, folder, symlinks=False, ignore=shutil.ignore_patterns(".*", "__pycache__"))
            summary = grade(spec, folder, work / "out", jobs=1)
            record = summary.records[0]
            payload = gradescope_json(record)
            import cnnlab

            source = Path(cnnlab.__file__).resolve().parent
            payload["output"] = (payload["output"] + "\n" if payload["output"] else "") + \
                f"Graded by cnnlab from {source}"
            if record["status"] != "graded":
                log = work / "out" / "logs" / f"{record['student']}.log"
                if log.is_file():
                    print(log.read_text(encoding="utf-8", errors="replace")[-4000:], file=sys.stderr)
        except Exception as exc:  # noqa: BLE001 - whatever fails, the student gets a results file
            payload = _failure(f"The autograder failed: {type(exc).__name__}: {exc}",
                               time.perf_counter() - started)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    results.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    return payload


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cnnlab.bench.grading.gradescope",
                                     description="grade one Gradescope submission (run_autograder)")
    parser.add_argument("--assignment", required=True)
    parser.add_argument("--submission", required=True)
    parser.add_argument("--results", required=True)
    args = parser.parse_args(argv)
    payload = grade_submission(args.assignment, args.submission, args.results)
    print(f"score {payload['score']:g}; {len(payload['tests'])} tests; results in {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
