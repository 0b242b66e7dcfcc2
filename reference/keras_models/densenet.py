"""DenseNet-121/169/201 (Huang et al. 2016) in Keras 3.

The twin of ``reference/torch_models/densenet.py``: every layer with weights is named with the
dotted path of its torch module (``"features.conv0"``, ``"features.denseblock1.denselayer1.norm1"``,
``"features.transition1.conv"``, ``"classifier"``). The default layout is torchvision's;
``layout="keras"`` is keras.applications' DenseNet (BN epsilon 1.001e-5, momentum 0.99) and equals
``keras.applications.DenseNet121`` weight for weight.

The convolutional base ends with the final BatchNorm and its ReLU (``features.norm5``,
``features.relu5``), as keras.applications' base does.
"""

from __future__ import annotations

import keras
from keras import layers as kl

from ..catalog.densenet import COMPRESSION, check_options
from . import _layers


def _bn(x, *, name, layout):
    return _layers.batch_norm(
        x, name=name, epsilon=layout.bn_epsilon, momentum=1.0 - layout.bn_momentum
    )


def dense_layer(x, *, name, growth_rate, bn_size, layout):
    """BN-ReLU-conv 1x1 (``bn_size * growth_rate``), BN-ReLU-conv 3x3 (``growth_rate``).

    The output is the input with the ``growth_rate`` new channels concatenated after it, so each
    layer sees the feature maps of all the layers before it in its block.
    """
    new = _bn(x, name=f"{name}.norm1", layout=layout)
    new = kl.ReLU(name=f"{name}.relu1")(new)
    new = _layers.conv2d(new, bn_size * growth_rate, 1, name=f"{name}.conv1", use_bias=False)
    new = _bn(new, name=f"{name}.norm2", layout=layout)
    new = kl.ReLU(name=f"{name}.relu2")(new)
    new = _layers.conv2d(new, growth_rate, 3, name=f"{name}.conv2", padding=1, use_bias=False)
    return kl.Concatenate(axis=-1, name=f"{name}.concat")([x, new])


def _dense_block(x, num_layers, *, name, growth_rate, bn_size, layout):
    """``num_layers`` dense layers named ``<name>.denselayer1`` ..."""
    for index in range(num_layers):
        x = dense_layer(
            x,
            name=f"{name}.denselayer{index + 1}",
            growth_rate=growth_rate,
            bn_size=bn_size,
            layout=layout,
        )
    return x


def _transition(x, out_channels, *, name, layout):
    """BN-ReLU-conv 1x1 to ``out_channels``, then 2x2 average pooling (halves the map)."""
    x = _bn(x, name=f"{name}.norm", layout=layout)
    x = kl.ReLU(name=f"{name}.relu")(x)
    x = _layers.conv2d(x, out_channels, 1, name=f"{name}.conv", use_bias=False)
    return _layers.avg_pool2d(x, 2, name=f"{name}.pool", stride=2)


def densenet(
    *,
    block_config,
    growth_rate=32,
    num_init_features=64,
    bn_size=4,
    layout="torchvision",
    num_classes=1000,
    include_top=True,
    input_size=(224, 224),
    in_channels=3,
):
    """Build a DenseNet as a functional ``keras.Model`` taking ``(N, H, W, C)``.

    Parameters
    ----------
    block_config : sequence of 4 int
        Dense layers per block: ``(6, 12, 24, 16)`` for DenseNet-121, ``(6, 12, 32, 32)`` for 169,
        ``(6, 12, 48, 32)`` for 201.
    growth_rate : int, default=32
        Channels each dense layer adds (k in the paper).
    num_init_features : int, default=64
        Channels of the stem convolution.
    bn_size : int, default=4
        Width of each layer's 1x1 bottleneck convolution, in multiples of ``growth_rate``.
    layout : {"torchvision", "keras"}, default="torchvision"
        ``"torchvision"``: BN epsilon 1e-5, momentum 0.9. ``"keras"``: keras.applications' BN
        epsilon 1.001e-5 and momentum 0.99.
    num_classes : int, default=1000
        Width of the ``classifier`` layer (logits, no softmax).
    include_top : bool, default=True
        False drops the average pool and ``classifier``: the model returns the map after the final
        BatchNorm and ReLU (``features.relu5``; 1024 channels for DenseNet-121).
    input_size : (int, int), default=(224, 224)
        Height and width of the model's input, each at least 32.
    in_channels : int, default=3
        Channels of the input image.

    Returns
    -------
    keras.Model
        Named ``densenet<depth>``; its weight-bearing layers carry torch's dotted module paths.

    Raises
    ------
    ValueError
        If an option is out of range; the message names it.
    """
    block_config, layout_spec, size = check_options(
        block_config=block_config,
        growth_rate=growth_rate,
        num_init_features=num_init_features,
        bn_size=bn_size,
        layout=layout,
        num_classes=num_classes,
        input_size=input_size,
        in_channels=in_channels,
    )
    inputs = _layers.input_layer(size, in_channels)
    x = _layers.conv2d(
        inputs, num_init_features, 7, name="features.conv0", stride=2, padding=3, use_bias=False
    )
    x = _bn(x, name="features.norm0", layout=layout_spec)
    x = kl.ReLU(name="features.relu0")(x)
    # keras.applications pads with zeros here, torch with -inf; after the ReLU both give the
    # same maximum, so one pooling serves both layouts.
    x = _layers.max_pool2d(x, 3, name="features.pool0", stride=2, padding=1)
    for index, num_layers in enumerate(block_config):
        x = _dense_block(
            x,
            num_layers,
            name=f"features.denseblock{index + 1}",
            growth_rate=growth_rate,
            bn_size=bn_size,
            layout=layout_spec,
        )
        if index < len(block_config) - 1:
            out_channels = int(x.shape[-1] * COMPRESSION)
            x = _transition(
                x, out_channels, name=f"features.transition{index + 1}", layout=layout_spec
            )
    x = _bn(x, name="features.norm5", layout=layout_spec)
    x = kl.ReLU(name="features.relu5")(x)
    if include_top:
        x = kl.GlobalAveragePooling2D(name="avgpool")(x)
        x = _layers.linear(x, num_classes, name="classifier")
    # depth = weighted layers: the stem conv, two convs per dense layer, the transitions' convs,
    # the classifier
    depth = 1 + 2 * sum(block_config) + len(block_config) - 1 + 1
    return keras.Model(inputs, x, name=f"densenet{depth}")
