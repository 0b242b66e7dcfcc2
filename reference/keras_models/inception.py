"""Inception v3 (Szegedy et al. 2015, "Rethinking the Inception Architecture") in Keras 3.

The twin of ``reference/torch_models/inception.py``, built from the same table
(``cnnlab.reference.catalog.inception.INCEPTION_V3_LAYERS``): every layer with weights is named with the
dotted path of its torch module (``"Conv2d_1a_3x3.conv"``, ``"Mixed_5b.branch1x1.bn"``,
``"AuxLogits.fc"``, ``"fc"``). Two layouts (``cnnlab.reference.catalog.inception.LAYOUTS``):

* ``"torchvision"`` (default): torchvision's Inception v3.
* ``"keras"``: keras.applications' InceptionV3, weight for weight: BatchNorm with
  ``scale=False`` (beta, moving mean and variance only), average pools with ``padding="same"``
  (the padding is not counted), no dropout, no auxiliary classifier.

With the auxiliary classifier the model has two outputs, ``[logits, aux logits]``, in training
and inference alike; Keras has no mode-dependent outputs.
"""

from __future__ import annotations

from functools import partial

import keras
from keras import layers as kl

from ..catalog.inception import (
    INCEPTION_V3_AUX_AFTER,
    INCEPTION_V3_LAYERS,
    Block,
    Conv,
    Layout,
    check_inception_v3_options,
)
from . import _layers
from .googlenet import conv_bn_relu


def _norm(layout: Layout):
    """The layout's BatchNorm, applied as ``norm(x, name=...)``."""
    return partial(
        _layers.batch_norm,
        epsilon=layout.bn_epsilon,
        momentum=1.0 - layout.bn_momentum,
        scale=layout.bn_scale,
    )


def _branch_pool(x, *, name, layout: Layout):
    """The blocks' 3x3/1 average pool, padded by one pixel."""
    if layout.pool_counts_padding:
        return _layers.avg_pool2d(x, 3, name=name, stride=1, padding=1)
    # 'same' at stride 1 pads symmetrically and averages only the real pixels
    return kl.AveragePooling2D(3, strides=1, padding="same", name=name)(x)


def inception_a(x, pool_features, *, name, layout):
    """35x35 block (Figure 5): 1x1, 5x5, double 3x3, and pooled 1x1 branches."""
    unit = partial(conv_bn_relu, norm=_norm(layout))
    b1 = unit(x, 64, 1, name=f"{name}.branch1x1")
    b5 = unit(x, 48, 1, name=f"{name}.branch5x5_1")
    b5 = unit(b5, 64, 5, padding=2, name=f"{name}.branch5x5_2")
    b3 = unit(x, 64, 1, name=f"{name}.branch3x3dbl_1")
    b3 = unit(b3, 96, 3, padding=1, name=f"{name}.branch3x3dbl_2")
    b3 = unit(b3, 96, 3, padding=1, name=f"{name}.branch3x3dbl_3")
    bp = _branch_pool(x, name=f"{name}.avgpool", layout=layout)
    bp = unit(bp, pool_features, 1, name=f"{name}.branch_pool")
    return kl.Concatenate(name=f"{name}.cat")([b1, b5, b3, bp])


def inception_b(x, *, name, layout):
    """Grid reduction 35 -> 17: stride-2 3x3, stride-2 double 3x3, and max pool branches."""
    unit = partial(conv_bn_relu, norm=_norm(layout))
    b3 = unit(x, 384, 3, stride=2, name=f"{name}.branch3x3")
    b3dbl = unit(x, 64, 1, name=f"{name}.branch3x3dbl_1")
    b3dbl = unit(b3dbl, 96, 3, padding=1, name=f"{name}.branch3x3dbl_2")
    b3dbl = unit(b3dbl, 96, 3, stride=2, name=f"{name}.branch3x3dbl_3")
    bp = _layers.max_pool2d(x, 3, name=f"{name}.maxpool", stride=2)
    return kl.Concatenate(name=f"{name}.cat")([b3, b3dbl, bp])


