"""Argument helpers shared by the subcommands."""

from __future__ import annotations


def add_arch_args(parser, *, frameworks: bool = True) -> None:
    parser.add_argument(
        "--arch", nargs="+", metavar="A", help="architectures, or all (default: the whole catalog)"
    )
    if frameworks:
        parser.add_argument(
            "--framework", nargs="+", metavar="F", help="torch and/or keras, or all (default: those installed)"
        )
    parser.add_argument("--json", action="store_true", help="print the records as JSON")


def selected_archs(args) -> list[str]:
    """Validate ``--arch`` against the catalog (``all``: the whole catalog); a wrong name lists
    the valid ones."""
    from cnnlab.reference.catalog import get, names

    if not args.arch or "all" in args.arch:
        return names()
    for arch in args.arch:
        get(arch)
    return list(args.arch)


def selected_frameworks(args) -> list[str]:
    """The ``--framework`` values, checked (``all`` means both) and installed; by default every
    framework that is installed (a torch-only install lists its torch models rather than failing
    on Keras)."""
    from cnnlab.reference import check_framework
    from cnnlab.reference.frameworks import FRAMEWORKS, FrameworkMissing, installed, missing_message

    if args.framework:
        asked = list(FRAMEWORKS) if "all" in args.framework else [check_framework(f) for f in args.framework]
        absent = [f for f in asked if f not in installed(asked)]
        if absent:
            raise FrameworkMissing(missing_message(absent))
        return list(dict.fromkeys(asked))
    found = installed()
    if not found:
        raise FrameworkMissing(missing_message(FRAMEWORKS))
    return found


def arch_variants(archs, variants=None) -> list[tuple[str, str]]:
    """(arch, variant) pairs: every variant of each arch, or those named in ``variants``; a name
    no selected arch has is an error, not an empty table."""
    from cnnlab.reference.catalog import get

    known = {v for a in archs for v in get(a).variants}
    unknown = sorted(set(variants or ()) - known)
    if unknown:
        raise ValueError(f"unknown variant(s) {', '.join(unknown)} for {', '.join(archs)}; "
                         f"valid variants: {', '.join(sorted(known))}")
    return [(a, v) for a in archs for v in get(a).variants if not variants or v in variants]


def progress(iterable, *, desc: str, total: int | None = None, quiet: bool = False):
    """A tqdm bar on stderr (so ``--json`` output on stdout stays clean)."""
    from tqdm import tqdm

    return tqdm(iterable, desc=desc, total=total, disable=quiet, leave=False, unit="model")
