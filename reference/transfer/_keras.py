"""Transfer learning in Keras 3: layers, freezing, heads and a training loop with early stopping.

The twin of ``_torch.py``: the same functions in the same order. Keras needs no BatchNorm trick:
a ``BatchNormalization`` layer whose ``trainable`` is False runs in inference mode (moving
statistics, no updates) even in ``fit``. What needs care is that a model's ``trainable`` flag
hides every weight beneath it: after ``model.trainable = False``, switching one inner layer back
on changes nothing until the model itself is trainable again. And setting a model's flag only
sometimes reaches its layers (measured with Keras 3.15 on TensorFlow: ``model.trainable = True``
on a model that already is leaves a frozen inner layer frozen). So both functions here set the
flag of every model and every layer explicitly.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers

from cnnlab.errors import UsageError

from ..layer_names import keras_layer_name, torch_path
from ..ops.early_stopping import EarlyStopping
from .summary import LayerState

POOLS = (
    layers.MaxPooling1D, layers.MaxPooling2D, layers.MaxPooling3D,
    layers.AveragePooling1D, layers.AveragePooling2D, layers.AveragePooling3D,
    layers.GlobalAveragePooling1D, layers.GlobalAveragePooling2D, layers.GlobalAveragePooling3D,
    layers.GlobalMaxPooling1D, layers.GlobalMaxPooling2D, layers.GlobalMaxPooling3D,
)
BATCH_NORMS = (layers.BatchNormalization,)


def _models(model):
    """``model`` and the models nested in it."""
    yield model
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from _models(layer)


def _leaves(model, trainable=True):
    """(layer, effectively trainable) for every layer that is not a model, in ``model.layers``
    order, looking into nested models."""
    for layer in model.layers:
        on = trainable and layer.trainable
        if isinstance(layer, keras.Model):
            yield from _leaves(layer, on)
        else:
            yield layer, on


def units(model) -> list[tuple[str, object]]:
    """(name, layer) of every layer that has weights, or pools, in ``model.layers`` order."""
    return [(torch_path(layer.name), layer) for layer, _ in _leaves(model)
            if layer.weights or isinstance(layer, POOLS)]


def is_eval_locked(layer) -> bool:
    """Whether ``layer`` (a BatchNorm) runs in inference mode in training: Keras does that for
    every non-trainable BatchNorm."""
    return not layer.trainable


def freeze(model):
    """No weight trains, every BatchNorm runs in inference mode (``trainable = False`` on the
    model and on each of its layers)."""
    for container in _models(model):
        container.trainable = False
    for layer, _ in _leaves(model):
        layer.trainable = False
    return model


def unfreeze(model, picked: list):
    """The ``picked`` layers train again; others keep their state."""
    leaves = list(_leaves(model))
    wanted = {id(layer) for layer, on in leaves if on} | {id(layer) for layer in picked}
    for container in _models(model):
        container.trainable = True
    for layer, _ in leaves:
        layer.trainable = id(layer) in wanted
    return model


def _size(variable) -> int:
    return int(np.prod(variable.shape))


def layer_states(model) -> tuple[list[LayerState], int, int]:
    """Rows of the trainable summary, the total and the trainable parameter count."""
    trainable_ids = {id(v) for v in model.trainable_weights}
    effective = {id(layer): on for layer, on in _leaves(model)}
    rows = []
    for name, layer in units(model):
        params = sum(_size(v) for v in layer.weights)
        trainable = sum(_size(v) for v in layer.weights if id(v) in trainable_ids)
        if not layer.weights:
            state = "-"
        else:
            state = "trainable" if effective[id(layer)] else "frozen"
        note = ""
        if isinstance(layer, BATCH_NORMS):
            note = "batch statistics" if effective[id(layer)] else "inference"
        rows.append(LayerState(name, type(layer).__name__, params, trainable, state, note))
    total = int(model.count_params())
    return rows, total, int(sum(_size(v) for v in model.trainable_weights))


def base_output_shape(base) -> tuple[int, ...]:
    """``(H, W, C)`` of the base's output."""
    shape = tuple(base.output.shape[1:])
    if len(shape) != 3:
        raise UsageError(f"the base returns shape {tuple(base.output.shape)}; a head needs a "
                         "feature map (N, H, W, C): build it with include_top=False")
    return shape