def inception_c(x, channels_7x7, *, name, layout):
    """17x17 block (Figure 6, n=7): 7x7 convolutions factored into 1x7 and 7x1."""
    unit = partial(conv_bn_relu, norm=_norm(layout))
    c7 = channels_7x7
    b1 = unit(x, 192, 1, name=f"{name}.branch1x1")
    b7 = unit(x, c7, 1, name=f"{name}.branch7x7_1")
    b7 = unit(b7, c7, (1, 7), padding=(0, 3), name=f"{name}.branch7x7_2")
    b7 = unit(b7, 192, (7, 1), padding=(3, 0), name=f"{name}.branch7x7_3")
    b7dbl = unit(x, c7, 1, name=f"{name}.branch7x7dbl_1")
    b7dbl = unit(b7dbl, c7, (7, 1), padding=(3, 0), name=f"{name}.branch7x7dbl_2")
    b7dbl = unit(b7dbl, c7, (1, 7), padding=(0, 3), name=f"{name}.branch7x7dbl_3")
    b7dbl = unit(b7dbl, c7, (7, 1), padding=(3, 0), name=f"{name}.branch7x7dbl_4")
    b7dbl = unit(b7dbl, 192, (1, 7), padding=(0, 3), name=f"{name}.branch7x7dbl_5")
    bp = _branch_pool(x, name=f"{name}.avgpool", layout=layout)
    bp = unit(bp, 192, 1, name=f"{name}.branch_pool")
    return kl.Concatenate(name=f"{name}.cat")([b1, b7, b7dbl, bp])


def inception_d(x, *, name, layout):
    """Grid reduction 17 -> 8: 1x1 + stride-2 3x3, 1x1 + 1x7 + 7x1 + stride-2 3x3, max pool."""
    unit = partial(conv_bn_relu, norm=_norm(layout))
    b3 = unit(x, 192, 1, name=f"{name}.branch3x3_1")
    b3 = unit(b3, 320, 3, stride=2, name=f"{name}.branch3x3_2")
    b7 = unit(x, 192, 1, name=f"{name}.branch7x7x3_1")
    b7 = unit(b7, 192, (1, 7), padding=(0, 3), name=f"{name}.branch7x7x3_2")
    b7 = unit(b7, 192, (7, 1), padding=(3, 0), name=f"{name}.branch7x7x3_3")
    b7 = unit(b7, 192, 3, stride=2, name=f"{name}.branch7x7x3_4")
    bp = _layers.max_pool2d(x, 3, name=f"{name}.maxpool", stride=2)
    return kl.Concatenate(name=f"{name}.cat")([b3, b7, bp])


def inception_e(x, *, name, layout):
    """8x8 block (Figure 7): the 3x3 branches end in parallel 1x3 and 3x1 convolutions."""
    unit = partial(conv_bn_relu, norm=_norm(layout))
    b1 = unit(x, 320, 1, name=f"{name}.branch1x1")
    b3 = unit(x, 384, 1, name=f"{name}.branch3x3_1")
    b3 = kl.Concatenate(name=f"{name}.branch3x3.cat")(
        [
            unit(b3, 384, (1, 3), padding=(0, 1), name=f"{name}.branch3x3_2a"),
            unit(b3, 384, (3, 1), padding=(1, 0), name=f"{name}.branch3x3_2b"),
        ]
    )
    b3dbl = unit(x, 448, 1, name=f"{name}.branch3x3dbl_1")
    b3dbl = unit(b3dbl, 384, 3, padding=1, name=f"{name}.branch3x3dbl_2")
    b3dbl = kl.Concatenate(name=f"{name}.branch3x3dbl.cat")(
        [
            unit(b3dbl, 384, (1, 3), padding=(0, 1), name=f"{name}.branch3x3dbl_3a"),
            unit(b3dbl, 384, (3, 1), padding=(1, 0), name=f"{name}.branch3x3dbl_3b"),
        ]
    )
    bp = _branch_pool(x, name=f"{name}.avgpool", layout=layout)
    bp = unit(bp, 192, 1, name=f"{name}.branch_pool")
    return kl.Concatenate(name=f"{name}.cat")([b1, b3, b3dbl, bp])


