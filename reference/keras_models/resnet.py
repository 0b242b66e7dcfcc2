"""ResNet-18/34/50/101/152 (He et al. 2015) in Keras 3.

The twin of ``reference/torch_models/resnet.py``: every layer with weights is named with the
dotted path of its torch module (``"conv1"``, ``"layer1.0.downsample.0"``, ``"fc"``). The default
layout is torchvision's (v1.5); ``layout="keras"`` is keras.applications' ResNet v1 (see
``cnnlab.reference.catalog.resnet.LAYOUTS``) and equals ``keras.applications.ResNet50`` weight for weight.
"""

from __future__ import annotations

import keras
from keras import layers as kl

from ..catalog.resnet import EXPANSION, STAGE_WIDTHS, STEM_WIDTH, check_options
from . import _layers


def _conv(x, filters, kernel_size, *, name, stride=1, layout):
    # symmetric explicit padding: Keras 'same' pads bottom/right only at stride 2
    return _layers.conv2d(
        x,
        filters,
        kernel_size,
        name=name,
        stride=stride,
        padding=kernel_size // 2,
        use_bias=layout.conv_bias,
    )


def _bn(x, *, name, layout):
    return _layers.batch_norm(
        x, name=name, epsilon=layout.bn_epsilon, momentum=1.0 - layout.bn_momentum
    )


def _shortcut(x, filters, *, name, stride, layout):
    """Projection shortcut (option B of the paper) where the shape changes, else identity."""
    if stride == 1 and x.shape[-1] == filters:
        return x
    x = _conv(x, filters, 1, name=f"{name}.downsample.0", stride=stride, layout=layout)
    return _bn(x, name=f"{name}.downsample.1", layout=layout)


def basic_block(x, width, *, name, stride, layout):
    """Two 3x3 convolutions and a shortcut (ResNet-18/34)."""
    identity = _shortcut(x, width * EXPANSION["basic"], name=name, stride=stride, layout=layout)
    out = _conv(x, width, 3, name=f"{name}.conv1", stride=stride, layout=layout)
    out = _bn(out, name=f"{name}.bn1", layout=layout)
    out = kl.ReLU(name=f"{name}.relu1")(out)
    out = _conv(out, width, 3, name=f"{name}.conv2", layout=layout)
    out = _bn(out, name=f"{name}.bn2", layout=layout)
    out = kl.Add(name=f"{name}.add")([out, identity])
    return kl.ReLU(name=f"{name}.out")(out)


def bottleneck(x, width, *, name, stride, layout):
    """1x1 reduce, 3x3, 1x1 expand (x4) and a shortcut (ResNet-50/101/152)."""
    out_width = width * EXPANSION["bottleneck"]
    identity = _shortcut(x, out_width, name=name, stride=stride, layout=layout)
    stride1, stride2 = (stride, 1) if layout.stride_on_1x1 else (1, stride)
    out = _conv(x, width, 1, name=f"{name}.conv1", stride=stride1, layout=layout)
    out = _bn(out, name=f"{name}.bn1", layout=layout)
    out = kl.ReLU(name=f"{name}.relu1")(out)
    out = _conv(out, width, 3, name=f"{name}.conv2", stride=stride2, layout=layout)
    out = _bn(out, name=f"{name}.bn2", layout=layout)
    out = kl.ReLU(name=f"{name}.relu2")(out)
    out = _conv(out, out_width, 1, name=f"{name}.conv3", layout=layout)
    out = _bn(out, name=f"{name}.bn3", layout=layout)
    out = kl.Add(name=f"{name}.add")([out, identity])
    return kl.ReLU(name=f"{name}.out")(out)


_BLOCKS = {"basic": basic_block, "bottleneck": bottleneck}


def _make_layer(x, block, width, blocks, *, name, stride, layout):
    """One stage: the first block changes stride and width, the others keep them."""
    x = block(x, width, name=f"{name}.0", stride=stride, layout=layout)
    for index in range(1, blocks):
        x = block(x, width, name=f"{name}.{index}", stride=1, layout=layout)
    return x


def _stem_pool(x, *, keras_layout):
    """3x3/2 max pool with one pixel of padding on each side."""
    if keras_layout:
        # keras.applications pads with zeros (harmless after the ReLU, but reproduced exactly)
        x = kl.ZeroPadding2D(1, name="maxpool.pad")(x)
        return kl.MaxPooling2D(3, strides=2, padding="valid", name="maxpool")(x)
    return _layers.max_pool2d(x, 3, name="maxpool", stride=2, padding=1)


def resnet(
    *,
    block,
    layers,
    num_classes=1000,
    include_top=True,
    input_size=(224, 224),
    in_channels=3,
    layout="torchvision",
):
    """Build a ResNet as a functional ``keras.Model`` taking ``(N, H, W, C)``.

    Parameters
    ----------
    block : {"basic", "bottleneck"}
        Residual block: two 3x3 convs (ResNet-18/34) or 1x1-3x3-1x1 (ResNet-50/101/152).
    layers : sequence of 4 int
        Blocks per stage: ``(2, 2, 2, 2)`` for ResNet-18, ``(3, 4, 6, 3)`` for 34 and 50,
        ``(3, 4, 23, 3)`` for 101, ``(3, 8, 36, 3)`` for 152.
    num_classes : int, default=1000
        Width of the final ``fc`` layer (logits, no softmax).
    include_top : bool, default=True
        False drops the average pool and ``fc``: the model returns the ``layer4`` feature map.
    input_size : (int, int), default=(224, 224)
        Height and width of the model's input, each at least 32.
    in_channels : int, default=3
        Channels of the input image.
    layout : {"torchvision", "keras"}, default="torchvision"
        ``"torchvision"``: v1.5, no conv biases, BN epsilon 1e-5. ``"keras"``: keras.applications'
        v1 (stride on the first 1x1 conv, conv biases, BN epsilon 1.001e-5); bottleneck only.

    Returns
    -------
    keras.Model
        Named ``resnet<depth>``; its weight-bearing layers carry torch's dotted module paths.

    Raises
    ------
    ValueError
        If an option is out of range, or ``layout="keras"`` is asked with basic blocks.
    """
    layers, layout_spec, size = check_options(
        block=block,
        layers=layers,
        layout=layout,
        num_classes=num_classes,
        input_size=input_size,
        in_channels=in_channels,
    )
    block_fn = _BLOCKS[block]
    inputs = _layers.input_layer(size, in_channels)
    x = _conv(inputs, STEM_WIDTH, 7, name="conv1", stride=2, layout=layout_spec)
    x = _bn(x, name="bn1", layout=layout_spec)
    x = kl.ReLU(name="relu")(x)
    x = _stem_pool(x, keras_layout=layout == "keras")
    for index, (width, blocks) in enumerate(zip(STAGE_WIDTHS, layers, strict=True)):
        stride = 1 if index == 0 else 2
        x = _make_layer(
            x, block_fn, width, blocks, name=f"layer{index + 1}", stride=stride, layout=layout_spec
        )
    if include_top:
        x = kl.GlobalAveragePooling2D(name="avgpool")(x)
        x = _layers.linear(x, num_classes, name="fc")
    # depth = weighted layers: the stem conv, the blocks' convs, the fc
    depth = 2 + sum(layers) * (2 if block == "basic" else 3)
    return keras.Model(inputs, x, name=f"resnet{depth}")
