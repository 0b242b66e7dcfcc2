"""``cnnlab demo``: the main job on bundled defaults, one section per part of cnnlab."""

from __future__ import annotations

import time
from pathlib import Path

NAME = "demo"
HELP = "run cnnlab's main job on bundled defaults (architecture table, grading of the examples)"


def configure(parser) -> None:
    parser.add_argument("--out", default="out/demo", help="folder for reports (default out/demo)")
    parser.add_argument("--framework", nargs="+", default=["torch", "keras"],
                        help="frameworks for the architecture table (default: both)")


def _section(title: str) -> None:
    print(f"\n== {title} ==\n", flush=True)


def architecture_table(frameworks) -> None:
    from reports.models import side_by_side

    from .models import collect

    _section("Reference architectures (parameters, GMACs and output shapes per framework)")
    from reference.catalog import names

    records = collect(names(), frameworks)
    print(side_by_side(records))
    bad = [r for r in records if not r["matches"]]
    print(f"\n{len(records) - len(bad)} of {len(records)} builds match the catalog"
          + (": " + ", ".join(f"{r['arch']}/{r['framework']}/{r['variant']}" for r in bad) if bad else "."))


def grading_metrics(out: Path) -> None:
    from bench.grading import examples, grade

    _section("Grading the bundled `metrics` examples (correct, wrong, broken, and attacks)")
    summary = grade("metrics", examples("metrics"), out / "grades-metrics", jobs=2, progress=True,
                    limits={"call_timeout_s": 2})  # the endless-loop attack need not take 10 s
    print(summary.table())


def grading_architectures(out: Path) -> None:
    from bench.grading.teams import demo

    _section("Grading the bundled `architectures` examples (LeNet-5 scale): class, teams, leaderboard")
    print(demo(out / "grades-architectures", progress=True))


def run(args) -> int:
    from reference import check_framework
    from reference._frameworks import prepare

    frameworks = [check_framework(f) for f in args.framework]
    prepare(("torch", "keras"))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    architecture_table(frameworks)
    grading_metrics(out)
    grading_architectures(out)
    print(f"\ndemo finished in {time.perf_counter() - start:.0f} s; reports in {out}/")
    return 0
