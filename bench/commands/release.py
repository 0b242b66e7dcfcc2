"""``cnnlab release``: build the student bundle of an assignment (no solution, no hidden tests)."""

from __future__ import annotations

NAME = "release"
HELP = "build an assignment's student bundle: README, starter files, public tests and fixtures"


def configure(parser) -> None:
    parser.add_argument("assignment", help="a bundled assignment's name (e.g. metrics) or an assignment folder")
    parser.add_argument("--out", required=True, help="folder to create the bundle in")
    parser.add_argument("--force", action="store_true", help="replace the folder if it exists")


def run(args) -> int:
    from cnnlab.bench.grading.release import release

    files = release(args.assignment, args.out, force=args.force)
    print(f"wrote {len(files)} files to {args.out}/:")
    for path in files:
        print(f"  {path}")
    return 0
