"""LeNet-5 (LeCun et al. 1998) in Keras 3.

The twin of ``cnnlab.reference.torch_models.lenet`` (see its docstring for the layout choices: tanh,
plain average pooling, a fully connected C3, a dense output layer, and ``layout="relu_max"``). Layers
carry the torch module paths as names.
"""

from __future__ import annotations

import keras
from keras import layers

from ..catalog.classic import LENET5_LAYERS, feature_size, lenet5_layout
from ._layers import avg_pool2d, conv2d, input_layer, linear, max_pool2d

_POOLS = {"avg": avg_pool2d, "max": max_pool2d}


def lenet5(
    *,
    num_classes: int,
    include_top: bool,
    input_size: tuple[int, int],
    in_channels: int,
    layout: str = "paper",
) -> keras.Model:
    """Build LeNet-5.

    Parameters
    ----------
    num_classes : int
        Width of the output layer.
    include_top : bool
        False returns the convolutional part: its output is ``(N, H', W', 16)``.
    input_size : (int, int)
        Input height and width; at least 16x16.
    in_channels : int
        Input channels.
    layout : {"paper", "relu_max"}, default="paper"
        ``"paper"``: tanh and 2x2 average pooling. ``"relu_max"``: ReLU and 2x2 max pooling.

    Returns
    -------
    keras.Model
        Named ``"lenet5"``; takes ``(N, H, W, in_channels)``; returns logits or the S4 maps.

    Raises
    ------
    ValueError
        If ``input_size`` is smaller than 16x16, or ``layout`` is not one of the two.
    """
    activation, pooling = lenet5_layout(layout)
    pool = _POOLS[pooling]
    feature_size("lenet5", LENET5_LAYERS, input_size)
    inputs = input_layer(input_size, in_channels)
    x = conv2d(inputs, 6, 5, name="features.0")  # C1: 32 -> 28
    x = layers.Activation(activation, name="features.1")(x)
    x = pool(x, 2, name="features.2")  # S2: 28 -> 14
    x = conv2d(x, 16, 5, name="features.3")  # C3: 14 -> 10
    x = layers.Activation(activation, name="features.4")(x)
    x = pool(x, 2, name="features.5")  # S4: 10 -> 5
    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = linear(x, 120, name="classifier.0")  # C5
        x = layers.Activation(activation, name="classifier.1")(x)
        x = linear(x, 84, name="classifier.2")  # F6
        x = layers.Activation(activation, name="classifier.3")(x)
        x = linear(x, num_classes, name="classifier.4")
    return keras.Model(inputs, x, name="lenet5")
