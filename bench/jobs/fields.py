"""The record-field tables of ``docs/``, generated from the job records' ``Attributes`` sections.

Each table sits between ``<!-- fields: <dotted class name> -->`` and ``<!-- end fields -->`` in a
docs page; one row per ``Attributes`` entry (``a, b : type`` entries name several fields in one
row). ``python -m cnnlab.bench.jobs.fields --write`` rewrites the tables; without ``--write`` it
exits 1 when a page is out of date. ``tests/test_job_records.py`` runs the check.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import re
import sys
from dataclasses import fields
from pathlib import Path

#: The classes whose fields the docs tabulate.
RECORDS = (
    "cnnlab.bench.jobs.models.ModelRecord",
    "cnnlab.bench.jobs.compare.CompareRecord",
    "cnnlab.bench.jobs.evaluate.EvaluationRecord",
    "cnnlab.bench.jobs.transfer_demo.TransferDemoRecord",
    "cnnlab.bench.jobs.transfer_demo.LectureRecipeRecord",
    "cnnlab.bench.jobs.bench.BenchRecord",
)

_BLOCK = re.compile(r"(<!-- fields: (?P<name>[\w.]+) -->\n)(?P<body>.*?)(<!-- end fields -->)", re.S)


def record_class(dotted: str) -> type:
    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)


def attributes(cls: type) -> list[tuple[list[str], str]]:
    """``(names, description)`` of each entry of the class docstring's ``Attributes`` section."""
    lines = inspect.cleandoc(cls.__doc__ or "").splitlines()
    try:
        start = next(i for i, line in enumerate(lines)
                     if line.strip() == "Attributes" and lines[i + 1].startswith("---")) + 2
    except StopIteration:
        return []
    entries: list[tuple[list[str], list[str]]] = []
    body = lines[start:]
    for i, line in enumerate(body):
        if line and not line.startswith(" "):
            if i + 1 < len(body) and re.fullmatch(r"-{3,}", body[i + 1].strip()):
                break  # the next section
            entries.append(([n.strip() for n in line.split(" :")[0].split(",")], []))
        elif line.strip() and entries:
            entries[-1][1].append(line.strip())
    return [(names, " ".join(text)) for names, text in entries]


def field_table(cls: type) -> str:
    """The markdown table of ``cls``'s fields: ``schema`` first (unless the record is
    ``ENVELOPED``), then the ``Attributes`` rows."""
    rows = ["| field | meaning |", "|---|---|"]
    if not cls.ENVELOPED:
        rows.append(f"| `schema` | `\"{cls.SCHEMA}\"`: the record's kind and version |")
    for names, text in attributes(cls):
        cells = ", ".join(f"`{n}`" for n in names)
        rows.append(f"| {cells} | {text.replace('``', '`')} |")
    return "\n".join(rows) + "\n"


def undocumented(cls: type) -> tuple[list[str], list[str]]:
    """Fields missing from the ``Attributes`` section, and names there that are no field."""
    documented = [n for names, _ in attributes(cls) for n in names]
    declared = [f.name for f in fields(cls)]
    return ([n for n in declared if n not in documented], [n for n in documented if n not in declared])


def render_page(text: str) -> str:
    """``text`` (a docs page) with every field table regenerated."""
    return _BLOCK.sub(lambda m: m.group(1) + field_table(record_class(m.group("name"))) + m.group(4), text)


def pages(docs: Path) -> list[Path]:
    return sorted(p for p in docs.rglob("*.md") if "<!-- fields: " in p.read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=Path, default=Path("docs"), help="the docs folder (default: docs)")
    parser.add_argument("--write", action="store_true", help="rewrite the tables")
    args = parser.parse_args(argv)
    stale = []
    for page in pages(args.docs):
        old = page.read_text(encoding="utf-8")
        new = render_page(old)
        if new != old:
            stale.append(page)
            if args.write:
                page.write_text(new, encoding="utf-8")
    for page in stale:
        print(f"{'rewrote' if args.write else 'out of date'}: {page}")
    return 1 if stale and not args.write else 0


if __name__ == "__main__":
    sys.exit(main())
