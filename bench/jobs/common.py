"""What the jobs (and the commands in front of them) share: the folder a job writes into,
checked before any work; the (architecture, variant) pairs a job covers; a progress bar."""

from __future__ import annotations

from cnnlab.errors import UsageError


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
