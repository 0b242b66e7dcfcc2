"""``cnnlab grade`` and ``cnnlab release`` through the command line's entry point."""

import json
import shutil
import zipfile

import pytest

from cnnlab.bench.cli import main

from .conftest import EXAMPLES, METRICS


def test_release_bundle_has_no_solution_and_no_hidden_tests(tmp_path, capsys):
    bundle = tmp_path / "bundle"
    assert main(["release", "metrics", "--out", str(bundle)]) == 0
    files = sorted(str(p.relative_to(bundle)) for p in bundle.rglob("*") if p.is_file())
    assert files == ["README.md", "assignment.toml", "fixtures/public/cases.npz", "starter/metrics.py",
                     "tests/conftest.py", "tests/public/test_public.py"]
    for path in bundle.rglob("*"):
        assert "solution" not in path.parts and "hidden" not in path.parts
    assert "wrote 6 files" in capsys.readouterr().out
    # the student's workflow: the public tests on their own work, with the bundle alone
    assert main(["grade", str(bundle), str(bundle / "starter"), "--public-only", "--quiet",
                 "--out", str(tmp_path / "mine")]) == 0
    feedback = (tmp_path / "mine" / "feedback" / "starter.md").read_text()
    assert "**Score: 0 / 40**" in feedback and "raised NotImplementedError" in feedback
    # an existing bundle is not overwritten by accident
    assert main(["release", "metrics", "--out", str(bundle)]) == 2
    assert "exists and is not empty; use --force" in capsys.readouterr().err


def test_release_refuses_a_hidden_test_among_the_public_ones(tmp_path, capsys):
    copy = tmp_path / "metrics"
    shutil.copytree(METRICS, copy)
    public = copy / "tests" / "public" / "test_public.py"
    public.write_text(public.read_text() + '\n\n@pytest.mark.visibility("hidden")\ndef test_oops():\n    pass\n')
    assert main(["release", str(copy), "--out", str(tmp_path / "b")]) == 2
    assert "marked with a visibility other than 'visible' (test_public.py:" in capsys.readouterr().err
    assert not (tmp_path / "b").exists()


def test_grade_prints_the_table_and_json(tmp_path, capsys):
    subs = tmp_path / "subs"
    for name in ("correct", "broken_syntax"):
        shutil.copytree(EXAMPLES / name, subs / name)
    with zipfile.ZipFile(subs / "zipped.zip", "w") as zf:  # a zip with the usual extra folder
        zf.write(EXAMPLES / "correct" / "metrics.py", "my-work/metrics.py")
    assert main(["grade", "metrics", str(subs), "--out", str(tmp_path / "out"), "--jobs", "2"]) == 0
    out = capsys.readouterr().out
    assert "correct" in out and "100/100" in out and "0/100" in out
    assert "graded 3, already graded 0, errors 0, missing 0" in out
    assert main(["grade", "metrics", str(subs), "--out", str(tmp_path / "out"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [(r["student"], r["score"]) for r in data["records"]] == [
        ("broken_syntax", 0), ("correct", 100), ("zipped", 100)]
    assert len(data["records"][1]["tests"]) == 9


@pytest.mark.parametrize("argv, message", [
    (["grade", "nope", "."], "assignment 'nope' not found: give a folder with an assignment.toml or one "
                             "of the bundled assignments: architectures, gan, metrics, ops, transfer"),
    (["grade", "metrics", "/no/such/folder"], "submissions must be a folder"),
    (["grade", "metrics", str(EXAMPLES), "--jobs", "0"], "jobs must be a positive int"),
    (["grade", "metrics", str(EXAMPLES), "--regrade", "nobody"], "--regrade: no submission for nobody"),
    (["release", "nope", "--out", "x"], "assignment 'nope' not found"),
])
def test_user_errors_exit_2_with_one_line(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
