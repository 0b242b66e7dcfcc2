"""``cnnlab compare``: port random weights between PyTorch and Keras and prove equal outputs."""

from __future__ import annotations

import sys

from cnnlab.errors import UsageError

from ._common import add_arch_args, arch_variants, progress, selected_archs

NAME = "compare"
HELP = "port weights torch<->keras for each architecture and compare the outputs"


def configure(parser) -> None:
    add_arch_args(parser, frameworks=False)
    parser.add_argument("--variant", nargs="+", metavar="V", help="variants (default: all)")
    parser.add_argument(
        "--direction", nargs="+", default=["keras->torch", "torch->keras"],
        help="keras->torch and/or torch->keras (default: both)",
    )
    parser.add_argument("--batch", type=int, default=2, help="images per comparison (default 2)")
    parser.add_argument("--seed", type=int, default=0)


def collect(archs, variants=None, directions=("keras->torch", "torch->keras"), *, batch=2,
            seed=0, quiet=False) -> list[dict]:
    from cnnlab.reference.compare import compare_arch

    records = []
    for arch, variant in progress(arch_variants(archs, variants), desc="compare", quiet=quiet):
        for rec in compare_arch(arch, variant=variant, directions=tuple(directions), batch=batch, seed=seed):
            records.append(rec.as_dict())
    return records


def run(args) -> int:
    from cnnlab.reference.compare import DIRECTIONS
    from cnnlab.reference.frameworks import prepare, require
    from cnnlab.reports.models import compare_side_by_side, compare_table
    from cnnlab.reports.tables import to_json

    wrong = [d for d in args.direction if d not in DIRECTIONS]
    if wrong:  # before the frameworks load: a typo costs no waiting
        raise UsageError(f"unknown direction {wrong[0]!r}; valid directions: {', '.join(DIRECTIONS)}")
    if args.batch < 1:
        raise UsageError(f"--batch must be at least 1, got {args.batch}")
    archs = selected_archs(args)
    arch_variants(archs, args.variant)  # a typo is answered before a missing framework
    require("torch", "keras")  # compare ports between the two: both must be installed
    prepare(("torch", "keras"))
    records = collect(archs, args.variant, args.direction, batch=args.batch,
                      seed=args.seed, quiet=args.json)
    if args.json:
        print(to_json(records))
    else:
        print(compare_side_by_side(records))
        print()
        print(compare_table(records))
    bad = [f"{r['arch']}/{r['variant']} {r['direction']}" for r in records if not r["ok"]]
    if bad:
        print(f"outputs differ: {', '.join(bad)}", file=sys.stderr)
    return 1 if bad else 0
