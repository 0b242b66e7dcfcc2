"""``cnnlab compare``: port random weights between PyTorch and Keras and prove equal outputs."""

from __future__ import annotations

import sys

from cnnlab.bench.jobs.common import arch_variants
from cnnlab.errors import UsageError

from ._common import add_arch_args, selected_archs

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


def run(args) -> int:
    from cnnlab.bench.jobs import compare as job
    from cnnlab.reference.frameworks import prepare, require
    from cnnlab.reports.models import render_compare

    job.check_directions(args.direction)  # before the frameworks load: a typo costs no waiting
    if args.batch < 1:
        raise UsageError(f"--batch must be at least 1, got {args.batch}")
    archs = selected_archs(args)
    arch_variants(archs, args.variant)  # a typo is answered before a missing framework
    require("torch", "keras")  # compare ports between the two: both must be installed
    prepare(("torch", "keras"))
    records = job.run(archs=archs, variants=args.variant, directions=args.direction,
                      batch=args.batch, seed=args.seed, quiet=args.json)
    print(render_compare([r.to_json() for r in records], as_json=args.json))
    bad = [f"{r.arch}/{r.variant} {r.direction}" for r in records if not r.ok]
    if bad:
        print(f"outputs differ: {', '.join(bad)}", file=sys.stderr)
    return 1 if bad else 0
