"""Rosters with teams, the team view, leaderboards and their reports.

Records here are written by hand in the gradebook's shape (see ``Gradebook.latest``), so each
expected team score, rank and CSV row follows from the rule it tests; the last tests grade real
submissions of the metrics assignment (numpy only, fast) with a team roster through ``grade``.
"""

import json
import shutil
import sqlite3

import pytest

from cnnlab.bench.grading import Gradebook, grade, load_assignment
from cnnlab.bench.grading.leaderboard import Metric, Recorder, parse
from cnnlab.bench.grading.roster import read_roster
from cnnlab.bench.grading.teams import team_view
from cnnlab.reports import leaderboard as board
from cnnlab.reports import teams as team_report
from cnnlab.reports.grading import gradescope_json

from .conftest import EXAMPLES, FAST_LIMITS, METRICS


def _record(student, score, *, status="graded", board_values=None, max_score=100.0):
    entries = [{"name": n, "value": v, "order": o} for n, (v, o) in (board_values or {}).items()]
    return {"student": student, "status": status, "score": score, "max_score": max_score,
            "message": "", "tests": [], "leaderboard": entries}


@pytest.fixture
def roster_file(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("student_id,name,team\n"
                    "ada,Ada Lovelace,red\ngrace,Grace Hopper,red\n"
                    "alan,Alan Turing,blue\nkurt,Kurt Goedel,blue\n"
                    "emmy,Emmy Noether,green\n"
                    "solo,Solo Student,\n", encoding="utf-8")
    return path


def test_roster_reads_ids_names_and_teams(roster_file):
    roster = read_roster(roster_file)
    assert roster.names["ada"] == "Ada Lovelace" and roster.has_teams
    assert {t: [m.student for m in ms] for t, ms in roster.teams().items()} == {
        "red": ["ada", "grace"], "blue": ["alan", "kurt"], "green": ["emmy"]}
    assert roster.covered({"grace", "green"}) == {"ada", "grace", "emmy"}  # a member's or the team's id


def test_roster_errors_name_the_problem(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("name,team\nAda,red\n")
    with pytest.raises(ValueError, match="needs a 'student' \\(or 'id'\\) column; 'student_id' works too"):
        read_roster(bad)
    bad.write_text("student,name\nada,A\nada,B\n")
    with pytest.raises(ValueError, match="line 3: student 'ada' is listed twice"):
        read_roster(bad)
    with pytest.raises(ValueError, match="does not exist"):
        read_roster(tmp_path / "missing.csv")


def test_team_score_is_its_submission_with_members_listed(roster_file):
    records = [_record("grace", 70.0), _record("alan", 40.0), _record("kurt", 55.0),
               _record("solo", 90.0)]
    teams = {t["team"]: t for t in team_view(records, read_roster(roster_file))}
    red = teams["red"]
    assert (red["score"], red["submitted_by"], red["also"]) == (70.0, "grace", [])
    assert [m["name"] for m in red["members"]] == ["Ada Lovelace", "Grace Hopper"]
    blue = teams["blue"]  # both submitted: the better one counts and the other is named
    assert (blue["score"], blue["submitted_by"], blue["also"]) == (55.0, "kurt", ["alan"])
    green = teams["green"]
    assert (green["status"], green["score"], green["max_score"]) == ("missing", 0.0, 100.0)
    assert "solo" not in teams  # no team, no team row


def test_a_submission_filed_under_the_team_name_counts(roster_file):
    teams = {t["team"]: t for t in team_view([_record("green", 33.0)], read_roster(roster_file))}
    assert (teams["green"]["submitted_by"], teams["green"]["score"]) == ("green", 33.0)


def test_team_reports(roster_file, tmp_path):
    teams = team_view([_record("grace", 70.0), _record("alan", 40.0), _record("kurt", 55.0)],
                      read_roster(roster_file))
    text = team_report.team_table(teams)
    assert "Ada Lovelace, Grace Hopper" in text and "also submitted: alan" in text and "missing" in text
    paths = team_report.write_all(teams, tmp_path)
    rows = paths["teams.csv"].read_text().splitlines()
    assert rows[0] == "team,student,name,score,max_score,status,submitted_by"
    assert rows[1:3] == ["red,ada,Ada Lovelace,70,100,graded,grace", "red,grace,Grace Hopper,70,100,graded,grace"]
    assert "green,emmy,Emmy Noether,0,100,missing," in rows
    assert paths["teams.txt"].read_text().strip() == text.strip()


def test_leaderboard_ranks_by_declared_order_ties_share_a_rank():
    metrics = [("accuracy", "desc"), ("seconds", "asc")]
    records = [_record("a", 0, board_values={"accuracy": (0.9, "desc"), "seconds": (3.0, "asc")}),
               _record("b", 0, board_values={"accuracy": (0.95, "desc"), "seconds": (5.0, "asc")}),
               _record("c", 0, board_values={"accuracy": (0.9, "desc"), "seconds": (2.0, "asc")}),
               _record("d", 0, board_values={"accuracy": (0.9, "desc"), "seconds": (2.0, "asc")}),
               _record("e", 0)]
    rows = board.ranking(records, metrics=metrics)
    assert [(r["rank"], r["student"]) for r in rows] == [(1, "b"), (2, "c"), (2, "d"), (4, "a"), (None, "e")]
    assert board.metrics_of(records) == metrics
    with pytest.raises(ValueError, match="'student' or 'team'"):
        board.ranking(records, key="name")
    with pytest.raises(ValueError, match="'desc' or 'asc'"):
        board.ranking(records, metrics=[("accuracy", "up")])
    assert "-" in board.table(rows) and board.table([]) == "(no leaderboard entries)"


def test_leaderboard_declarations_and_values_are_validated():
    assert parse({"accuracy": "desc", "time": "asc"}, where="t") == (Metric("accuracy"), Metric("time", "asc"))
    with pytest.raises(ValueError, match="must be one of desc, asc"):
        parse({"accuracy": "higher"}, where="t")
    recorder = Recorder((Metric("accuracy"),))
    with pytest.raises(ValueError, match="not declared .* declared: accuracy"):
        recorder.record("speed", 1.0)
    with pytest.raises(ValueError, match="finite number"):
        recorder.record("accuracy", float("nan"))
    recorder.record("accuracy", 0.5)
    assert recorder.entries() == [{"name": "accuracy", "value": 0.5, "order": "desc"}]


def test_gradescope_results_carry_the_leaderboard():
    record = _record("ada", 80.0, board_values={"accuracy": (0.9, "desc")})
    assert gradescope_json(record)["leaderboard"] == [{"name": "accuracy", "value": 0.9, "order": "desc"}]
    assert "leaderboard" not in gradescope_json(_record("ada", 80.0))  # Gradescope: only when declared


def test_assignment_toml_declares_leaderboard_options_and_helpers(tmp_path):
    folder = tmp_path / "a"
    shutil.copytree(METRICS, folder)
    toml = folder / "assignment.toml"
    base = toml.read_text()
    toml.write_text(base + '\n[options]\nseed = 3\n\n[leaderboard]\n"f1" = "desc"\n')
    spec = load_assignment(folder)
    assert spec.leaderboard == (Metric("f1", "desc"),) and spec.options == {"seed": 3} and spec.helpers == ()
    toml.write_text(base.replace('imports = ["numpy"]', 'imports = ["numpy"]\nhelpers = ["nope"]'))
    with pytest.raises(ValueError, match="helpers must be among gan_harness, model_export, transfer_harness"):
        load_assignment(folder)
    toml.write_text(base + '\n[leaderboard]\n"f1" = "best"\n')
    with pytest.raises(ValueError, match="order of 'f1' must be one of desc, asc"):
        load_assignment(folder)


def test_an_old_gradebook_gains_the_leaderboard_column(tmp_path):
    path = tmp_path / "gradebook.db"
    db = sqlite3.connect(path)  # the submissions table as it was before leaderboards
    db.execute("CREATE TABLE submissions (run_id INTEGER NOT NULL, assignment TEXT NOT NULL, student TEXT "
               "NOT NULL, scope TEXT NOT NULL, source TEXT, digest TEXT, status TEXT NOT NULL, score REAL "
               "NOT NULL, max_score REAL NOT NULL, isolation TEXT, wall_s REAL, cpu_s REAL, student_s REAL, "
               "worker_start_s REAL, message TEXT, graded_at TEXT NOT NULL, PRIMARY KEY (run_id, student))")
    db.commit()
    db.close()
    with Gradebook(path) as book:
        run = book.start_run("metrics", isolation="rlimits", options={})
        book.record(run, "metrics", {"student": "ada", "status": "graded", "score": 1, "max_score": 2,
                                     "leaderboard": [{"name": "f1", "value": 0.5, "order": "desc"}]}, [])
        assert book.latest("metrics")[0]["leaderboard"] == [{"name": "f1", "value": 0.5, "order": "desc"}]


def test_grade_with_a_team_roster(tmp_path):
    """Real grading (metrics assignment): a member without a submission of their own is not
    missing when a teammate handed in, a team with no submission is; teams.csv is written."""
    subs = tmp_path / "subs"
    shutil.copytree(EXAMPLES / "correct", subs / "ada")
    shutil.copytree(EXAMPLES / "partial_macro", subs / "alan")
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id,name,team\nada,Ada,red\ngrace,Grace,red\nalan,Alan,blue\n"
                      "emmy,Emmy,green\n")
    summary = grade("metrics", subs, tmp_path / "out", roster=roster, jobs=2, limits=FAST_LIMITS)
    assert summary.missing == ["emmy"]  # grace's team handed in
    teams = {t["team"]: t for t in summary.teams}
    assert (teams["red"]["score"], teams["red"]["submitted_by"]) == (100.0, "ada")
    assert teams["green"]["status"] == "missing"
    text = summary.team_table()
    assert "Ada, Grace" in text
    rows = (tmp_path / "out" / "teams.csv").read_text().splitlines()
    assert "red,grace,Grace,100,100,graded,ada" in rows
    assert not (tmp_path / "out" / "leaderboard.csv").exists()  # metrics declares no leaderboard
    results = json.loads((tmp_path / "out" / "gradescope" / "ada" / "results.json").read_text())
    assert results["score"] == 100 and "leaderboard" not in results
