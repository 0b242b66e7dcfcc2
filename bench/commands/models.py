"""``cnnlab models``: every architecture's parameters, shapes and GMACs against the catalog."""

from __future__ import annotations

import sys

from cnnlab.errors import UsageError

from ._common import add_arch_args, arch_variants, progress, selected_archs, selected_frameworks

NAME = "models"
HELP = "list architectures with parameter counts, shapes and GMACs, checked against the catalog"


def configure(parser) -> None:
    add_arch_args(parser)
    parser.add_argument("--variant", nargs="+", metavar="V", help="variants (default: all)")
    parser.add_argument("--side-by-side", action="store_true", help="one column per framework")


def collect(archs, frameworks, variants=None, *, quiet=False) -> list[dict]:
    from cnnlab.reference.summary import describe

    jobs = [(arch, framework, variant) for arch, variant in arch_variants(archs, variants)
            for framework in frameworks]
    records = []
    for arch, framework, variant in progress(jobs, desc="models", quiet=quiet):
        records.append(describe(arch, framework, variant=variant).as_dict())
    return records


def run(args) -> int:
    from cnnlab.reference.frameworks import prepare
    from cnnlab.reports.models import models_table, side_by_side
    from cnnlab.reports.tables import to_json

    if args.side_by_side and args.json:
        raise UsageError("--side-by-side and --json cannot be combined: the JSON records already "
                         "hold one entry per framework")
    frameworks = selected_frameworks(args)
    prepare(frameworks)
    records = collect(selected_archs(args), frameworks, args.variant, quiet=args.json)
    if args.json:
        print(to_json(records))
    else:
        print(side_by_side(records) if args.side_by_side else models_table(records))
    bad = [f"{r['arch']}/{r['framework']}/{r['variant']}" for r in records if not r["matches"]]
    if bad:
        print(f"not matching the catalog: {', '.join(bad)}", file=sys.stderr)
    return 1 if bad else 0
