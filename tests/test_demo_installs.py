"""``cnnlab demo`` on a torch-only or Keras-only install: it runs what the installed frameworks
allow and ends with one line per skipped part, naming the install command; exit 0.

The sections themselves are replaced by recorders here (each is tested on its own: the grading of
the examples in tests/grading, the architecture table in tests/test_cli.py); what is tested is
which sections run with which frameworks, and what the user is told. The missing framework is
simulated through ``cnnlab.reference.frameworks.is_installed``, the lookup every command asks; the
real wheel installs of each kind were run by hand (figures in the README's Installs section), and
tox's torch and keras environments run this suite on them.
"""

from types import SimpleNamespace

import pytest

from cnnlab.bench.cli import main
from cnnlab.bench.commands import demo
from cnnlab.reference import frameworks


@pytest.fixture
def sections(monkeypatch, tmp_path):
    ran = []
    monkeypatch.setattr(demo, "architecture_table", lambda fws: ran.append(("table", tuple(fws))))
    for name in ("grading_metrics", "grading_gan"):
        monkeypatch.setattr(demo, name, lambda out, _n=name: ran.append((_n,)) or SimpleNamespace(out=out / _n))
    monkeypatch.setattr(demo, "grading_architectures",
                        lambda out, fws: ran.append(("grading_architectures", tuple(fws))) or SimpleNamespace(out=out))
    monkeypatch.chdir(tmp_path)
    return ran


def _install(monkeypatch, *present):
    monkeypatch.setattr(frameworks, "is_installed",
                        lambda p: p in present or p not in ("torch", "keras", "tensorflow"))


def test_a_torch_only_install_runs_the_torch_half_and_says_what_it_skipped(sections, monkeypatch, capsys):
    _install(monkeypatch, "torch")
    assert main(["demo"]) == 0
    assert sections == [("table", ("torch",)), ("grading_metrics",),
                        ("grading_architectures", ("torch",)), ("grading_gan",)]
    skipped = [line for line in capsys.readouterr().out.splitlines() if line.startswith("skipped:")]
    assert skipped == ["skipped: the keras half of every section "
                       "(keras is not installed; pip install 'cnnlab[keras]')"]


def test_a_keras_only_install_skips_what_needs_torch_and_says_so(sections, monkeypatch, capsys):
    _install(monkeypatch, "keras", "tensorflow")
    assert main(["demo"]) == 0
    assert sections == [("table", ("keras",)), ("grading_metrics",)]
    skipped = [line for line in capsys.readouterr().out.splitlines() if line.startswith("skipped:")]
    assert skipped == [
        "skipped: the torch half of every section (torch is not installed; pip install 'cnnlab[torch]')",
        "skipped: grading the architectures and gan examples "
        "(torch is not installed; pip install 'cnnlab[torch]')"]


def test_a_full_install_skips_nothing(sections, monkeypatch, capsys):
    _install(monkeypatch, "torch", "keras", "tensorflow")
    assert main(["demo"]) == 0
    assert ("grading_architectures", ("torch", "keras")) in sections
    assert "skipped:" not in capsys.readouterr().out
