"""The lecture's recipe end to end on a synthetic image folder, and ReduceLROnPlateau.

Oracles: keras.callbacks.ReduceLROnPlateau driven with the same losses (the rule), the catalog's
VGG11 arithmetic for what the last 4 convolution layers hold, and the folder's own counts.
"""

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
keras = pytest.importorskip("keras")

from cnnlab.reference.transfer import Recipe
from cnnlab.reference.transfer.callbacks import ReduceLROnPlateau
from cnnlab.reference.transfer.lecture import LectureConfig, run_lecture_recipe

LOSSES = [1.0, 0.9, 0.95, 0.92, 0.91, 0.89, 0.9, 0.9, 0.9, 0.5, 0.6, 0.7]


def test_plateau_rule_equals_keras_callback():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.1), loss="mse")
    theirs = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2,
                                               min_lr=0.01, verbose=0)
    theirs.set_model(model)
    theirs.on_train_begin()
    ours, lr, expected = ReduceLROnPlateau(factor=0.5, patience=2, min_lr=0.01), 0.1, []
    for epoch, loss in enumerate(LOSSES):
        theirs.on_epoch_end(epoch, {"val_loss": loss})
        expected.append(float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)))
        lr = ours.step(loss, lr)
    np.testing.assert_allclose(ours.rates, expected, rtol=1e-6)
    assert ours.rates[-1] < 0.1
    with pytest.raises(ValueError, match=r"factor must be a number in \(0, 1\)"):
        ReduceLROnPlateau(factor=1.5)


def test_lecture_recipe_settings():
    recipe = Recipe.lecture()
    assert (recipe.extract_lr, recipe.finetune_lr, recipe.max_epochs, recipe.patience) == (1e-4, 1e-5, 15, 3)
    assert recipe.finetune_count == "convs" and recipe.reduce_lr() is not None
    assert Recipe().reduce_lr() is None  # the default recipe keeps a constant rate


def test_lecture_recipe_runs_offline_end_to_end(tmp_path):
    config = LectureConfig(per_class=5, pretrain_images=16, pretrain_epochs=1, batch_size=8,
                           recipe=Recipe.lecture(max_epochs=2, finetune_epochs=2))
    record = run_lecture_recipe(tmp_path, config, framework="torch")
    # 5 per class: round(0.2 * 5) = 1 for validation, 4 for training
    assert record["distribution"] == {"train": {"circle": 4, "square": 4, "triangle": 4},
                                      "val": {"circle": 1, "square": 1, "triangle": 1}}
    assert record["trainable"]["extract"] == 0
    # VGG11's last 4 convolutions (3x3): 256 -> 512, then 512 -> 512 three times
    assert record["trainable"]["finetune"] == (9 * 256 * 512 + 512) + 3 * (9 * 512 * 512 + 512)
    assert record["checkpoints"] == ["extract.best.pt", "finetune.best.pt"]
    assert [r["phase"] for r in record["history"]] == ["extract"] * 2 + ["finetune"] * 2
    assert record["rates"]["extract"][0] == 1e-4 and record["rates"]["finetune"][0] == 1e-5
    saved = json.loads((tmp_path / "lecture_recipe.json").read_text())
    assert saved["best_epochs"] == record["best_epochs"]
    assert len(list((tmp_path / "images").rglob("*.jpg"))) == 6  # odd-numbered files
