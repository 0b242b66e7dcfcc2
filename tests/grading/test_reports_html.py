"""``report.html`` in a real browser: headless Chromium (Debian's ``chromium`` binary) lays the
page out and a script reads the DOM, so the checks are about what a reader sees: no horizontal
scrolling at common widths, every column on screen, statuses that look different, links to the
feedback, the team table and the leaderboard.

One Chromium start measures every page at every width: a harness page holds one iframe per
(report, width) and writes what it measured into the DOM, which ``--dump-dom`` prints.
The test skips only where no Chromium binary is installed (CI installs it: ``.ci/run``).
"""

import json
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from cnnlab.reports import grading as report

CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium binary on PATH (apt-get install chromium; CI's .ci/run does)")
WIDTHS = (1024, 1280, 1400)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--mute-audio",
         "--allow-file-access-from-files", "--no-first-run", "--disable-dev-shm-usage"]

MEASURE = """
window.addEventListener("load", () => {
  const out = [];
  for (const frame of document.querySelectorAll("iframe")) {
    const doc = frame.contentDocument, win = frame.contentWindow;
    const table = doc.getElementById("class");
    const right = table ? Math.max(...[...table.querySelectorAll("th, td")].map(c => c.getBoundingClientRect().right)) : 0;
    const badge = s => { const b = doc.querySelector("#class .badge." + s);
                         return b ? getComputedStyle(b).backgroundColor + "|" + getComputedStyle(b).borderStyle : null; };
    out.push({report: frame.dataset.report, width: win.innerWidth,
              scrollWidth: doc.documentElement.scrollWidth, tableRight: right,
              headers: [...doc.querySelectorAll("#class thead th")].map(th => th.textContent),
              rows: [...doc.querySelectorAll("#class tbody tr")].map(tr => tr.cells[0].textContent),
              why: [...doc.querySelectorAll("#class td.why")].map(td => td.textContent),
              links: [...doc.querySelectorAll("#class td.who a")].map(a => a.getAttribute("href")),
              badges: {graded: badge("graded"), error: badge("error"), missing: badge("missing")},
              teams: [...doc.querySelectorAll("#teams tbody tr")].map(tr => tr.cells[0].textContent),
              leaderboard: [...doc.querySelectorAll("#leaderboard tbody tr")].map(tr => tr.cells[1].textContent),
              images: [...doc.images].map(i => i.naturalWidth)});
  }
  const pre = document.createElement("pre");
  pre.id = "measured";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
"""


def measure(reports: dict[str, Path], tmp_path: Path, widths=WIDTHS) -> dict:
    """{(report, width): what the browser measured} for each report at each window width."""
    frames = "".join(
        f'<iframe data-report="{name}" src="{path.resolve().as_uri()}" '
        f'style="width:{w}px;height:700px;border:0;display:block"></iframe>'
        for name, path in reports.items() for w in widths)
    harness = tmp_path / "harness.html"
    harness.write_text(f"<!DOCTYPE html><html><body>{frames}<script>{MEASURE}</script></body></html>")
    run = subprocess.run([CHROMIUM, *FLAGS, f"--window-size={max(widths) + 100},900",
                          "--virtual-time-budget=5000", "--dump-dom", harness.as_uri()],
                         capture_output=True, text=True, timeout=120)
    found = re.search(r'<pre id="measured">(.*?)</pre>', run.stdout, re.S)
    assert found, f"chromium printed no measurement (exit {run.returncode}): {run.stderr[-800:]}"
    data = json.loads(found.group(1).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">"))
    return {(m["report"], m["width"]): m for m in data}


def screenshot(page: Path, png: Path, width: int = 1400, height: int = 900) -> tuple[int, int]:
    """A PNG of ``page`` as Chromium draws it in a ``width`` x ``height`` window; its size."""
    subprocess.run([CHROMIUM, *FLAGS, f"--window-size={width},{height}", f"--screenshot={png}",
                    page.resolve().as_uri()], capture_output=True, timeout=120, check=True)
    head = png.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


def _test(name, number, points, max_points, status):
    return {"test": name, "number": str(number), "file": "test_x.py", "description": "",
            "points": points, "max_points": max_points, "status": status, "message": "why",
            "output": "", "visibility": "visible", "duration_s": 0.1, "student_s": 0.0}


