"""Example submission (counted non-trainable weights). Transfer learning in Keras: freezing, unfreezing, counting and a classification head."""

import keras
import numpy as np
from keras import layers

POOLS = (layers.MaxPooling2D, layers.AveragePooling2D, layers.GlobalAveragePooling2D,
         layers.GlobalMaxPooling2D)


def _layers(model):
    """Layers that have weights or pool, in model.layers order."""
    return [layer for layer in model.layers if layer.weights or isinstance(layer, POOLS)]


def freeze(model):
    """Nothing trains; a non-trainable BatchNormalization runs in inference mode."""
    model.trainable = False
    for layer in model.layers:
        layer.trainable = False
    return model


def unfreeze_last(model, n):
    """The last n layers train again; the others keep their state."""
    chosen = _layers(model)[len(_layers(model)) - n:] if n > 0 else []
    keep = [layer.trainable and model.trainable for layer in model.layers]
    model.trainable = True
    for layer, on in zip(model.layers, keep):
        layer.trainable = on or any(layer is c for c in chosen)
    return model


def count_trainable(model):
    """Weights the optimizer updates (BatchNorm's moving statistics never are)."""
    return int(model.count_params())  # frozen weights and BatchNorm statistics too


def add_head(base, num_classes):
    """base, then global average pooling, Dense 1024 + ReLU, Dropout 0.5, Dense 512 + ReLU and
    Dense num_classes with softmax."""
    x = layers.GlobalAveragePooling2D()(base.output)
    x = layers.Dense(1024, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    x = layers.Dense(512, activation="relu")(x)
    out = layers.Dense(num_classes, activation="softmax")(x)
    return keras.Model(base.input, out)
