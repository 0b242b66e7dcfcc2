"""``cnnlab export-grades``: a real SQLite gradebook and roster in, the column layouts Canvas and
Moodle document for grade import out.

Canvas (Gradebook > Import, the layout of its own export): Student, ID, SIS User ID, SIS Login ID,
Section, one column per assignment, and a second row "Points Possible". Moodle (Grades > Import >
CSV file): one identifier column (ID number, email address or username) and one column per grade
item, mapped in the import form.
"""

import csv
import io

import pytest

from cnnlab.bench.cli import main
from cnnlab.bench.grading.gradebook import Gradebook
from cnnlab.reports import lms

ROSTER = """student_id,name,team,canvas_id,sis_user_id,sis_login_id,section,email,idnumber
ada,"Lovelace, Ada",engines,101,S-1,ada@uni.edu,CNN-A,ada@uni.edu,1001
grace,Grace Hopper,engines,102,S-2,grace@uni.edu,CNN-A,grace@uni.edu,1002
alan,Alan Turing,,103,S-3,alan@uni.edu,CNN-B,alan@uni.edu,1003
linus,Linus Pauling,,104,S-4,linus@uni.edu,CNN-B,linus@uni.edu,1004
eve,Eve,,105,S-5,eve@uni.edu,CNN-B,eve@uni.edu,1005
"""


def _test(points, max_points=10.0):
    return {"test": "test_a", "number": "1", "file": "t.py", "description": "", "points": points,
            "max_points": max_points, "status": "passed" if points == max_points else "partial",
            "message": "", "output": "", "visibility": "visible", "duration_s": 0.1, "student_s": 0.0}


@pytest.fixture
def run_dir(tmp_path):
    out = tmp_path / "grades"
    out.mkdir()
    with Gradebook(out / "gradebook.db") as book:
        run = book.start_run("metrics", isolation="rlimits", options={})
        book.record(run, "metrics", {"student": "ada", "status": "graded", "score": 87.5, "max_score": 100.0},
                    [_test(87.5, 100.0)])
        book.record(run, "metrics", {"student": "alan", "status": "graded", "score": 62.25, "max_score": 100.0},
                    [_test(62.25, 100.0)])
        book.record(run, "metrics", {"student": "eve", "status": "error", "score": 0.0, "max_score": 100.0,
                                     "message": "unsafe path"}, [])
        book.record(run, "metrics", {"student": "linus", "status": "missing", "score": 0.0, "max_score": 100.0}, [])
        book.record(run, "metrics", {"student": "zed", "status": "graded", "score": 100.0, "max_score": 100.0},
                    [_test(100.0, 100.0)])
        book.finish_run(run)
    (tmp_path / "roster.csv").write_text(ROSTER)
    return out


def _read(path):
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_canvas_gradebook_layout(run_dir, capsys):
    roster = run_dir.parent / "roster.csv"
    assert main(["export-grades", str(run_dir), "--format", "canvas", "--roster", str(roster),
                 "--column", "Metrics (cnnlab)"]) == 0
    rows = _read(run_dir / "grades-canvas.csv")
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Metrics (cnnlab)"]
    assert rows[1] == ["Points Possible", "", "", "", "", "100"]
    assert rows[2:] == [
        ["Lovelace, Ada", "101", "S-1", "ada@uni.edu", "CNN-A", "87.5"],
        ["Grace Hopper", "102", "S-2", "grace@uni.edu", "CNN-A", "87.5"],  # her team's submission
        ["Alan Turing", "103", "S-3", "alan@uni.edu", "CNN-B", "62.25"],
        ["Linus Pauling", "104", "S-4", "linus@uni.edu", "CNN-B", "0"],
        ["Eve", "105", "S-5", "eve@uni.edu", "CNN-B", "0"],
        ["zed", "", "zed", "", "", "100"],  # not on the roster: kept (its id as SIS id), and warned about
    ]
    captured = capsys.readouterr()
    assert "wrote" in captured.out and "6 students, canvas, metrics out of 100" in captured.out
    assert "not on the roster (no LMS id): zed" in captured.err


def test_canvas_without_lms_ids_uses_the_roster_ids(run_dir):
    (run_dir.parent / "plain.csv").write_text("student_id,name\nada,Ada\nalan,Alan\n")
    assert main(["export-grades", str(run_dir), "--format", "canvas", "--roster",
                 str(run_dir.parent / "plain.csv")]) == 0
    assert _read(run_dir / "grades-canvas.csv")[2:4] == [["Ada", "", "ada", "", "", "87.5"],
                                                         ["Alan", "", "alan", "", "", "62.25"]]


def test_moodle_grade_import_layout(run_dir):
    roster = run_dir.parent / "roster.csv"
    out = run_dir / "moodle.csv"
    assert main(["export-grades", str(run_dir), "--format", "moodle", "--roster", str(roster),
                 "--output", str(out)]) == 0
    rows = _read(out)
    assert rows[0] == ["ID number", "Email address", "metrics"]
    assert rows[1:4] == [["1001", "ada@uni.edu", "87.5"], ["1002", "grace@uni.edu", "87.5"],
                         ["1003", "alan@uni.edu", "62.25"]]
    # without LMS ids in the roster, cnnlab's student id is the ID number
    assert main(["export-grades", str(run_dir), "--format", "moodle", "--output", str(out)]) == 0
    assert _read(out) == [["ID number", "metrics"], ["ada", "87.5"], ["alan", "62.25"], ["eve", "0"],
                          ["linus", "0"], ["zed", "100"]]


def test_plain_csv_keeps_status_and_ids(run_dir):
    assert main(["export-grades", str(run_dir), "--format", "csv", "--roster", str(run_dir.parent / "roster.csv")]) == 0
    rows = _read(run_dir / "grades-csv.csv")
    assert rows[0] == ["student", "name", "canvas_id", "sis_user_id", "sis_login_id", "section", "email",
                       "idnumber", "score", "max_score", "status"]
    assert [r[0] for r in rows[1:]] == ["ada", "grace", "alan", "linus", "eve", "zed"]
    assert [r[-1] for r in rows[1:]] == ["graded", "graded", "graded", "missing", "error", "graded"]


@pytest.mark.parametrize("argv, message", [
    (["{tmp}/nowhere", "--format", "canvas"], "no gradebook.db in"),
    (["{run}", "--format", "canvas", "--assignment", "ops"], "no grades for 'ops'"),
    (["{run}", "--format", "canvas", "--roster", "{tmp}/absent.csv"], "does not exist"),
])
def test_bad_input_is_one_line_and_exit_2(run_dir, argv, message, capsys):
    argv = [a.format(tmp=run_dir.parent, run=run_dir) for a in argv]
    assert main(["export-grades", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_unknown_format_is_refused():
    with pytest.raises(ValueError, match="formats: canvas, moodle, csv"):
        lms.rows([], "blackboard", column="x", points_possible=1)
    with pytest.raises(SystemExit) as exit_:
        main(["export-grades", "somewhere", "--format", "blackboard"])
    assert exit_.value.code == 2