# nine tests with long names, like the metrics assignment, and parametrised ones
NAMES = ["test_confusion_matrix", "test_precision_recall_f1_macro", "test_top_k_accuracy",
         "test_roc_auc_ovr", "test_confusion_matrix_edge_cases", "test_precision_recall_f1_averages",
         "test_top_k_edge_cases", "test_roc_auc_ties_and_two_classes", "test_large_problem",
         "test_architecture[lenet5-torch]", "test_architecture[lenet5-keras]", "test_model_zoo"]
SANDBOX = "capabilities+landlock+seccomp+rlimits"


def _class():
    records = []
    for i, student in enumerate(["attack_read_secrets_and_more", "correct", "partial_macro"]):
        tests = [_test(n, k, (10 if (k + i) % 3 else 4) if k < 12 else 0, 10 if k < 12 else 0,
                       "passed" if (k + i) % 3 else "partial") for k, n in enumerate(NAMES, start=1)]
        records.append({"student": student, "status": "graded", "score": sum(t["points"] for t in tests),
                        "max_score": 110.0, "isolation": SANDBOX, "wall_s": 3.0, "message": "", "tests": tests,
                        "leaderboard": [{"name": "accuracy", "value": 0.9 - i / 10, "order": "desc"}]})
    records.append({"student": "mallory", "status": "error", "score": 0.0, "max_score": 110.0,
                    "isolation": None, "message": "unsafe path '../../evil.py'", "tests": []})
    records.append({"student": "linus", "status": "missing", "score": 0.0, "max_score": 110.0,
                    "isolation": None, "message": "no submission", "tests": []})
    teams = [{"team": "convolutionists", "members": [{"student": "correct", "name": "Ada Lovelace"},
                                                     {"student": "grace", "name": "Grace Hopper"}],
              "submitted_by": "correct", "also": [], "score": 110.0, "max_score": 110.0, "status": "graded",
              "message": "", "leaderboard": [{"name": "accuracy", "value": 0.8, "order": "desc"}]},
             {"team": "latecomers", "members": [{"student": "linus", "name": "Linus Pauling"}],
              "submitted_by": "", "also": [], "score": 0.0, "max_score": 110.0, "status": "missing",
              "message": "no submission from any member", "leaderboard": []}]
    return records, teams


def _check_page(m, *, rows, links, teams=(), leaderboard=()):
    where = f"{m['report']} at {m['width']} px"
    assert m["scrollWidth"] <= m["width"], f"{where}: the page scrolls sideways ({m['scrollWidth']} px)"
    assert m["tableRight"] <= m["width"], f"{where}: the class table ends at {m['tableRight']} px"
    assert m["headers"][-2:] == ["total", "status"], where
    assert m["rows"][:len(rows)] == list(rows) and m["rows"][-2:] == ["max points", "passed"], where
    assert m["links"] == [f"feedback/{s}.md" for s in links], where
    assert m["teams"] == list(teams) and m["leaderboard"] == list(leaderboard), where
    assert all(w > 0 for w in m["images"]), f"{where}: a plot did not load"


@needs_chromium
def test_a_wide_class_fits_common_widths_with_teams_and_leaderboard(tmp_path):
    records, teams = _class()
    paths = report.write_all(records, tmp_path / "out", title="Metrics <and> CNNs", teams=teams,
                             metrics=[("accuracy", "desc")], names={"correct": "Ada Lovelace"})
    measured = measure({"wide": paths["report.html"]}, tmp_path)
    for width in WIDTHS:
        m = measured[("wide", width)]
        _check_page(m, rows=["attack_read_secrets_and_more", "correctAda Lovelace", "partial_macro",
                             "mallory", "linus"], links=[r["student"] for r in records], teams=["convolutionists", "latecomers"],
                    leaderboard=["convolutionists", "latecomers"])
        assert "architecture[lenet5-torch]" in m["headers"] and "architecture[lenet5-keras]" in m["headers"]
        assert "sandbox" not in m["headers"]  # one sandbox: stated once above the table
        assert m["why"] == ["unsafe path '../../evil.py'", "no submission"]  # why they have no points
        badges = m["badges"]
        assert len(set(badges.values())) == 3 and None not in badges.values(), badges
    # links go to the files write_all wrote
    for link in measured[("wide", 1400)]["links"]:
        assert (tmp_path / "out" / link).is_file()
    assert screenshot(paths["report.html"], tmp_path / "wide.png") == (1400, 900)


def _junit_files_checked(folder: Path, expected: int) -> None:
    """Every JUnit file of a class, read by junitparser: counts equal the cases, none empty."""
    from .test_reports import junit_file_checked

    files = sorted(folder.glob("*.xml"))
    assert len(files) == expected
    for path in files:
        junit_file_checked(path)
