"""The ``cnnlab`` command: models, summary, compare, port, and its error lines."""

import importlib.util
import json
import subprocess
import sys

import pytest

from cnnlab.bench.cli import main

from .conftest import run_cli as run


def test_help_lists_the_subcommands():
    out = subprocess.run([sys.executable, "-m", "cnnlab", "--help"], capture_output=True, text=True)
    assert out.returncode == 0
    for command in ("models", "summary", "compare", "port", "demo"):
        assert command in out.stdout


@pytest.mark.parametrize(
    "argv,needle",
    [
        (("models", "--arch", "resnet19"), "valid architectures: lenet5"),
        (("models", "--framework", "tf"), "valid frameworks: torch, keras"),
        (("summary", "vgg16", "--framework", "mxnet"), "valid frameworks"),
        (("summary", "vgg16", "--variant", "keras"), "valid variants: default"),
        (("compare", "--arch", "nope"), "valid architectures"),
        (("models", "--arch", "lenet5", "--variant", "aux"), "valid variants: default"),
        (("compare", "--arch", "resnet18", "--variant", "keras"), "valid variants: default"),
        (("compare", "--direction", "sideways"), "valid directions: keras->torch, torch->keras"),
        (("port", "lenet5", "missing.pt", "x.weights.h5"), "does not exist"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(capsys, argv, needle):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert needle in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_models_json_records_have_the_documented_fields(capsys):
    pytest.importorskip("torch")  # the default is every framework installed
    pytest.importorskip("keras")
    code, out, _ = run(capsys, "models", "--arch", "lenet5", "alexnet", "--json")
    assert code == 0
    records = json.loads(out)
    assert {(r["arch"], r["framework"]) for r in records} == {
        ("lenet5", "torch"), ("lenet5", "keras"), ("alexnet", "torch"), ("alexnet", "keras")}
    fields = {"arch", "framework", "variant", "params", "trainable_params", "expected_params",
              "input_shape", "output_shape", "gmacs", "matches"}
    for r in records:
        assert fields <= set(r)
        assert r["matches"] is True
    alex = {r["framework"]: r for r in records if r["arch"] == "alexnet"}
    assert alex["torch"]["params"] == alex["keras"]["params"] == 62_378_344  # lecture arithmetic
    assert alex["torch"]["input_shape"] == [3, 224, 224]
    assert alex["keras"]["input_shape"] == [224, 224, 3]
    # GMACs are counted independently in each framework (FlopCounterMode vs layer arithmetic).
    assert alex["torch"]["gmacs"] == pytest.approx(alex["keras"]["gmacs"], rel=1e-3)


def test_models_table_holds_resnet50_gmacs_against_torchvision(capsys):
    pytest.importorskip("torchvision")
    code, out, _ = run(capsys, "models", "--arch", "resnet50", "--framework", "torch", "--json")
    rec = [r for r in json.loads(out) if r["variant"] == "default"][0]
    assert rec["gmacs"] == pytest.approx(4.089, abs=1e-3)  # torchvision's _ops metadata
    assert rec["params"] == 25_557_032


def test_summary_lists_layers_with_shapes(capsys):
    pytest.importorskip("torch")
    code, out, _ = run(capsys, "summary", "lenet5", "--json")
    assert code == 0
    rows = json.loads(out)
    assert sum(r["params"] for r in rows) == 61_706
    shapes = [tuple(r["output_shape"]) for r in rows if r["type"] == "Conv2d"]
    assert shapes == [(6, 28, 28), (16, 10, 10)]  # 32-5+1 = 28; (28/2)-5+1 = 10
    if importlib.util.find_spec("keras"):
        code, out, _ = run(capsys, "summary", "lenet5", "--framework", "keras")
        assert code == 0 and "61,706 parameters" in out


def test_compare_json_and_exit_code(capsys):
    pytest.importorskip("torch")
    pytest.importorskip("keras")
    code, out, _ = run(capsys, "compare", "--arch", "course_mnist", "--json")
    assert code == 0
    records = json.loads(out)
    assert [r["direction"] for r in records] == ["keras->torch", "torch->keras"]
    for r in records:
        assert r["ok"] and r["max_abs_diff"] <= 1e-4 and r["first_divergent_layer"] is None
        assert r["torch_params"] == r["keras_params"] == 347_146


def test_port_command_writes_a_keras_file(tmp_path, capsys):
    torch = pytest.importorskip("torch")
    pytest.importorskip("keras")

    from cnnlab.reference import build

    torch.save(build("lenet5", "torch").state_dict(), tmp_path / "lenet.pt")
    code, out, _ = run(capsys, "port", "lenet5", str(tmp_path / "lenet.pt"), str(tmp_path / "lenet.weights.h5"))
    assert code == 0 and (tmp_path / "lenet.weights.h5").is_file()
    assert "ported 5 layers" in out


def _failing_command(monkeypatch, exc):
    """``cnnlab models`` made to raise ``exc`` from inside the job."""
    from cnnlab.bench.commands import models

    def run(args):
        raise exc

    monkeypatch.setattr(models, "run", run)


def test_bad_input_is_one_line_and_exit_2(monkeypatch, capsys):
    from cnnlab.errors import UsageError

    _failing_command(monkeypatch, UsageError("unknown thing 'x'; valid things: a, b"))
    assert main(["models"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "cnnlab models: error: unknown thing 'x'; valid things: a, b"


def test_a_bug_shows_its_traceback_and_exit_1(monkeypatch, capsys):
    """A ValueError that no cnnlab check raised (numpy's, a framework's, a slip in cnnlab) is a
    bug: its traceback is shown, not disguised as a user's typo."""
    _failing_command(monkeypatch, ValueError("operands could not be broadcast together"))
    assert main(["models"]) == 1
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err
    assert "ValueError: operands could not be broadcast together" in err
    assert "a bug in cnnlab, not in your input" in err.splitlines()[-1]


@pytest.mark.parametrize("argv, needle", [
    (["gan-demo", "--out", ""], "--out must name a folder, got an empty path"),
    (["gan-demo", "--out", "{file}"], "exists and is not a folder"),
    (["similarity", "metrics", ""], "SUBMISSIONS must name a folder, got an empty path"),
    (["similarity", "metrics", ".", "--out", "{file}"], "exists and is not a folder"),
])
def test_output_and_input_folders_are_checked_before_any_work(argv, needle, tmp_path, capsys):
    pytest.importorskip("torch")  # gan-demo's default framework
    file = tmp_path / "a-file.txt"
    file.write_text("not a folder")
    assert main([a.replace("{file}", str(file)) for a in argv]) == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and len(err.splitlines()) == 1


@pytest.mark.parametrize("argv, line", [
    (["bench", "--batch-size", "x"],
     "cnnlab bench: error: argument --batch-size: invalid int value: 'x' (see 'cnnlab bench --help')"),
    (["summary"], "cnnlab summary: error: the following arguments are required: arch (see 'cnnlab summary --help')"),
    (["summary", "lenet5", "--input-size", "1"],
     "cnnlab summary: error: unrecognized arguments: --input-size 1 (see 'cnnlab summary --help')"),
    (["--nope"], "cnnlab: error: the following arguments are required: COMMAND (see 'cnnlab --help')"),
])
def test_argparse_errors_are_one_line_pointing_at_the_commands_help(capsys, argv, line):
    """argparse itself prints the whole usage (nine lines for bench) above its message."""
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "" and err == line + "\n"
