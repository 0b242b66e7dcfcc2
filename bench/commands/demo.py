"""``cnnlab demo``: the main job on bundled defaults, one section per part of cnnlab."""

from __future__ import annotations

import time
from pathlib import Path

NAME = "demo"
HELP = "run cnnlab's main job on bundled defaults (architecture table, grading of the examples)"


def configure(parser) -> None:
    parser.add_argument("--out", default="out/demo", help="folder for reports (default out/demo)")
    parser.add_argument("--framework", nargs="+", metavar="F",
                        help="torch and/or keras (default: those installed)")


def _section(title: str) -> None:
    print(f"\n== {title} ==\n", flush=True)


def architecture_table(frameworks) -> None:
    from cnnlab.bench.jobs.models import run as describe_all
    from cnnlab.reports.models import side_by_side

    _section("Reference architectures (parameters, GMACs and output shapes per framework)")
    from cnnlab.reference.catalog import names

    records = [r.to_json() for r in describe_all(archs=names(), frameworks=frameworks)]
    print(side_by_side(records))
    bad = [r for r in records if not r["matches"]]
    print(f"\n{len(records) - len(bad)} of {len(records)} builds match the catalog"
          + (": " + ", ".join(f"{r['arch']}/{r['framework']}/{r['variant']}" for r in bad) if bad else "."))


def what_it_did(summary) -> str:
    """Which sandbox ran and which report files a grading section wrote (one line each)."""
    out = Path(summary.out)
    lines = [f"graded {len(summary.graded)}, errors {len(summary.errors)}, missing {len(summary.missing)} "
             f"in {summary.wall_s:.0f} s; sandbox: {summary.isolation or 'none (no student code ran)'}"]
    lines += [f"warning: {w}" for w in summary.warnings]
    files, folders = [], []
    for path in sorted(summary.reports.values(), key=str):
        path = Path(path)
        if path.is_dir():
            count = sum(1 for p in path.rglob("*") if p.is_file())
            folders.append(f"{path.name}/ ({count} files)")
        else:
            files.append(path.name)
    if (out / "plots").is_dir():
        folders.append(f"plots/ ({sum(1 for _ in (out / 'plots').glob('*.png'))} files)")
    lines.append(f"wrote to {out}/: {', '.join(files + folders)}; open {out / 'report.html'}")
    return "\n".join(lines)


def grading_metrics(out: Path) -> None:
    from cnnlab.bench.grading import examples, grade

    _section("Grading the bundled `metrics` examples (correct, wrong, broken, and attacks)")
    summary = grade("metrics", examples("metrics"), out / "grades-metrics", jobs=2, progress=True,
                    limits={"call_timeout_s": 2})  # the endless-loop attack need not take 10 s
    print(summary.table())
    print()
    print(what_it_did(summary))
    return summary


def grading_architectures(out: Path, frameworks: list[str]) -> None:
    from cnnlab.bench.grading.example_class import grade_examples, render_demo

    _section("Grading the bundled `architectures` examples (LeNet-5 scale): class, teams, leaderboard")
    if len(frameworks) < 2:
        print(f"(graded in {frameworks[0]} only, out of the {frameworks[0]} half of the points)\n")
    summary = grade_examples(out / "grades-architectures", frameworks=",".join(frameworks), progress=True)
    print(render_demo(summary))
    print()
    # the demo grades LeNet-5 only, so its tests add up to less than the assignment's points
    scale = [w for w in summary.warnings if w.startswith("the tests add up to")]
    summary.warnings = [w for w in summary.warnings if w not in scale]
    print(what_it_did(summary))
    if scale:
        print(f"(LeNet-5 scale: {scale[0]})")
    return summary


def grading_gan(out: Path):
    from cnnlab.bench.grading import examples, grade

    _section("Grading the bundled `gan` examples (the classic GAN training mistakes)")
    summary = grade("gan", examples("gan"), out / "grades-gan", jobs=2, progress=True,
                    limits={"call_timeout_s": 60})  # the first call imports torch
    print(summary.table())
    print()
    print(what_it_did(summary))
    return summary


def run(args) -> int:
    from cnnlab.bench.jobs.common import output_folder
    from cnnlab.reference.frameworks import FRAMEWORKS, is_installed, missing_message, prepare

    from ._common import selected_frameworks

    frameworks = selected_frameworks(args)
    out = output_folder(args.out)
    prepare(frameworks)
    start = time.perf_counter()
    skipped, pages = [], []
    architecture_table(frameworks)
    pages.append(grading_metrics(out).out / "report.html")
    if is_installed("torch"):  # the grader builds its reference models in torch
        pages.append(grading_architectures(out, frameworks).out / "report.html")
        pages.append(grading_gan(out).out / "report.html")
    else:
        skipped.append(f"grading the architectures and gan examples ({missing_message(['torch'])})")
    absent = [f for f in FRAMEWORKS if f not in frameworks]
    if absent and not args.framework:
        skipped.insert(0, f"the {' and '.join(absent)} half of every section ({missing_message(absent)})")
    print(f"\ndemo finished in {time.perf_counter() - start:.0f} s; reports in {out}/")
    for page in pages:
        print(f"open {page}")
    for what in skipped:
        print(f"skipped: {what}")
    return 0
