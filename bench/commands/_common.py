"""Argument helpers shared by the subcommands."""

from __future__ import annotations

from cnnlab.errors import UsageError


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
        raise UsageError(f"unknown variant(s) {', '.join(unknown)} for {', '.join(archs)}; "
                         f"valid variants: {', '.join(sorted(known))}")
    return [(a, v) for a in archs for v in get(a).variants if not variants or v in variants]


def progress(iterable, *, desc: str, total: int | None = None, quiet: bool = False):
    """A tqdm bar on stderr (so ``--json`` output on stdout stays clean)."""
    from tqdm import tqdm

    return tqdm(iterable, desc=desc, total=total, disable=quiet, leave=False, unit="model")


def output_folder(value, *, flag: str = "--out", create: bool = True):
    """The folder a command writes into, checked (and created) before any work is done.

    Raises
    ------
    ValueError
        For an empty path (``Path("")`` would be the working folder), a path that exists and is
        not a folder, or one that cannot be created (read-only, under a file, no permission).
    """
    import os
    from pathlib import Path

    text = os.fspath(value)
    if not text.strip():
        raise UsageError(f"{flag} must name a folder, got an empty path")
    folder = Path(text)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{flag} {text!r} exists and is not a folder")
    if create:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"cannot create {flag} {text!r}: {exc.strerror or exc}") from None
    return folder


def one_line(exc: BaseException) -> str:
    """A foreign library's multi-line message cut to its first sentence (the CLI prints one line)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if len(lines) <= 1:
        return lines[0] if lines else type(exc).__name__
    first = lines[0]
    cut = first.find(". ")
    return first[:cut + 1] if cut > 0 else first
