"""MobileNetV2 (Sandler et al. 2018) in Keras 3.

The twin of ``reference/torch_models/mobilenet.py``: every layer with weights is named with the
dotted path of its torch module (``"features.0.0"``, ``"features.1.conv.0.0"``, ``"classifier.1"``);
depthwise convolutions are ``DepthwiseConv2D`` (torch ``Conv2d(groups=C)``). The default layout is
torchvision's; ``layout="keras"`` is keras.applications' MobileNetV2 (stride-2 convolutions pad
bottom/right only for even sides, BN epsilon 1e-3, momentum 0.999) and equals
``keras.applications.MobileNetV2`` weight for weight. Its explicit paddings are ``ZeroPadding2D``
layers named like their torch twins (``"features.0.pad"``, ``"features.2.conv.1.pad"``).

The convolutional base ends with the last 1x1 convolution's BatchNorm and ReLU6
(``"features.18.2"``), as keras.applications' base does.
"""

from __future__ import annotations

import keras
from keras import layers as kl

from ..catalog.mobilenet import check_options
from . import _layers


def _bn(x, *, name, layout):
    return _layers.batch_norm(
        x, name=name, epsilon=layout.bn_epsilon, momentum=1.0 - layout.bn_momentum
    )


def _conv_bn_relu(x, filters, kernel_size, *, name, stride=1, depthwise=False, pad=None, layout):
    """Conv, BN, ReLU6 as ``<name>.0``, ``.1``, ``.2`` (torchvision's ``Conv2dNormActivation``).

    ``pad`` = ``((top, bottom), (left, right))`` puts an explicit zero padding, ``<name>.pad``, in
    front of an unpadded convolution; without it the convolution pads ``kernel_size // 2`` on
    every side.
    """
    padding = kernel_size // 2
    if pad is not None:
        x = kl.ZeroPadding2D(pad, name=f"{name}.pad")(x)
        padding = 0
    if depthwise:
        x = _layers.depthwise_conv2d(
            x, kernel_size, name=f"{name}.0", stride=stride, padding=padding
        )
    else:
        x = _layers.conv2d(
            x,
            filters,
            kernel_size,
            name=f"{name}.0",
            stride=stride,
            padding=padding,
            use_bias=False,
        )
    x = _bn(x, name=f"{name}.1", layout=layout)
    return kl.ReLU(max_value=6.0, name=f"{name}.2")(x)


def inverted_residual(x, block, *, name, layout):
    """1x1 expansion (if t > 1), 3x3 depthwise, linear 1x1 projection; a shortcut if shapes allow."""
    out, index = x, 0
    if block.expand:
        out = _conv_bn_relu(out, block.hidden, 1, name=f"{name}.conv.0", layout=layout)
        index = 1
    out = _conv_bn_relu(
        out,
        block.hidden,
        3,
        name=f"{name}.conv.{index}",
        stride=block.stride,
        depthwise=True,
        pad=block.pad,
        layout=layout,
    )
    # the projection is linear: no ReLU after it (the paper's "linear bottleneck")
    out = _layers.conv2d(
        out, block.out_channels, 1, name=f"{name}.conv.{index + 1}", use_bias=False
    )
    out = _bn(out, name=f"{name}.conv.{index + 2}", layout=layout)
    if block.residual:
        out = kl.Add(name=f"{name}.add")([x, out])
    return out


def mobilenet_v2(
    *,
    width_mult=1.0,
    layout="torchvision",
    num_classes=1000,
    include_top=True,
    input_size=(224, 224),
    in_channels=3,
    dropout=None,
):
    """Build a MobileNetV2 as a functional ``keras.Model`` taking ``(N, H, W, C)``.

    Parameters
    ----------
    width_mult : float, default=1.0
        Width multiplier alpha: every width is scaled by it and rounded to a multiple of 8 (the
        last conv keeps 1280 channels for ``width_mult < 1``).
    layout : {"torchvision", "keras"}, default="torchvision"
        ``"torchvision"``: symmetric padding, BN epsilon 1e-5, momentum 0.9. ``"keras"``:
        keras.applications' bottom/right padding on stride 2, BN epsilon 1e-3, momentum 0.999,
        and its channel rounding (the scaled width is truncated to an int first).
    num_classes : int, default=1000
        Width of ``classifier.1`` (logits, no softmax).
    include_top : bool, default=True
        False drops the average pool and classifier: the model returns the map after the last
        conv's BatchNorm and ReLU6 (1280 channels).
    input_size : (int, int), default=(224, 224)
        Height and width of the model's input, each at least 32.
    in_channels : int, default=3
        Channels of the input image.
    dropout : float, optional
        Dropout probability before the classifier; by default 0.2 for ``"torchvision"`` and 0 for
        ``"keras"`` (keras.applications has none).

    Returns
    -------
    keras.Model
        Named ``mobilenet_v2``; its weight-bearing layers carry torch's dotted module paths.

    Raises
    ------
    ValueError
        If an option is out of range; the message names it.
    """
    plan = check_options(
        width_mult=width_mult,
        layout=layout,
        num_classes=num_classes,
        include_top=include_top,
        input_size=input_size,
        in_channels=in_channels,
        dropout=dropout,
    )
    layout_spec = plan.layout
    inputs = _layers.input_layer(plan.input_size, plan.in_channels)
    x = _conv_bn_relu(
        inputs,
        plan.stem_channels,
        3,
        name="features.0",
        stride=2,
        pad=plan.stem_pad,
        layout=layout_spec,
    )
    for block in plan.blocks:
        x = inverted_residual(x, block, name=f"features.{block.index}", layout=layout_spec)
    x = _conv_bn_relu(
        x, plan.head_channels, 1, name=f"features.{len(plan.blocks) + 1}", layout=layout_spec
    )
    if plan.include_top:
        x = kl.GlobalAveragePooling2D(name="avgpool")(x)
        x = kl.Dropout(plan.dropout, name="classifier.0")(x)
        x = _layers.linear(x, plan.num_classes, name="classifier.1")
    return keras.Model(inputs, x, name="mobilenet_v2")
