"""VGG (Simonyan and Zisserman 2014) in Keras 3: configurations A, B, D, E of ``catalog.vgg.CFGS``,
with or without BatchNorm after each convolution.

The twin of ``cnnlab.reference.torch_models.vgg``. Layers carry the torch module paths as names
(``features.0`` is keras.applications' ``block1_conv1``, ``classifier.0`` its ``fc1``). There is
no average pooling before the classifier: the twins take only inputs that give a 7x7 map, where
torch's ``AdaptiveAvgPool2d((7, 7))`` is the identity. The Flatten is in Keras' H, W, C order, as
in keras.applications; ``cnnlab.reference.porting`` permutes the first dense kernel.
"""

from __future__ import annotations

import keras
from keras import layers

from .._validation import check_probability
from ..catalog.classic import feature_size
from ..catalog.vgg import vgg_layers, vgg_name
from ._layers import batch_norm as batch_norm_layer
from ._layers import conv2d, input_layer, linear, max_pool2d

#: Side of the feature map the classifier reads.
POOLED_SIDE = 7


def _features(x, table, batch_norm):
    index = 0
    for filters, kernel, stride, padding in table:
        if filters == "M":
            x = max_pool2d(x, kernel, stride=stride, name=f"features.{index}")
            index += 1
            continue
        x = conv2d(x, filters, kernel, stride=stride, padding=padding, name=f"features.{index}")
        index += 1
        if batch_norm:
            x = batch_norm_layer(x, name=f"features.{index}")  # epsilon 1e-5, as torch
            index += 1
        x = layers.ReLU(name=f"features.{index}")(x)
        index += 1
    return x


def _classifier(x, num_classes, dropout):
    x = layers.Flatten(name="flatten")(x)
    x = linear(x, 4096, name="classifier.0")
    x = layers.ReLU(name="classifier.1")(x)
    x = layers.Dropout(dropout, name="classifier.2")(x)
    x = linear(x, 4096, name="classifier.3")
    x = layers.ReLU(name="classifier.4")(x)
    x = layers.Dropout(dropout, name="classifier.5")(x)
    return linear(x, num_classes, name="classifier.6")


def vgg(
    *,
    cfg: str,
    batch_norm: bool,
    num_classes: int,
    include_top: bool,
    input_size: tuple[int, int],
    in_channels: int,
    dropout: float = 0.5,
) -> keras.Model:
    """Build a VGG network.

    Parameters
    ----------
    cfg : {"A", "B", "D", "E"}
        Configuration of the paper's Table 1: VGG-11, -13, -16, -19.
    batch_norm : bool
        Put a BatchNorm (epsilon 1e-5, as torch) between each convolution and its ReLU.
    num_classes : int
        Width of the last dense layer.
    include_top : bool
        False returns the model up to the last max pooling, ``(N, H/32, W/32, 512)``, as
        keras.applications' ``VGG16(include_top=False, pooling=None)``.
    input_size : (int, int)
        Input height and width. With the top it must give a 7x7 feature map (224x224 does);
        without, any size from 32x32 up.
    in_channels : int
        Input channels.
    dropout : float, default=0.5
        Drop rate of the two dropout layers after the first two dense layers.

    Returns
    -------
    keras.Model
        Named like ``"vgg16_bn"``; takes ``(N, H, W, in_channels)``; returns logits or feature
        maps.

    Raises
    ------
    ValueError
        For an unknown ``cfg``, a ``dropout`` outside [0, 1), an input smaller than 32x32, or an
        input that does not give a 7x7 map while ``include_top`` is True.
    """
    table = vgg_layers(cfg)
    dropout = check_probability(dropout, name="dropout", include_one=False)
    name = vgg_name(cfg, batch_norm)
    feature_size(name, table, input_size, expected=POOLED_SIDE if include_top else None)
    inputs = input_layer(input_size, in_channels)
    x = _features(inputs, table, batch_norm)
    if include_top:
        x = _classifier(x, num_classes, dropout)
    return keras.Model(inputs, x, name=name)
