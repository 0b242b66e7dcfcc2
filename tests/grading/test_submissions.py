"""Finding and unpacking submissions: folders, zips, notebooks; hostile archives refused."""

import os
import stat
import zipfile

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from cnnlab.bench.grading.submissions import digest, discover, notebook_source, prepare, student_id

FILES = ("metrics.py",)


def test_class_folder_with_folders_zips_and_notebooks(tmp_path):
    (tmp_path / "alice").mkdir()
    (tmp_path / "alice" / "metrics.py").write_text("x = 1\n")
    with zipfile.ZipFile(tmp_path / "bob.zip", "w") as zf:
        zf.writestr("bob/metrics.py", "x = 2\n")
    nbformat.write(new_notebook(cells=[new_code_cell("x = 3")]), tmp_path / "carol smith.ipynb")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / "notes.txt").write_text("ignored")
    found = discover(tmp_path, FILES)
    assert [(s.student, s.kind) for s in found] == [("alice", "folder"), ("bob", "zip"),
                                                    ("carol_smith", "notebook")]
    sources = {s.student: prepare(s, tmp_path / "prep" / s.student, FILES) for s in found}
    assert (sources["bob"] / "metrics.py").read_text() == "x = 2\n"  # the zip's single folder
    assert (sources["carol_smith"] / "metrics.py").read_text().strip() == "x = 3"


def test_a_single_submission_folder(tmp_path):
    (tmp_path / "metrics.py").write_text("x = 1\n")
    (tmp_path / "sub").mkdir()
    assert [(s.student, s.kind) for s in discover(tmp_path, FILES)] == [(student_id(tmp_path.name), "folder")]


def test_errors_name_the_problem(tmp_path):
    with pytest.raises(ValueError, match="must be a folder"):
        discover(tmp_path / "missing", FILES)
    with pytest.raises(ValueError, match="no submissions"):
        discover(tmp_path, FILES)
    (tmp_path / "a b").mkdir()
    (tmp_path / "a_b").mkdir()
    found = discover(tmp_path, FILES)  # both kept, each an error of its own (issue 19)
    assert [s.student for s in found] == ["a_b", "a_b-2"]
    assert all("are all student 'a_b'" in s.problem for s in found)


def test_student_ids_are_safe_file_names():
    assert student_id("../../etc/passwd") == "etc_passwd"
    assert student_id("Zoë O'Brien") == "Zo_O_Brien"
    assert student_id("...") == "submission"


def test_zip_slip_and_links_are_refused(tmp_path):
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("../../escaped.py", "x = 1\n")
    with pytest.raises(ValueError, match="unsafe path"):
        prepare(discover(tmp_path, FILES)[0], tmp_path / "out", FILES)
    assert not (tmp_path / "escaped.py").exists()
    evil.unlink()
    with zipfile.ZipFile(tmp_path / "linky.zip", "w") as zf:
        info = zipfile.ZipInfo("metrics.py")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
        zf.writestr("other.py", "y = 1\n")
    folder = prepare(discover(tmp_path, FILES)[0], tmp_path / "out2", FILES)
    assert not (folder / "metrics.py").exists() and (folder / "other.py").exists()


def test_zip_bomb_is_refused(tmp_path):
    with zipfile.ZipFile(tmp_path / "bomb.zip", "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("metrics.py", b"0" * (60 * 2**20))  # 60 MiB of zeros: about 60 KiB zipped
    assert (tmp_path / "bomb.zip").stat().st_size < 2**20
    with pytest.raises(ValueError, match="more than"):
        prepare(discover(tmp_path, FILES)[0], tmp_path / "out", FILES)


def test_symlinks_in_folders_are_not_copied(tmp_path):
    student = tmp_path / "subs" / "eve"
    student.mkdir(parents=True)
    (student / "metrics.py").write_text("x = 1\n")
    secret = tmp_path / "secret.txt"
    secret.write_text("s")
    os.symlink(secret, student / "secret.txt")
    folder = prepare(discover(tmp_path / "subs", FILES)[0], tmp_path / "out", FILES)
    assert sorted(p.name for p in folder.iterdir()) == ["metrics.py"]


def test_notebook_magics_are_removed_and_the_rest_compiles(tmp_path):
    nb = new_notebook(cells=[
        new_markdown_cell("# text"),
        new_code_cell("%matplotlib inline\n!pip install numpy\nimport math"),
        new_code_cell("%%time\nthis is not python"),
        new_code_cell("def f(x):\n    %time y = 1\n    return math.sqrt(x)\nfiles = !ls"),
    ])
    path = tmp_path / "hw.ipynb"
    nbformat.write(nb, path)
    source = notebook_source(path)
    assert not any(line.lstrip().startswith(("%", "!")) for line in source.splitlines())
    namespace = {}
    exec(compile(source, "hw.py", "exec"), namespace)
    assert namespace["f"](9) == 3.0
    assert "this is not python" not in source
    (tmp_path / "broken.ipynb").write_text("{not json")
    with pytest.raises(ValueError, match="not a readable notebook"):
        notebook_source(tmp_path / "broken.ipynb")


def test_digest_changes_with_content(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "metrics.py").write_text("x = 1\n")
    first = digest(tmp_path / "a")
    assert digest(tmp_path / "a") == first
    (tmp_path / "a" / "metrics.py").write_text("x = 2\n")
    assert digest(tmp_path / "a") != first