def with_head(base, num_classes: int, table, *, pooling: str, name: str, input_size=None):
    """``base`` and a head built from a :data:`~cnnlab.reference.transfer.heads.HEADS` table."""
    base_output_shape(base)
    if input_size is not None and tuple(base.input.shape[1:3]) != tuple(input_size):
        raise UsageError(f"input_size {input_size} differs from the base's input "
                         f"{tuple(base.input.shape[1:3])}")
    if pooling == "avg":
        x = layers.GlobalAveragePooling2D(name="head.0")(base.output)
    else:
        x = layers.Flatten(name="head.1")(base.output)
    for index, (kind, value) in enumerate(table, start=2):
        if kind == "dense":
            x = layers.Dense(value, name=keras_layer_name(f"head.{index}"))(x)
        elif kind == "relu":
            x = layers.ReLU(name=f"head.{index}")(x)
        else:
            x = layers.Dropout(value, name=f"head.{index}")(x)
    out = layers.Dense(num_classes, activation="softmax",
                       name=keras_layer_name(f"head.{len(table) + 2}"))(x)
    inputs = base.inputs[0] if len(base.inputs) == 1 else base.inputs  # as the base takes them
    return keras.Model(inputs, out, name=f"{base.name}_{name}_head")


def _arrays(data, what: str):
    try:
        x, y = data
    except (TypeError, ValueError):
        raise UsageError(f"{what} must be a pair (images, labels), got {type(data).__name__}") from None
    x, y = np.asarray(x, dtype=np.float32), np.asarray(y, dtype=np.int64)
    if x.ndim != 4 or len(x) != len(y) or len(y) == 0:
        raise UsageError(f"{what}: expected images (N, H, W, C) and N labels, got "
                         f"{x.shape} and {y.shape}")
    return x, y


def evaluate(model, data, *, batch_size: int = 256) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of ``model`` (probabilities) on ``(images, labels)``."""
    x, y = _arrays(data, "data")
    probs = predict(model, x, batch_size=batch_size)
    picked = np.clip(probs[np.arange(len(y)), y], 1e-7, 1.0)  # Keras clips the same way
    return float(-np.log(picked).mean()), float((probs.argmax(1) == y).mean())


def fit(model, train, val, *, lr: float, max_epochs: int, patience: int,
        batch_size: int, seed: int, checkpoint=None, on_epoch=None, reduce_lr=None):
    """Adam on the trainable weights, early stopping on the validation loss, and the best
    epoch's weights restored at the end (and written to ``checkpoint`` at each improvement).

    The loop is written out with ``train_on_batch``, as the torch twin's: for the small data of
    transfer learning, ``model.fit``'s set-up per epoch costs more than the epoch itself.

    ``train`` is ``(images, labels)`` or a batches object (``ArrayBatches``, ``FolderBatches``);
    ``reduce_lr`` a ``ReduceLROnPlateau`` or None.

    Returns
    -------
    (list of (train_loss, val_loss, val_accuracy), best_epoch)
    """
    batches = train if hasattr(train, "epoch") else None
    if batches is None:
        x, y = _arrays(train, "train")
    val = _arrays(val, "val")
    if not model.trainable_weights:
        raise UsageError("nothing to train: every parameter of the model is frozen")
    keras.utils.set_random_seed(seed)
    order = np.random.default_rng(seed)
    # compile again in every phase: Keras reads the trainable flags when it compiles; no XLA,
    # whose compile time would dwarf these short runs
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=lr),
                  loss="sparse_categorical_crossentropy", jit_compile=False)
    stopper = EarlyStopping(patience=patience)
    best = model.get_weights()
    history = []
    def epoch_batches(epoch):
        if batches is not None:
            yield from batches.epoch(epoch)
            return
        shuffled = order.permutation(len(y))
        for start in range(0, len(y), batch_size):
            batch = shuffled[start:start + batch_size]
            yield x[batch], y[batch]

    for epoch in range(max_epochs):
        total, seen = 0.0, 0
        for xb, yb in epoch_batches(epoch):
            model.reset_metrics()
            logs = model.train_on_batch(xb, yb, return_dict=True)
            total += float(logs["loss"]) * len(yb)
            seen += len(yb)
        val_loss, val_accuracy = evaluate(model, val)
        history.append((total / seen, val_loss, val_accuracy))
        stop = stopper.step(val_loss)
        if stopper.best_epoch == epoch:
            best = model.get_weights()
            if checkpoint is not None:
                model.save_weights(str(checkpoint))
        if reduce_lr is not None:
            rate = reduce_lr.step(val_loss, float(keras.ops.convert_to_numpy(
                model.optimizer.learning_rate)))
            model.optimizer.learning_rate.assign(rate)
        if on_epoch is not None:
            on_epoch(epoch, history[-1])
        if stop:
            break
    model.set_weights(best)
    return history, stopper.best_epoch


def predict(model, images, *, batch_size: int = 256) -> np.ndarray:
    """Class probabilities for ``images`` (N, H, W, C), in inference mode."""
    x = np.asarray(images, dtype=np.float32)
    out = [np.asarray(model(x[i:i + batch_size], training=False)) for i in range(0, len(x), batch_size)]
    return np.concatenate(out)
