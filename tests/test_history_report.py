"""What the lecture recipe's report shows about its phases: where fine-tuning starts on the
curves, which epoch's weights were kept, and when the learning rate was reduced."""

import pytest

from cnnlab.reports.history import _phase_starts, plot_history
from cnnlab.reports.transfer import _rate_steps


def _two_phases():
    rows = [{"phase": "extract", "epoch": i, "train_loss": 1.0 - 0.1 * i, "val_loss": 1.1 - 0.1 * i,
             "val_accuracy": 0.5} for i in range(4)]
    return rows + [{"phase": "finetune", "epoch": i, "train_loss": 0.5, "val_loss": 0.7 + 0.01 * i,
                    "val_accuracy": 0.6} for i in range(3)]


def test_phase_starts_are_found_in_records():
    assert _phase_starts(_two_phases()) == [(0, "extract"), (4, "finetune")]
    assert _phase_starts({"loss": [1.0, 0.5]}) == []  # a Keras-style dict has no phases


def test_plot_marks_the_phases(tmp_path):
    pytest.importorskip("matplotlib")
    out = plot_history(_two_phases(), tmp_path / "h.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_learning_rate_reductions_are_named_by_epoch():
    # ReduceLROnPlateau's factor 0.2 leaves float noise: 1e-05 * 0.2 = 2.0000000000000003e-06
    assert _rate_steps([1e-05, 1e-05, 1e-05, 1e-05 * 0.2]) == "1e-05 (epochs 1-3), 2e-06 (epoch 4)"
    assert _rate_steps([1e-4] * 15) == "0.0001"
    assert _rate_steps([1e-3, 2e-4, 4e-5]) == "0.001 (epoch 1), 0.0002 (epoch 2), 4e-05 (epoch 3)"
