"""``cnnlab gan-demo``: bad input is one line, a diverging run stops and keeps its samples, and a
short run in Keras writes every picture and the quality table (torch is the README's run)."""

import json
import os

import pytest

from ..conftest import run_cli as run


@pytest.fixture(scope="module", autouse=True)
def cache(tmp_path_factory):
    """One judge per module, trained into a temporary cache (never the user's)."""
    old = os.environ.get("CNNLAB_CACHE_DIR")
    os.environ["CNNLAB_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if old is None:
        os.environ.pop("CNNLAB_CACHE_DIR", None)
    else:
        os.environ["CNNLAB_CACHE_DIR"] = old


@pytest.mark.parametrize("argv,message", [
    (["--framework", "jax"], "unknown framework 'jax'; valid frameworks: torch, keras"),
    (["--epochs", "0"], "epochs must be a positive int; 0 is out of range"),
    (["--real-label", "1.5"], "real_label must be in (0, 1]; got 1.5"),
    (["--k", "-1"], "k must be a positive int; -1 is out of range"),
])
def test_bad_options_are_one_line_with_exit_2(capsys, tmp_path, argv, message):
    code, out, err = run(capsys, "gan-demo", *argv, "--out", str(tmp_path))
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1
    assert not any(tmp_path.iterdir())  # nothing trained, nothing written


def test_a_diverging_run_names_the_step_and_the_loss_and_keeps_the_samples(capsys, tmp_path):
    pytest.importorskip("torch")
    # Adam moves every weight by about lr per step: lr = 1e20 overflows float32 at once
    code, out, err = run(capsys, "gan-demo", "--framework", "torch", "--lr", "1e20", "--epochs", "2",
                         "--quiet", "--out", str(tmp_path))
    assert code == 1
    assert "training diverged at step 1 (epoch 1): the generator loss is nan" in err
    assert "kept the samples of 1 epoch(s)" in err
    assert (tmp_path / "samples_epoch_00.png").stat().st_size > 0
    assert (tmp_path / "losses.png").is_file()
    record = json.loads((tmp_path / "gan_demo.json").read_text())
    assert record["diverged"]["step"] == 1 and record["diverged"]["loss"] == "generator"
    assert [row["epoch"] for row in record["rows"]] == [0]


def test_a_short_keras_run_writes_grids_curves_and_the_table(capsys, tmp_path):
    pytest.importorskip("torch")  # keras after torch in a process that may hold both
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "tensorflow":
        pytest.skip("the Keras GAN loop runs on the TensorFlow backend")
    code, out, err = run(capsys, "gan-demo", "--framework", "keras", "--epochs", "2",
                         "--steps-per-epoch", "3", "--out", str(tmp_path))
    assert code == 0, err
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["gan_demo.json", "losses.png", "samples_epoch_00.png", "samples_epoch_01.png",
                     "samples_epoch_02.png"]
    record = json.loads((tmp_path / "gan_demo.json").read_text())
    assert record["framework"] == "keras" and record["losses"]["step"] == [1, 2, 3, 4, 5, 6]
    assert [row["epoch"] for row in record["rows"]] == [0, 1, 2]
    assert record["floor"]["classes_covered"] == 10
    assert "real digits (floor)" in out and "untrained (epoch 0)" in out and "epoch 2" in out
