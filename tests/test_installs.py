"""What a torch-only or Keras-only install sees: every command that needs a missing framework
says so in one line with the same install hint, exit 2; ``--arch all`` works where a list of
architectures is taken; conflicting flags are refused.

The missing framework is simulated by the lookup every command asks
(``cnnlab.reference.frameworks.is_installed``); the tox torch and keras environments run the suite
on real single-framework installs.
"""

import pytest

from cnnlab.bench.cli import main
from cnnlab.reference import frameworks


@pytest.fixture
def without(monkeypatch):
    def hide(*packages):
        real = frameworks.is_installed
        monkeypatch.setattr(frameworks, "is_installed", lambda p: p not in packages and real(p))
    return hide


def _error(capsys):
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    return err


@pytest.mark.parametrize("argv", [
    ["compare", "--arch", "lenet5"],
    ["port", "lenet5", "{weights}", "b.weights.h5"],
    ["transfer-demo", "--framework", "keras"],
    ["models", "--arch", "lenet5", "--framework", "keras"],
    ["summary", "lenet5", "--framework", "keras"],
])
def test_a_command_needing_keras_on_a_torch_only_install_says_how_to_install_it(argv, without, capsys,
                                                                             tmp_path):
    pytest.importorskip("torch")  # a torch-only install: torch there, keras hidden
    without("keras")
    weights = tmp_path / "a.pt"
    weights.write_bytes(b"weights")  # there: the missing framework is what is left to say
    assert main([a.replace("{weights}", str(weights)) for a in argv]) == 2
    assert _error(capsys).endswith("keras is not installed; pip install 'cnnlab[keras]'")


@pytest.mark.parametrize("argv", [
    ["compare", "--arch", "lenet5"],
    ["models", "--arch", "lenet5", "--framework", "torch"],
    ["summary", "lenet5", "--framework", "torch"],
])
def test_a_command_needing_torch_on_a_keras_only_install_says_how_to_install_it(argv, without, capsys):
    pytest.importorskip("keras")  # a Keras-only install: keras there, torch hidden
    without("torch")
    assert main(argv) == 2
    assert _error(capsys).endswith("torch is not installed; pip install 'cnnlab[torch]'")


def test_the_default_frameworks_are_the_installed_ones(without, capsys):
    pytest.importorskip("torch")  # a torch-only install, then none
    without("keras")
    assert main(["models", "--arch", "lenet5", "--json"]) == 0
    assert '"framework": "keras"' not in capsys.readouterr().out
    without("torch")
    assert main(["models", "--arch", "lenet5"]) == 2
    assert _error(capsys).endswith("torch and keras are not installed; pip install 'cnnlab[torch,keras]'")


def test_arch_all_and_framework_all_are_accepted(capsys):
    pytest.importorskip("torch")
    pytest.importorskip("keras")
    from cnnlab.bench.cli import make_parser
    from cnnlab.bench.commands import _common
    from cnnlab.reference.catalog import names

    args = make_parser().parse_args(["models", "--arch", "all", "--framework", "all"])
    assert _common.selected_archs(args) == names()
    assert _common.selected_frameworks(args) == ["torch", "keras"]


def test_conflicting_flags_are_an_error_not_silently_dropped(capsys):
    assert main(["models", "--arch", "lenet5", "--side-by-side", "--json"]) == 2
    assert "--side-by-side and --json cannot be combined" in _error(capsys)
