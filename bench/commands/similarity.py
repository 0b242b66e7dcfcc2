"""``cnnlab similarity``: pairs of submissions whose code is suspiciously alike.

The comparison is copydetect's (``pip install 'cnnlab[similarity]'``): each Python file is
tokenised with Pygments, names become placeholders and layout and comments are dropped, then
winnowed k-gram fingerprints are compared. Renaming variables or reformatting does not hide a
copy; the assignment's starter code is boilerplate and never counts as a match. Each submission
is compared with every other one (never with itself); a pair is flagged when the share of one
side's code found in the other reaches ``--threshold``.

Writes ``similarity.html`` (flagged pairs, the matching regions side by side),
``similarity.csv`` (every compared pair) and ``similarity.json`` into ``--out``.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from cnnlab.errors import UsageError

NAME = "similarity"
HELP = "flag pairs of submissions whose code is suspiciously alike (renaming- and layout-proof)"
NOISE = 25       # matches shorter than this many filtered characters are noise
GUARANTEE = 30   # matches this long are always found (winnowing window: GUARANTEE - NOISE + 1)


def configure(parser) -> None:
    parser.add_argument("assignment", help="a bundled assignment's name (e.g. metrics) or an assignment folder")
    parser.add_argument("submissions", help="folder with one sub-folder, .zip or .ipynb per student")
    parser.add_argument("--out", default="out/similarity", help="output folder (default out/similarity)")
    parser.add_argument("--threshold", type=float, default=0.5,
                        help="flag a pair when this share of one side's code (0-1) is found in the "
                             "other (default 0.5)")


def _unpack(assignment, submissions_dir, work: Path) -> tuple[object, dict[str, Path], dict[str, str], list[str]]:
    """Each submission's Python files, flattened into ``work/flat/<student>/`` (so that one
    student's files are never compared with each other); the assignment spec; the students'
    folders; flattened path -> the file's path in its submission; the files left out (not UTF-8
    text)."""
    from cnnlab.bench.grading import assignment as assignments
    from cnnlab.bench.grading import submissions

    spec = assignments.load(assignment)
    found = submissions.discover(submissions_dir, spec.files)
    if len(found) < 2:
        raise UsageError(f"similarity needs at least 2 submissions, found {len(found)} in {str(submissions_dir)!r}")
    folders, names, skipped = {}, {}, []
    for sub in found:
        source = submissions.prepare(sub, work / "raw" / sub.student, spec.files)
        flat = work / "flat" / sub.student
        flat.mkdir(parents=True)
        for path in sorted(source.rglob("*.py")):
            if "__pycache__" in path.parts or not path.is_file() or path.is_symlink():
                continue
            try:
                path.read_bytes().decode("utf-8")
            except UnicodeDecodeError:
                skipped.append(f"{sub.student}/{path.relative_to(source)}")
                continue
            copy = flat / f"{len(names)}_{path.name}"
            shutil.copyfile(path, copy)
            names[str(copy)] = path.relative_to(source).as_posix()
        folders[sub.student] = flat
    return spec, folders, names, skipped


def compare(assignment, submissions_dir, *, threshold: float = 0.5) -> dict:
    """Compare every pair of submissions.

    Returns
    -------
    dict
        ``assignment``, ``threshold``, ``students``, ``pairs``: one record per pair of files
        that share code (``student_a``, ``student_b``, ``file_a``, ``file_b``, ``similarity_a``
        and ``similarity_b``: the share of each side's code found in the other, ``tokens``,
        ``flagged``, ``code_a``, ``code_b``, ``regions_a``, ``regions_b``: matching character
        ranges), most alike first; ``skipped``: files that are not UTF-8 text.

    Raises
    ------
    ValueError
        For an unknown assignment, fewer than two submissions, a threshold outside 0-1.
    ModuleNotFoundError
        Without copydetect (the ``similarity`` extra).
    """
    if not 0 < threshold <= 1:
        raise UsageError(f"--threshold must be in (0, 1], got {threshold}")
    try:
        from copydetect import CopyDetector
    except ModuleNotFoundError:
        raise ModuleNotFoundError("cnnlab similarity needs copydetect: pip install 'cnnlab[similarity]'") from None
    work = Path(tempfile.mkdtemp(prefix="cnnlab-similarity-"))
    try:
        spec, folders, names, skipped = _unpack(assignment, submissions_dir, work)
        starter = [str(spec.starter_dir)] if spec.starter_dir.is_dir() else []
        detector = CopyDetector(test_dirs=[str(work / "flat")], ref_dirs=[str(work / "flat")],
                                boilerplate_dirs=starter, extensions=["py"], noise_t=NOISE,
                                guarantee_t=GUARANTEE, display_t=0.0, ignore_leaf=True,
                                autoopen=False, silent=True)
        detector.run()
        pairs = _pairs(detector, names, threshold)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {"assignment": spec.name, "threshold": threshold, "students": sorted(folders),
            "skipped": skipped, "pairs": pairs}


def _pairs(detector, names: dict[str, str], threshold: float) -> list[dict]:
    files = [Path(f) for f in detector.test_files]
    pairs, seen = [], set()
    for i, a in enumerate(files):
        for j, b in enumerate(files):
            key = frozenset((a, b))
            if a.parent == b.parent or key in seen:
                continue
            seen.add(key)
            sim_a, sim_b = detector.similarity_matrix[i, j]
            slices = detector.slice_matrix.get((str(a), str(b)))
            if slices is None:
                reverse = detector.slice_matrix.get((str(b), str(a)))
                slices = None if reverse is None else [reverse[1], reverse[0]]
            if sim_a < 0 or slices is None:  # not compared, or nothing in common
                continue
            pairs.append({
                "student_a": a.parent.name, "student_b": b.parent.name,
                "file_a": names[str(a)], "file_b": names[str(b)],
                "similarity_a": round(float(sim_a), 4), "similarity_b": round(float(sim_b), 4),
                "tokens": int(detector.token_overlap_matrix[i, j]),
                "flagged": bool(max(sim_a, sim_b) >= threshold),
                "code_a": detector.file_data[str(a)].raw_code, "code_b": detector.file_data[str(b)].raw_code,
                "regions_a": [[int(s), int(e)] for s, e in zip(*slices[0], strict=True)],
                "regions_b": [[int(s), int(e)] for s, e in zip(*slices[1], strict=True)],
            })
    pairs.sort(key=lambda p: (-max(p["similarity_a"], p["similarity_b"]), p["student_a"], p["student_b"]))
    return pairs


def run(args) -> int:
    from cnnlab.bench.jobs.common import output_folder
    from cnnlab.reports import similarity as report

    if not str(args.submissions).strip():  # Path("") would be the working folder
        raise UsageError("SUBMISSIONS must name a folder, got an empty path")
    output_folder(args.out, create=False)  # before the work: an empty or file --out
    result = compare(args.assignment, args.submissions, threshold=args.threshold)
    paths = report.write_all(result, args.out)
    print(report.table(result))
    flagged = sum(p["flagged"] for p in result["pairs"])
    for name in result["skipped"]:
        print(f"skipped {name}: not UTF-8 text")
    print(f"\n{len(result['students'])} submissions, {flagged} pair(s) flagged at {args.threshold:.0%} "
          f"(starter code ignored); wrote {', '.join(str(p) for p in paths.values())}")
    return 0
