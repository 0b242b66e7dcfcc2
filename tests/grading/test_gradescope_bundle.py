"""``cnnlab export-gradescope``: the bundle's contents, its setup.sh, and its run_autograder run
against a fake ``/autograder`` tree in a temporary folder (Gradescope's layout: ``source/`` from
the zip, ``submission/`` with the student's files, ``results/results.json`` written)."""

import json
import os
import stat
import subprocess
import sys
import zipfile

import pytest

import cnnlab
from cnnlab.bench.cli import main
from cnnlab.bench.grading.gradescope import export


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    path = tmp_path_factory.mktemp("bundle") / "autograder.zip"
    export("architectures", path)
    return path


def _wheel(bundle, folder):
    """The cnnlab wheel inside the bundle, extracted into ``folder``."""
    with zipfile.ZipFile(bundle) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".whl")]
        archive.extract(name, folder)
    return folder / name


def test_bundle_holds_a_cnnlab_wheel_and_the_assignment_without_its_solution(bundle, tmp_path):
    with zipfile.ZipFile(bundle) as archive:
        names = set(archive.namelist())
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
    assert {"setup.sh", "run_autograder", f"cnnlab-{cnnlab.__version__}-py3-none-any.whl",
            "assignment/assignment.toml", "assignment/tests/hidden/test_hidden.py",
            "assignment/fixtures/public/digits.npz"} <= names
    assert not any("/solution/" in n or "/starter/" in n or "__pycache__" in n for n in names)
    assert all(modes[n] & stat.S_IXUSR for n in ("setup.sh", "run_autograder"))
    with zipfile.ZipFile(_wheel(bundle, tmp_path)) as wheel:
        inside = set(wheel.namelist())
        record = wheel.read(f"cnnlab-{cnnlab.__version__}.dist-info/RECORD").decode()
    assert {"cnnlab/__init__.py", "cnnlab/bench/grading/engine.py", "cnnlab/bench/judges/helpers/model_export.py",
            "cnnlab/reference/torch_models/resnet.py", "cnnlab/reference/fixtures/metrics/MANIFEST.json"} <= inside
    # no assignment (their solutions stay home), nothing beside cnnlab at the top level
    assert not any(n.startswith("cnnlab/assignments") or "__pycache__" in n for n in inside)
    assert {n.split("/")[0] for n in inside} == {"cnnlab", f"cnnlab-{cnnlab.__version__}.dist-info"}
    assert len(record.strip().splitlines()) == len(inside)


def test_bundled_wheel_installs_and_declares_the_command(bundle, tmp_path):
    """pip accepts the wheel (its RECORD hashes, metadata and entry points)."""
    target = tmp_path / "site"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index",
                           "--target", str(target), str(_wheel(bundle, tmp_path))], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (target / "cnnlab" / "bench" / "cli.py").is_file() and (target / "bin" / "cnnlab").is_file()
    assert "cnnlab.bench.plugin" in next(target.glob("cnnlab-*.dist-info")).joinpath("entry_points.txt").read_text()


def test_setup_installs_the_frameworks_the_assignment_needs(bundle, tmp_path):
    export("metrics", tmp_path / "metrics.zip")
    scripts = {}
    for name, path in (("architectures", bundle), ("metrics", tmp_path / "metrics.zip")):
        with zipfile.ZipFile(path) as archive:
            scripts[name] = archive.read("setup.sh").decode()
        (tmp_path / f"{name}.sh").write_text(scripts[name])
        assert subprocess.run(["bash", "-n", str(tmp_path / f"{name}.sh")]).returncode == 0
    assert "download.pytorch.org/whl/cpu" in scripts["architectures"]  # the solution uses torch
    assert '.whl)[keras]"' in scripts["architectures"]  # ... and keras, from the bundled wheel
    assert "torch" not in scripts["metrics"] and ".whl)[" not in scripts["metrics"]  # numpy only
    assert "bubblewrap" in scripts["metrics"]


