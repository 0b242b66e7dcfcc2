"""cnnlab as an installed package: one import root, assignments as package data, and a user's
own ``bench.py``, ``reports/`` and ``reference.py`` left alone.

The wheel is built here from the checkout (setuptools, no build isolation: nothing downloads) and
read as pip would install it; the other tests run against the cnnlab installed in this Python.
"""

import importlib.metadata
import json
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

import cnnlab
from cnnlab import paths

ROOT = Path(__file__).resolve().parents[1]
ROOMS = {"cnnlab.reference": "reference", "cnnlab.bench": "bench", "cnnlab.reports": "reports"}


def _python(code: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def test_every_package_of_the_rooms_is_listed_in_pyproject():
    """The explicit package list (pyproject.toml) against the folders that hold an __init__.py:
    a new subpackage left out of the list would be missing from the wheel."""
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {"cnnlab", "cnnlab.assignments"}
    for package, folder in ROOMS.items():
        found |= {".".join([package, *init.parent.relative_to(ROOT / folder).parts])
                  for init in (ROOT / folder).rglob("__init__.py") if "__pycache__" not in init.parts}
    assert listed == found


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    pytest.importorskip("setuptools", reason="building the wheel needs setuptools (the test extra)")
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                           "-w", str(out), str(ROOT)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    (path,) = out.glob("cnnlab-*.whl")
    return path


def test_the_wheel_installs_one_import_root(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        info = next(n for n in names if n.endswith(".dist-info/RECORD")).rsplit("/", 1)[0]
        top_level = archive.read(f"{info}/top_level.txt").decode().split()
        record = archive.read(f"{info}/RECORD").decode()
        entry_points = archive.read(f"{info}/entry_points.txt").decode()
    assert top_level == ["cnnlab"]
    assert {n.split("/")[0] for n in names} == {"cnnlab", info}
    assert {line.split(",")[0].split("/")[0] for line in record.splitlines() if line} == {"cnnlab", info}
    assert "cnnlab = cnnlab.bench.cli:main" in entry_points and "cnnlab = cnnlab.bench.plugin" in entry_points
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
    # the assignments, their tests, fixtures and examples ship as package data
    for name in ("cnnlab/assignments/metrics/assignment.toml", "cnnlab/assignments/metrics/tests/hidden/test_hidden.py",
                 "cnnlab/assignments/examples/metrics/correct/metrics.py",
                 "cnnlab/assignments/architectures/fixtures/public/digits.npz",
                 "cnnlab/reference/fixtures/metrics/MANIFEST.json", "cnnlab/bench/judges/helpers/model_export.py"):
        assert name in names, name


def test_nothing_but_cnnlab_is_importable_from_the_install(tmp_path):
    """From an empty folder: cnnlab is there, the rooms' old top-level names are not."""
    done = _python("import importlib.metadata, importlib.util, json, sysconfig, cnnlab\n"
                   "url = importlib.metadata.distribution('cnnlab').read_text('direct_url.json') or '{}'\n"
                   "print(json.dumps([[n for n in ('bench', 'reference', 'reports', 'benchmarks', 'assignments')"
                   " if importlib.util.find_spec(n)], cnnlab.__file__, sysconfig.get_paths()['purelib'],"
                   " json.loads(url).get('dir_info', {}).get('editable', False)]))", tmp_path)
    assert done.returncode == 0, done.stderr
    leaked, where, site_packages, editable = json.loads(done.stdout)
    assert leaked == []
    # a wheel install is read from site-packages (wherever the environment is), not the checkout
    assert editable or Path(where).resolve().parent == Path(site_packages).resolve() / "cnnlab"


def test_bundled_assignments_are_found_through_the_package():
    folder = paths.bundled_assignments()
    assert (folder / "metrics" / "assignment.toml").is_file()
    assert Path(cnnlab.__file__).resolve().parent == folder.parent.resolve() or \
        folder.resolve() == (ROOT / "assignments").resolve()  # wheel: inside cnnlab/; editable: the room


def test_an_instructors_own_assignment_folder_is_found_by_name(tmp_path, monkeypatch):
    from cnnlab.bench.grading import assignment

    own = tmp_path / "course" / "week3"
    own.mkdir(parents=True)
    (own / "assignment.toml").write_text('[assignment]\ntitle = "Week 3"\npoints = 10\nfiles = ["w3.py"]\n')
    monkeypatch.setenv(paths.ASSIGNMENTS_ENV, str(tmp_path / "course"))
    assert "week3" in assignment.available() and "metrics" in assignment.available()
    assert assignment.load("week3").root == own


def test_a_users_own_bench_reports_and_reference_modules_are_theirs(tmp_path):
    """A user's project whose modules share the rooms' names runs its pytest suite unchanged with
    cnnlab (and its auto-loaded pytest plugin) installed."""
    (tmp_path / "bench.py").write_text("def speed():\n    return 'mine'\n")
    (tmp_path / "reference.py").write_text("ANSWER = 42\n")
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "__init__.py").write_text("KIND = 'my reports'\n")
    (tmp_path / "test_mine.py").write_text(
        "import bench, reference, reports\n\n"
        "def test_my_modules():\n"
        "    assert bench.speed() == 'mine' and reference.ANSWER == 42 and reports.KIND == 'my reports'\n\n"
        "def test_cnnlab_plugin_is_loaded(pytestconfig):\n"
        "    assert pytestconfig.pluginmanager.has_plugin('cnnlab')\n")
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "2 passed" in done.stdout


def test_version(tmp_path):
    done = subprocess.run([sys.executable, "-m", "cnnlab", "--version"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0
    assert done.stdout.startswith(f"cnnlab {importlib.metadata.version('cnnlab')} from ")