_BLOCKS = {"A": inception_a, "B": inception_b, "C": inception_c, "D": inception_d, "E": inception_e}


def aux_classifier(x, num_classes, *, name, layout):
    """Auxiliary classifier on the 17x17 map: 5x5/3 average pool, 1x1 conv, 5x5 conv, fc."""
    unit = partial(conv_bn_relu, norm=_norm(layout))
    x = _layers.avg_pool2d(x, 5, name=f"{name}.avgpool", stride=3)
    x = unit(x, 128, 1, name=f"{name}.conv0")
    x = unit(x, 768, 5, name=f"{name}.conv1")
    x = kl.GlobalAveragePooling2D(name=f"{name}.gap")(x)
    return _layers.linear(x, num_classes, name=f"{name}.fc")


def inception_v3(
    *,
    num_classes=1000,
    include_top=True,
    input_size=(299, 299),
    in_channels=3,
    aux_logits=False,
    layout="torchvision",
    dropout=None,
):
    """Build Inception v3 as a functional ``keras.Model`` taking ``(N, H, W, C)``.

    Parameters
    ----------
    num_classes : int, default=1000
        Width of the final ``fc`` layer (and of ``AuxLogits.fc``); logits, no softmax.
    include_top : bool, default=True
        False drops the average pool, dropout, ``fc`` and ``AuxLogits``: the model returns the
        ``Mixed_7c`` map, ``(N, 8, 8, 2048)`` for 299x299 inputs.
    input_size : (int, int), default=(299, 299)
        Height and width of the model's input, each at least 75 (299 with ``aux_logits``).
    in_channels : int, default=3
        Channels of the input image.
    aux_logits : bool, default=False
        Add the auxiliary classifier ``AuxLogits`` after ``Mixed_6e``; the model then outputs
        ``[logits, aux logits]``. torchvision's layout only.
    layout : {"torchvision", "keras"}, default="torchvision"
        ``"torchvision"``: torchvision's Inception v3. ``"keras"``: keras.applications'
        InceptionV3 (BN without scale, momentum 0.99, average pools that skip the padding, no
        dropout, no auxiliary classifier).
    dropout : float, optional
        Dropout rate before ``fc``; the layout's (0.5 torchvision, 0 keras) if omitted.

    Returns
    -------
    keras.Model
        Named ``inception_v3``; its weight-bearing layers carry torch's dotted module paths.

    Raises
    ------
    ValueError
        If an option is out of range, or ``aux_logits`` is asked where it cannot be built.
    """
    layout_spec, dropout, size = check_inception_v3_options(
        aux_logits=aux_logits,
        layout=layout,
        num_classes=num_classes,
        input_size=input_size,
        in_channels=in_channels,
        dropout=dropout,
    )
    inputs = _layers.input_layer(size, in_channels)
    x, aux = inputs, None
    for layer in INCEPTION_V3_LAYERS:
        if isinstance(layer, Conv):
            x = conv_bn_relu(
                x,
                layer.filters,
                layer.kernel_size,
                name=layer.name,
                stride=layer.stride,
                padding=layer.padding,
                norm=_norm(layout_spec),
            )
        elif isinstance(layer, Block):
            x = _BLOCKS[layer.kind](x, *layer.widths, name=layer.name, layout=layout_spec)
        else:
            x = _layers.max_pool2d(
                x,
                layer.kernel_size,
                name=layer.name,
                stride=layer.stride,
                ceil_mode=layer.ceil_mode,
            )
        if layer.name == INCEPTION_V3_AUX_AFTER and aux_logits and include_top:
            aux = aux_classifier(x, num_classes, name="AuxLogits", layout=layout_spec)
    if include_top:
        x = kl.GlobalAveragePooling2D(name="avgpool")(x)
        x = kl.Dropout(dropout, name="dropout")(x)
        x = _layers.linear(x, num_classes, name="fc")
    outputs = [x, aux] if aux is not None else x
    return keras.Model(inputs, outputs, name="inception_v3")
