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


def one_line(exc: BaseException) -> str:
    """A foreign library's multi-line message cut to its first sentence (the CLI prints one line)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if len(lines) <= 1:
        return lines[0] if lines else type(exc).__name__
    first = lines[0]
    cut = first.find(". ")
    return first[:cut + 1] if cut > 0 else first
