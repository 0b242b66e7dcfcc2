"""``cnnlab models``, ``summary``, ``compare`` and ``port`` on the DCGAN architectures.

Expected counts: the layer arithmetic in tests/models/test_dcgan.py (catalog facts); the
oracle of ``compare`` and ``port`` is the other framework (outputs within 1e-4).
"""

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
keras = pytest.importorskip("keras")

from cnnlab.reference import build
from cnnlab.reference.compare import ATOL, keras_forward, to_nhwc, torch_forward

from ..conftest import run_cli as run


def test_models_lists_the_digits_pair_in_both_frameworks(capsys):
    code, out, _ = run(capsys, "models", "--arch", "dcgan_digits_g", "dcgan_digits_d", "--json")
    assert code == 0
    rows = {(r["arch"], r["framework"]): r for r in json.loads(out)}
    assert rows["dcgan_digits_g", "torch"]["params"] == 74_208
    assert rows["dcgan_digits_g", "keras"]["trainable_params"] == 74_208
    assert rows["dcgan_digits_g", "torch"]["output_shape"] == [1, 32, 32]
    assert rows["dcgan_digits_g", "keras"]["output_shape"] == [32, 32, 1]
    assert rows["dcgan_digits_d", "torch"]["params"] == 42_432
    assert rows["dcgan_digits_d", "keras"]["output_shape"] == [1]
    assert all(r["matches"] for r in rows.values())


def test_summary_shows_the_transposed_convolutions(capsys):
    code, out, _ = run(capsys, "summary", "dcgan_digits_g", "--framework", "keras")
    assert code == 0 and "Conv2DTranspose" in out and "main.3.crop" in out
    code, out, _ = run(capsys, "summary", "dcgan_digits_g", "--framework", "torch")
    assert code == 0 and "ConvTranspose2d" in out


def test_compare_covers_the_gan_pair_both_ways(capsys):
    code, out, _ = run(capsys, "compare", "--arch", "dcgan_digits_g", "dcgan_digits_d", "--json")
    assert code == 0
    records = json.loads(out)
    assert {(r["arch"], r["direction"]) for r in records} == {
        (a, d) for a in ("dcgan_digits_g", "dcgan_digits_d") for d in ("keras->torch", "torch->keras")}
    assert all(r["ok"] and r["max_abs_diff"] <= ATOL for r in records)


def test_port_round_trip_of_a_generator(tmp_path, capsys):
    tm = build("dcgan_digits_g", "torch")
    torch.save(tm.state_dict(), tmp_path / "g.pt")
    code, out, _ = run(capsys, "port", "dcgan_digits_g", str(tmp_path / "g.pt"), str(tmp_path / "g.weights.h5"))
    assert code == 0
    km = build("dcgan_digits_g", "keras")
    km.load_weights(str(tmp_path / "g.weights.h5"))
    z = np.random.default_rng(0).standard_normal((2, 32, 1, 1)).astype(np.float32)
    ref = to_nhwc(torch_forward(tm, z))
    assert np.max(np.abs(keras_forward(km, to_nhwc(z)) - ref)) <= ATOL
    code, _, _ = run(capsys, "port", "dcgan_digits_g", str(tmp_path / "g.weights.h5"), str(tmp_path / "back.pt"))
    assert code == 0
    back = build("dcgan_digits_g", "torch")
    back.load_state_dict(torch.load(tmp_path / "back.pt", weights_only=True))
    assert np.max(np.abs(to_nhwc(torch_forward(back, z)) - ref)) <= ATOL


def test_an_unknown_gan_architecture_lists_the_valid_ones(capsys):
    code, _, err = run(capsys, "summary", "dcgan_mnist")
    assert code == 2 and "valid architectures:" in err and "dcgan_digits_g" in err
    assert len(err.strip().splitlines()) == 1
