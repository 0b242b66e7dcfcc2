"""``cnnlab grade``: grade a class of submissions in a sandbox; write a gradebook and reports."""

from __future__ import annotations

import json

NAME = "grade"
HELP = "grade submissions against an assignment (sandboxed), write gradebook.db and reports"


def configure(parser) -> None:
    parser.add_argument("assignment", help="a bundled assignment's name (e.g. metrics) or an assignment folder")
    parser.add_argument("submissions", help="folder with one sub-folder, .zip or .ipynb per student, "
                                            "or a single submission folder (e.g. .)")
    parser.add_argument("--out", default="out/grades", help="output folder (default out/grades)")
    parser.add_argument("--jobs", type=int, default=1, help="submissions graded at once (default 1)")
    parser.add_argument("--roster", help="CSV with a 'student' column, optionally 'name', 'team' and "
                        "'extension' (a late-policy extension: a duration like 2d, or a new due date)")
    parser.add_argument("--public-only", action="store_true",
                        help="run only the visible tests (for students checking their own work)")
    parser.add_argument("--regrade", nargs="+", metavar="ID", default=[],
                        help="grade these students again even if the gradebook has them")
    parser.add_argument("--isolation", default="auto", choices=("auto", "bwrap", "rlimits"),
                        help="worker sandbox: bubblewrap, or a plain child with rlimits, Landlock and "
                             "seccomp (default auto: bubblewrap where it works)")
    dask = parser.add_argument_group("Dask cluster (pip install 'cnnlab[dask]')")
    dask.add_argument("--scheduler", metavar="ADDRESS",
                      help="grade on the workers of this Dask scheduler (tcp://HOST:8786; TLS through "
                           "Dask's security configuration) instead of --jobs local children")
    dask.add_argument("--cluster", metavar="local:N|slurm:CONFIG",
                      help="grade on a local Dask cluster of N worker processes, or on SLURM jobs "
                           "configured by the [slurm] table of a TOML file (dask-jobqueue)")
    parser.add_argument("--published", action="store_true",
                        help="grades are published: feedback shows tests marked after_published")
    parser.add_argument("--quiet", action="store_true", help="no progress bar and no table")
    parser.add_argument("--json", action="store_true", help="print the records as JSON instead of the table")


def run(args) -> int:
    import sys

    from cnnlab.bench.grading import grade
    from cnnlab.bench.grading.engine import Terminated

    try:
        summary = grade(args.assignment, args.submissions, args.out, jobs=args.jobs, roster=args.roster,
                        public_only=args.public_only, regrade=args.regrade, isolation=args.isolation,
                        progress=not (args.quiet or args.json), published=args.published,
                    scheduler=args.scheduler, cluster=args.cluster)
    except Terminated:
        print("cnnlab grade: terminated (SIGTERM); the run is marked interrupted and the reports "
              f"of what was graded are in {args.out}/", file=sys.stderr)
        return 128 + 15
    if args.json:
        print(json.dumps({"run_id": summary.run_id, "assignment": summary.assignment,
                          "isolation": summary.isolation, "records": summary.records}, indent=2))
        return 0
    if not args.quiet:
        print(summary.table())
        print()
    print(f"graded {len(summary.graded)}, already graded {len(summary.skipped)}, "
          f"errors {len(summary.errors)}, missing {len(summary.missing)} "
          f"in {summary.wall_s:.1f} s; sandbox: {summary.isolation or 'none'}")
    for warning in summary.warnings:
        print(f"warning: {warning}")
    print(f"gradebook and reports in {summary.out}/")
    return 0
