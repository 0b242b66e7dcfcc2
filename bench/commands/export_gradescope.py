"""``cnnlab export-gradescope``: write a Gradescope autograder .zip for an assignment."""

from __future__ import annotations

NAME = "export-gradescope"
HELP = "write a Gradescope autograder .zip (setup.sh, run_autograder, cnnlab and the tests)"


def configure(parser) -> None:
    parser.add_argument("assignment", help="a bundled assignment's name (e.g. architectures) or an assignment folder")
    parser.add_argument("--out", default="autograder.zip", help="the .zip to write (default autograder.zip)")
    parser.add_argument("--force", action="store_true", help="replace the file if it exists")


def run(args) -> int:
    from cnnlab.bench.grading.gradescope import export

    done = export(args.assignment, args.out, force=args.force)
    frameworks = ", ".join(done["frameworks"]) or "none (numpy only)"
    print(f"wrote {done['path']} ({done['files']} files, {done['bytes'] / 2**20:.1f} MiB); "
          f"setup.sh installs cnnlab and: {frameworks}")
    print("upload it as the autograder of a Gradescope programming assignment "
          "(base image: Ubuntu 24.04)")
    return 0
