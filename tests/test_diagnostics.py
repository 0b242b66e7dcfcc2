"""Training diagnostics: history curves, diagnose, gradient-norm and dead-ReLU probes, the
zero-initialisation symmetry demonstration, plot_history.

Oracles: the other framework (a torch LeNet ported into Keras gives the same gradient norms and
dead units), hand-built histories whose label is known, a bias of -100 that kills every unit,
and Keras' own History object from model.fit.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
keras = pytest.importorskip("keras")

from cnnlab.reference import build, diagnostics
from cnnlab.reference.porting import port_weights
from cnnlab.reference.transfer import EpochRecord, TransferHistory
from cnnlab.reports.history import plot_history

OVER = {"loss": [1.0, 0.7, 0.5, 0.35, 0.25, 0.18], "val_loss": [1.05, 0.8, 0.65, 0.7, 0.8, 0.9]}
UNDER = {"loss": [1.1, 1.05, 1.02, 1.0, 0.99], "val_loss": [1.1, 1.06, 1.03, 1.01, 1.0]}
GOOD = {"loss": [1.1, 0.6, 0.4, 0.3, 0.25], "val_loss": [1.1, 0.65, 0.45, 0.36, 0.33]}


@pytest.mark.parametrize("history,label", [(OVER, "overfitting"), (UNDER, "underfitting"),
                                           (GOOD, "good fit")])
def test_diagnose_labels_with_evidence(history, label):
    result = diagnostics.diagnose(history)
    assert result.label == label
    assert result.numbers["epochs"] == len(history["loss"]) and str(result).startswith(label)


def test_curves_read_keras_history_cnnlab_records_and_dicts(tmp_path):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    x, y = np.random.default_rng(0).normal(size=(32, 4)), np.arange(32) % 3
    history = model.fit(x, y, validation_data=(x, y), epochs=3, verbose=0)
    c = diagnostics.curves(history)
    assert set(c) == {"train_loss", "val_loss", "train_accuracy", "val_accuracy"}
    assert c["val_loss"] == pytest.approx(history.history["val_loss"])
    records = TransferHistory([EpochRecord("extract", i, 1.0 / (i + 1), 1.2 / (i + 1), 0.5)
                               for i in range(4)])
    assert diagnostics.curves(records)["val_accuracy"] == [0.5] * 4
    torch_loop = [{"train_loss": 1.0, "val_loss": 1.1}, {"train_loss": 0.5, "val_loss": 0.6}]
    assert diagnostics.curves(torch_loop)["train_loss"] == [1.0, 0.5]
    out = plot_history(history, tmp_path / "h.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="no loss curve"):
        diagnostics.curves({"accuracy": [0.1]})


@pytest.fixture(scope="module")
def twins():
    tm = build("lenet5", "torch", variant="relu_max")
    km = build("lenet5", "keras", variant="relu_max")
    port_weights(tm, km)
    x = np.random.default_rng(0).normal(size=(8, 1, 32, 32)).astype("float32")
    return tm, km, x, np.arange(8) % 10


def test_gradient_norms_agree_between_frameworks(twins):
    tm, km, x, y = twins
    ours = list(diagnostics.gradient_norms(tm, x, y).values())
    theirs = list(diagnostics.gradient_norms(km, x.transpose(0, 2, 3, 1), y).values())
    assert len(ours) == len(theirs) == 5  # 2 conv kernels, 3 dense kernels
    np.testing.assert_allclose(ours, theirs, rtol=1e-4)


def test_dead_relu_fraction_agrees_and_sees_killed_units(twins):
    tm, km, x, _ = twins
    ours = diagnostics.dead_relu_fraction(tm, x)
    theirs = diagnostics.dead_relu_fraction(km, x.transpose(0, 2, 3, 1))
    assert list(ours) == list(theirs) == ["features.1", "features.4", "classifier.1", "classifier.3"]
    np.testing.assert_allclose(list(ours.values()), list(theirs.values()))
    with torch.no_grad():
        tm.classifier[0].bias.fill_(-100.0)  # every one of the 120 units is negative: dead
    assert diagnostics.dead_relu_fraction(tm, x)["classifier.1"] == 1.0


@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_zero_init_never_breaks_symmetry(framework):
    result = diagnostics.init_symmetry_demo(framework=framework, hidden=8, steps=20)
    assert result["zeros"]["distinct_units"] == 1
    assert result["he"]["distinct_units"] == result["glorot"]["distinct_units"] == 8
    assert result["he"]["final_loss"] < result["zeros"]["final_loss"]
