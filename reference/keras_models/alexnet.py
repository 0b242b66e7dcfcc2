"""AlexNet and ZFNet in Keras 3: one builder, three rows of ``catalog.classic.ALEXNET_CFGS``.

The twin of ``cnnlab.reference.torch_models.alexnet`` (see its docstring for the three layouts; none has
local response normalisation, which Keras 3 lacks). Layers carry the torch module paths as
names. There is no average pooling before the classifier: the twins take only inputs that give
a 6x6 map, where torch's ``AdaptiveAvgPool2d((6, 6))`` is the identity. The Flatten is in
Keras' H, W, C order; ``cnnlab.reference.porting`` permutes the first dense kernel.
"""

from __future__ import annotations

import keras
from keras import layers

from .._validation import check_probability
from ..catalog.classic import alexnet_layers, feature_size
from ._layers import conv2d, input_layer, linear, max_pool2d

#: Side of the feature map the classifier reads.
POOLED_SIDE = 6


def _features(x, table):
    index = 0
    for filters, kernel, stride, padding in table:
        name = f"features.{index}"
        if filters == "M":
            x = max_pool2d(x, kernel, stride=stride, padding=padding, name=name)
            index += 1
        else:
            x = conv2d(x, filters, kernel, stride=stride, padding=padding, name=name)
            x = layers.ReLU(name=f"features.{index + 1}")(x)
            index += 2
    return x


def _classifier(x, num_classes, dropout):
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dropout(dropout, name="classifier.0")(x)
    x = linear(x, 4096, name="classifier.1")
    x = layers.ReLU(name="classifier.2")(x)
    x = layers.Dropout(dropout, name="classifier.3")(x)
    x = linear(x, 4096, name="classifier.4")
    x = layers.ReLU(name="classifier.5")(x)
    return linear(x, num_classes, name="classifier.6")


def alexnet(
    *,
    cfg: str,
    num_classes: int,
    include_top: bool,
    input_size: tuple[int, int],
    in_channels: int,
    dropout: float = 0.5,
) -> keras.Model:
    """Build AlexNet, torchvision's AlexNet or ZFNet.

    Parameters
    ----------
    cfg : {"alexnet", "alexnet_tv", "zfnet"}
        Row of ``ALEXNET_CFGS``.
    num_classes : int
        Width of the last dense layer.
    include_top : bool
        False returns the model up to the last max pooling: ``(N, H', W', 256)``.
    input_size : (int, int)
        Input height and width. With the top it must give a 6x6 feature map (224x224 does);
        without, any size from the catalog's ``min_input_size`` up.
    in_channels : int
        Input channels.
    dropout : float, default=0.5
        Drop rate of the two dropout layers before the first two dense layers.

    Returns
    -------
    keras.Model
        Named after ``cfg``; takes ``(N, H, W, in_channels)``; returns logits or feature maps.

    Raises
    ------
    ValueError
        For an unknown ``cfg``, a ``dropout`` outside [0, 1), an input too small, or an input
        that does not give a 6x6 map while ``include_top`` is True.
    """
    table = alexnet_layers(cfg)
    dropout = check_probability(dropout, name="dropout", include_one=False)
    feature_size(cfg, table, input_size, expected=POOLED_SIDE if include_top else None)
    inputs = input_layer(input_size, in_channels)
    x = _features(inputs, table)
    if include_top:
        x = _classifier(x, num_classes, dropout)
    return keras.Model(inputs, x, name=cfg)
