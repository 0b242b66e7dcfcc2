"""``cnnlab models``: every architecture's parameters, shapes and GMACs against the catalog."""

from __future__ import annotations

import sys

from cnnlab.errors import UsageError

from ._common import add_arch_args, selected_archs, selected_frameworks

NAME = "models"
HELP = "list architectures with parameter counts, shapes and GMACs, checked against the catalog"


def configure(parser) -> None:
    add_arch_args(parser)
    parser.add_argument("--variant", nargs="+", metavar="V", help="variants (default: all)")
    parser.add_argument("--side-by-side", action="store_true", help="one column per framework")


def run(args) -> int:
    from cnnlab.bench.jobs import models as job
    from cnnlab.reference.frameworks import prepare
    from cnnlab.reports.models import render_models

    if args.side_by_side and args.json:
        raise UsageError("--side-by-side and --json cannot be combined: the JSON records already "
                         "hold one entry per framework")
    frameworks = selected_frameworks(args)
    prepare(frameworks)
    records = job.run(archs=selected_archs(args), frameworks=frameworks, variants=args.variant,
                      quiet=args.json)
    print(render_models([r.to_json() for r in records], as_json=args.json,
                        wide=args.side_by_side))
    bad = [f"{r.arch}/{r.framework}/{r.variant}" for r in records if not r.matches]
    if bad:
        print(f"not matching the catalog: {', '.join(bad)}", file=sys.stderr)
    return 1 if bad else 0
