"""``cnnlab port``: convert a torch state_dict into a Keras ``.weights.h5`` file, or back."""

from __future__ import annotations

from cnnlab.errors import UsageError

NAME = "port"
HELP = "convert weights between a torch state_dict (.pt/.pth) and a Keras .weights.h5 file"


def configure(parser) -> None:
    parser.add_argument("arch", help="architecture name, e.g. resnet50")
    parser.add_argument("src", help="weights to read (.pt/.pth or .weights.h5)")
    parser.add_argument("dst", help="weights to write (.weights.h5 or .pt/.pth)")
    parser.add_argument("--variant", default="default")
    parser.add_argument("--num-classes", type=int, default=1000)


def run(args) -> int:
    from cnnlab.reference.catalog import get
    from cnnlab.reference.frameworks import prepare, require
    from cnnlab.reference.porting import convert_checkpoint
    from cnnlab.reference.weights import existing_weights_file

    get(args.arch).variant(args.variant)
    existing_weights_file(args.src)  # a typo is answered before a missing framework
    require("torch", "keras")
    prepare(("torch", "keras"))
    from ._common import one_line

    try:
        report = convert_checkpoint(args.arch, args.src, args.dst, variant=args.variant,
                                    num_classes=args.num_classes)
    except ValueError as exc:  # torch's message about a foreign file runs to several lines
        raise UsageError(one_line(exc)) from None
    print(f"ported {len(report.layers)} layers ({report.values:,} values) of {args.arch} "
          f"from {args.src} to {args.dst}"
          + (f"; flatten order fixed in {', '.join(report.permuted_dense)}" if report.permuted_dense else ""))
    return 0
