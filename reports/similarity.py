"""Similarity reports: the pairs of :func:`cnnlab.bench.commands.similarity.compare`, rendered.

A pair record holds both files' code and the matching character ranges of each
(``regions_a``, ``regions_b``); the page shows flagged pairs side by side with the matching
regions marked. Nothing is recomputed here.
"""

from __future__ import annotations

import csv
import html
import json
from pathlib import Path

FIELDS = ("student_a", "student_b", "file_a", "file_b", "similarity_a", "similarity_b", "tokens", "flagged")


def table(result: dict, *, tablefmt: str = "simple") -> str:
    """The flagged pairs as a text table (or a line saying there are none)."""
    from tabulate import tabulate

    flagged = [p for p in result["pairs"] if p["flagged"]]
    if not flagged:
        return f"no pair reaches {result['threshold']:.0%} similarity"
    rows = [[p["student_a"], p["student_b"], f"{p['file_a']} / {p['file_b']}", f"{p['similarity_a']:.0%}",
             f"{p['similarity_b']:.0%}", p["tokens"]] for p in flagged]
    return tabulate(rows, headers=["student A", "student B", "files", "A in B", "B in A", "tokens"],
                    tablefmt=tablefmt, disable_numparse=True)


def _marked(code: str, regions: list[list[int]]) -> str:
    """Escaped code with each matching region in a ``<mark>``."""
    out, at = [], 0
    for start, end in sorted(regions):
        start = max(start, at)
        if end <= start:
            continue
        out += [html.escape(code[at:start]), f"<mark>{html.escape(code[start:end])}</mark>"]
        at = end
    out.append(html.escape(code[at:]))
    return "".join(out)


def write_html(result: dict, path: str | Path, *, unflagged_rows: int = 20) -> Path:
    """``similarity.html``: a table of the flagged pairs and the ``unflagged_rows`` most alike of
    the others (all of them are in ``similarity.csv``), then each flagged pair with the two files
    side by side and the matching regions marked."""
    esc = html.escape
    pairs = result["pairs"]
    flagged = [p for p in pairs if p["flagged"]]
    rows = "".join(
        f'<tr class="{"flag" if p["flagged"] else ""}"><td>{esc(p["student_a"])}</td><td>{esc(p["student_b"])}</td>'
        f'<td>{esc(p["file_a"])} / {esc(p["file_b"])}</td><td>{p["similarity_a"]:.0%}</td>'
        f'<td>{p["similarity_b"]:.0%}</td><td>{p["tokens"]}</td>'
        f'<td>{f"<a href=#pair{i}>flagged</a>" if p["flagged"] else ""}</td></tr>'
        for i, p in enumerate(pairs) if p["flagged"] or i < len(flagged) + unflagged_rows)
    rest = len(pairs) - len(flagged) - unflagged_rows
    more = f'<p class="note">{rest} more pair(s) with less in common: see similarity.csv.</p>' if rest > 0 else ""
    sections = []
    for i, p in enumerate(pairs):
        if not p["flagged"]:
            continue
        sections.append(
            f'<section class="pair" id="pair{i}"><h2>{esc(p["student_a"])} and {esc(p["student_b"])}: '
            f'{p["similarity_a"]:.0%} / {p["similarity_b"]:.0%}</h2><div class="sides">'
            f'<div><h3>{esc(p["student_a"])}: {esc(p["file_a"])}</h3><pre>{_marked(p["code_a"], p["regions_a"])}</pre></div>'
            f'<div><h3>{esc(p["student_b"])}: {esc(p["file_b"])}</h3><pre>{_marked(p["code_b"], p["regions_b"])}</pre></div>'
            "</div></section>")
    title = f"Similarity: {result['assignment']}"
    doc = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 1.5em; }}
table {{ border-collapse: collapse; margin-bottom: 1.5em; }}
td, th {{ border: 1px solid #ccc; padding: 0.2em 0.5em; text-align: left; }}
tr.flag td {{ background: #f2dede; }}
.sides {{ display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 1em; }}
pre {{ background: #f8f8f8; border: 1px solid #ddd; padding: 0.5em; overflow-x: auto; font-size: 0.85em; }}
mark {{ background: #ffd966; }}
.note {{ color: #555; max-width: 60em; }}
</style></head><body>
<h1>{esc(title)}</h1>
<p>{len(result['students'])} submissions; {len(flagged)} pair(s) of files at or above
{result['threshold']:.0%} (the share of one file's code found in the other, after names,
layout and comments are normalised; the starter code is ignored).</p>
<p class="note">Similar code is a reason to look, not proof of copying: read both sides.</p>
<table id="pairs"><thead><tr><th>student A</th><th>student B</th><th>files</th><th>A in B</th>
<th>B in A</th><th>tokens</th><th></th></tr></thead><tbody>{rows}</tbody></table>{more}
{''.join(sections)}
</body></html>
"""
    path = Path(path)
    path.write_text(doc, encoding="utf-8")
    return path


def write_all(result: dict, out: str | Path) -> dict[str, Path]:
    """Write ``similarity.html``, ``similarity.csv`` (every pair that shares code, without the code)
    and ``similarity.json`` (everything) into ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "similarity.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(result["pairs"])
    (out / "similarity.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    return {"similarity.html": write_html(result, out / "similarity.html"),
            "similarity.csv": out / "similarity.csv", "similarity.json": out / "similarity.json"}