def _tree(tmp_path, bundle):
    root = tmp_path / "autograder"
    (root / "source").mkdir(parents=True)
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(root / "source")
    for name in ("setup.sh", "run_autograder"):
        (root / "source" / name).chmod(0o755)
    return root


def _run(root, **env):
    """run_autograder with this Python, the bundle's wheel installed ahead of the cnnlab here (what
    setup.sh does in a fresh virtual environment)."""
    site = root / "site"
    wheel = next((root / "source").glob("cnnlab-*.whl"))
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--target",
                    str(site), str(wheel)], check=True, capture_output=True)
    variables = dict(os.environ, AUTOGRADER_ROOT=str(root), CNNLAB_PYTHON=sys.executable,
                     PYTHONPATH=str(site), **env)
    done = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=variables,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads((root / "results" / "results.json").read_text())


# The solution's torch LeNet-5, alone (a Keras-free submission keeps the run short).
LENET = '''from torch import nn


def build(arch, framework, num_classes=1000):
    if (arch, framework) != ("lenet5", "torch"):
        raise NotImplementedError(f"{arch} in {framework}")
    return nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2), nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2),
        nn.Flatten(), nn.Linear(400, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, num_classes))
'''


def test_run_autograder_grades_a_submission_and_fills_the_leaderboard(bundle, tmp_path):
    pytest.importorskip("torch")  # the submission is a torch LeNet-5
    root = _tree(tmp_path, bundle)
    folder = root / "submission" / "homework"  # Gradescope keeps an uploaded archive's folders
    folder.mkdir(parents=True)
    (folder / "architectures.py").write_text(LENET)
    results = _run(root, CNNLAB_ARCHITECTURES="lenet5", CNNLAB_NUM_CLASSES="10")
    assert results["score"] == 10  # LeNet-5 in torch: 10 points; in Keras: not implemented
    tests = {t["name"]: t for t in results["tests"]}
    assert set(tests) == {"test_architecture[lenet5-torch]", "test_architecture[lenet5-keras]",
                          "test_model_zoo", "test_leaderboard[lenet5]"}
    assert all(t["visibility"] == "visible" for t in tests.values())
    assert tests["test_architecture[lenet5-torch]"]["status"] == "passed"
    assert "raised NotImplementedError" in tests["test_architecture[lenet5-keras]"]["output"]
    board = {e["name"]: e for e in results["leaderboard"]}
    assert set(board) == {"digits accuracy", "images/s"} and board["digits accuracy"]["order"] == "desc"
    assert 0.9 < board["digits accuracy"]["value"] <= 1.0  # LeNet-5 on digits: above 90 % in the literature
    assert f"Graded by cnnlab from {root / 'site' / 'cnnlab'}" in results["output"]  # the bundle's own
    assert "Sandbox:" in results["output"]


def test_run_autograder_without_the_file_still_writes_results(bundle, tmp_path):
    root = _tree(tmp_path, bundle)
    (root / "submission").mkdir()
    (root / "submission" / "notes.txt").write_text("forgot the code")
    results = _run(root)
    assert results["score"] == 0 and results["tests"] == []
    assert "No architectures.py (or notebook) in the submission" in results["output"]


def test_export_errors_are_clean(tmp_path, capsys):
    assert main(["export-gradescope", "metrics", "--out", str(tmp_path / "bundle.tar")]) == 2
    assert "must name a .zip file" in capsys.readouterr().err
    assert main(["export-gradescope", "metrics", "--out", str(tmp_path / "a.zip")]) == 0
    assert main(["export-gradescope", "metrics", "--out", str(tmp_path / "a.zip")]) == 2
    assert "exists; use --force" in capsys.readouterr().err
    assert main(["export-gradescope", "nope", "--out", str(tmp_path / "b.zip")]) == 2
    assert "bundled assignments: architectures, gan, metrics" in capsys.readouterr().err
