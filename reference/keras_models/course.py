"""The course CNNs in Keras 3: Conv2D(32, 3x3, valid) + ReLU, MaxPool 2, Flatten, Dense 64 + ReLU,
Dense 10.

The twin of ``cnnlab.reference.torch_models.course``; the same builder serves ``course_mnist``
(28x28x1) and ``course_cifar`` (32x32x3). Layers carry the torch module paths as names.
"""

from __future__ import annotations

import keras
from keras import layers

from ..catalog.classic import COURSE_LAYERS, feature_size
from ._layers import conv2d, input_layer, linear, max_pool2d


def course_cnn(
    *,
    num_classes: int,
    include_top: bool,
    input_size: tuple[int, int],
    in_channels: int,
) -> keras.Model:
    """Build the course CNN.

    Parameters
    ----------
    num_classes : int
        Width of the output layer.
    include_top : bool
        False returns the convolutional part: its output is ``(N, H', W', 32)``.
    input_size : (int, int)
        Input height and width; at least 4x4.
    in_channels : int
        Input channels (1 for MNIST, 3 for CIFAR-10).

    Returns
    -------
    keras.Model
        Named ``"course_cnn"``; takes ``(N, H, W, in_channels)``; returns logits or the pooled
        maps.

    Raises
    ------
    ValueError
        If ``input_size`` is smaller than 4x4.
    """
    feature_size("course_cnn", COURSE_LAYERS, input_size)
    inputs = input_layer(input_size, in_channels)
    x = conv2d(inputs, 32, 3, name="features.0")  # valid: 28 -> 26 (MNIST), 32 -> 30
    x = layers.ReLU(name="features.1")(x)
    x = max_pool2d(x, 2, name="features.2")  # 26 -> 13, 30 -> 15
    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = linear(x, 64, name="classifier.0")
        x = layers.ReLU(name="classifier.1")(x)
        x = linear(x, num_classes, name="classifier.2")
    return keras.Model(inputs, x, name="course_cnn")
