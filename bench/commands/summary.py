"""``cnnlab summary ARCH``: the per-layer table, like torchinfo or Keras ``summary()``."""

from __future__ import annotations

NAME = "summary"
HELP = "print one architecture's layers with output shapes and parameter counts"


def configure(parser) -> None:
    parser.add_argument("arch", help="architecture name, e.g. vgg16")
    parser.add_argument("--framework", help="torch or keras (default: torch if installed, else keras)")
    parser.add_argument("--variant", default="default")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")


def run(args) -> int:
    from cnnlab.reference import build, check_framework
    from cnnlab.reference.catalog import get
    from cnnlab.reference.frameworks import installed, require
    from cnnlab.reference.summary import count_params, keras_layer_table, torch_layer_table
    from cnnlab.reports.tables import table, to_json

    spec = get(args.arch)
    if args.framework is None:
        args.framework = (installed() or ["torch"])[0]
    check_framework(args.framework)
    require(args.framework)
    spec.variant(args.variant)
    if args.framework == "torch":
        import torch

        with torch.device("meta"):
            model = build(args.arch, "torch", variant=args.variant)
        rows, out = torch_layer_table(model, (1, spec.in_channels, *spec.input_size))
    else:
        model = build(args.arch, "keras", variant=args.variant)
        rows, out = keras_layer_table(model)
    total, trainable = count_params(model)
    dicts = [r.as_dict() for r in rows]
    if args.json:
        print(to_json(dicts))
        return 0
    print(table(dicts, ("name", "type", "output_shape", "params")))
    print(f"\n{args.arch} ({args.framework}, {args.variant}): output {'x'.join(map(str, out))}, "
          f"{total:,} parameters, {trainable:,} trainable")
    return 0
