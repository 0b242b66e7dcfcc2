"""GoogLeNet (Inception v1; Szegedy et al. 2014) in Keras 3, in torchvision's layout or the paper's.

``layout="paper"``: convolutions with biases, no BatchNorm, a true 5x5 third branch, dropout 0.4
(see the torch twin).

The twin of ``reference/torch_models/googlenet.py``, built from the same table
(``cnnlab.reference.catalog.inception.GOOGLENET_LAYERS``): every layer with weights is named with the
dotted path of its torch module (``"conv1.conv"``, ``"inception3a.branch2.1.bn"``,
``"aux1.fc1"``, ``"fc"``).

With auxiliary classifiers the model has three outputs, ``[logits, aux2 logits, aux1 logits]``
(torchvision's order), in training and inference alike; Keras has no mode-dependent outputs.
The auxiliary classifiers flatten a 4x4x128 map in Keras' ``H, W, C`` order, so porting ``aux1.fc1``
and ``aux2.fc1`` from torch permutes their kernels (``cnnlab.reference.porting`` does).
"""

from __future__ import annotations

from functools import partial

import keras
import numpy as np
from keras import layers as kl

from cnnlab.errors import UsageError

from ..catalog.inception import (
    GOOGLENET_AUX,
    GOOGLENET_BN_EPSILON,
    GOOGLENET_BN_MOMENTUM,
    GOOGLENET_LAYERS,
    GOOGLENET_LAYOUTS,
    Block,
    Conv,
    check_googlenet_options,
)
from . import _layers


@keras.saving.register_keras_serializable(package="cnnlab")
class AdaptiveAveragePooling2D(kl.Layer):
    """``torch.nn.functional.adaptive_avg_pool2d`` for a known input size.

    Output cell ``i`` of a side of ``n`` pixels averages pixels ``floor(i * n / out)`` up to
    ``ceil((i + 1) * n / out)`` (exclusive): windows that may differ in size and overlap, which
    no ``AveragePooling2D`` reproduces. The average is a product with constant 0/1-over-count
    matrices, one per spatial axis.
    """

    def __init__(self, output_size, **kwargs):
        super().__init__(**kwargs)
        self.output_size = tuple(int(side) for side in _pair(output_size))

    @staticmethod
    def _averaging_matrix(size, out):
        matrix = np.zeros((out, size), dtype="float32")
        for i in range(out):
            start, stop = (i * size) // out, -(-(i + 1) * size // out)
            matrix[i, start:stop] = 1.0 / (stop - start)
        return matrix

    def build(self, input_shape):
        height, width = input_shape[1:3]
        if height is None or width is None:
            raise UsageError(f"{self.name} needs a known input height and width")
        self._rows = self._averaging_matrix(height, self.output_size[0])
        self._cols = self._averaging_matrix(width, self.output_size[1])

    def call(self, x):
        rows = keras.ops.convert_to_tensor(self._rows, dtype=x.dtype)
        cols = keras.ops.convert_to_tensor(self._cols, dtype=x.dtype)
        x = keras.ops.einsum("ph,nhwc->npwc", rows, x)
        return keras.ops.einsum("qw,npwc->npqc", cols, x)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *self.output_size, input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "output_size": self.output_size}


def _pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


def conv_bn_relu(x, filters, kernel_size, *, name, stride=1, padding=0, norm=None):
    """A bias-free convolution (``<name>.conv``), BatchNorm (``<name>.bn``) and a ReLU.

    ``norm(x, name=...)`` applies the BatchNorm; Inception v3's keras.applications layout passes
    one without a learned scale.
    """
    if norm is None:
        norm = partial(
            _layers.batch_norm,
            epsilon=GOOGLENET_BN_EPSILON,
            momentum=1.0 - GOOGLENET_BN_MOMENTUM,
        )
    x = _layers.conv2d(
        x, filters, kernel_size, name=f"{name}.conv", stride=stride, padding=padding, use_bias=False
    )
    x = norm(x, name=f"{name}.bn")
    return kl.ReLU(name=f"{name}.relu")(x)


def conv_relu(x, filters, kernel_size, *, name, stride=1, padding=0):
    """A convolution with a bias (``<name>.conv``) and a ReLU: the paper's unit."""
    x = _layers.conv2d(x, filters, kernel_size, name=f"{name}.conv", stride=stride, padding=padding)
    return kl.ReLU(name=f"{name}.relu")(x)


def _unit(layout):
    return conv_bn_relu if layout.batch_norm else conv_relu


def inception_block(x, widths, *, name, layout=GOOGLENET_LAYOUTS["torchvision"]):
    """Four parallel branches concatenated along channels (the paper's Figure 2b).

    ``branch1`` 1x1; ``branch2`` 1x1 then 3x3; ``branch3`` 1x1 then the paper's "5x5" (a 3x3 in
    torchvision's layout, a 5x5 in the paper's); ``branch4`` 3x3/1 max pool then a 1x1 projection.
    """
    unit, k5 = _unit(layout), layout.branch3_kernel
    c1, c3_reduce, c3, c5_reduce, c5, pool_proj = widths
    b1 = unit(x, c1, 1, name=f"{name}.branch1")
    b2 = unit(x, c3_reduce, 1, name=f"{name}.branch2.0")
    b2 = unit(b2, c3, 3, padding=1, name=f"{name}.branch2.1")
    b3 = unit(x, c5_reduce, 1, name=f"{name}.branch3.0")
    b3 = unit(b3, c5, k5, padding=k5 // 2, name=f"{name}.branch3.1")
    b4 = _layers.max_pool2d(x, 3, name=f"{name}.branch4.0", stride=1, padding=1, ceil_mode=True)
    b4 = unit(b4, pool_proj, 1, name=f"{name}.branch4.1")
    return kl.Concatenate(name=f"{name}.cat")([b1, b2, b3, b4])


def aux_classifier(x, num_classes, *, name, dropout, layout=GOOGLENET_LAYOUTS["torchvision"]):
    """Auxiliary classifier: 4x4 average pool, 1x1 conv (128), fc 1024 + ReLU, dropout, fc."""
    # adaptive: a 14x14 map (224x224 input) gives the paper's 5x5/3 pooling's 4x4
    x = AdaptiveAveragePooling2D((4, 4), name=f"{name}.avgpool")(x)
    x = _unit(layout)(x, 128, 1, name=f"{name}.conv")
    x = kl.Flatten(name=f"{name}.flatten")(x)
    x = _layers.linear(x, 1024, name=f"{name}.fc1")
    x = kl.ReLU(name=f"{name}.relu")(x)
    x = kl.Dropout(dropout, name=f"{name}.dropout")(x)
    return _layers.linear(x, num_classes, name=f"{name}.fc2")


def googlenet(
    *,
    num_classes=1000,
    include_top=True,
    input_size=(224, 224),
    in_channels=3,
    aux_logits=False,
    dropout=None,
    dropout_aux=0.7,
    layout="torchvision",
):
    """Build GoogLeNet as a functional ``keras.Model`` taking ``(N, H, W, C)``.

    Parameters
    ----------
    num_classes : int, default=1000
        Width of the final ``fc`` layer (and of the auxiliary classifiers' ``fc2``); logits,
        no softmax.
    include_top : bool, default=True
        False drops the average pool, dropout, ``fc`` and the auxiliary classifiers: the model
        returns the ``inception5b`` map, ``(N, 7, 7, 1024)`` for 224x224 inputs.
    input_size : (int, int), default=(224, 224)
        Height and width of the model's input, each at least 32.
    in_channels : int, default=3
        Channels of the input image.
    aux_logits : bool, default=False
        Add the auxiliary classifiers ``aux1`` (after ``inception4a``) and ``aux2`` (after
        ``inception4d``); the model then outputs ``[logits, aux2 logits, aux1 logits]``.
    dropout : float, optional
        Dropout rate before ``fc``; by default the layout's (0.2 torchvision, 0.4 paper).
    dropout_aux : float, default=0.7
        Dropout rate before each auxiliary classifier's ``fc2``.
    layout : {"torchvision", "paper"}, default="torchvision"
        torchvision's layout (BatchNorm, a 3x3 "5x5" branch) or the paper's (biases, no
        BatchNorm, a true 5x5 branch).

    Returns
    -------
    keras.Model
        Named ``googlenet``; its weight-bearing layers carry torch's dotted module paths.

    Raises
    ------
    ValueError
        If an option is out of range; the message names it.
    """
    spec, dropout, size = check_googlenet_options(
        aux_logits=aux_logits,
        num_classes=num_classes,
        input_size=input_size,
        in_channels=in_channels,
        dropout=dropout,
        dropout_aux=dropout_aux,
        layout=layout,
    )
    unit = _unit(spec)
    taps = (
        {block: aux for aux, block in GOOGLENET_AUX.items()} if aux_logits and include_top else {}
    )
    inputs = _layers.input_layer(size, in_channels)
    x, aux = inputs, {}
    for layer in GOOGLENET_LAYERS:
        if isinstance(layer, Conv):
            x = unit(
                x,
                layer.filters,
                layer.kernel_size,
                name=layer.name,
                stride=layer.stride,
                padding=layer.padding,
            )
        elif isinstance(layer, Block):
            x = inception_block(x, layer.widths, name=layer.name, layout=spec)
        else:
            x = _layers.max_pool2d(
                x,
                layer.kernel_size,
                name=layer.name,
                stride=layer.stride,
                ceil_mode=layer.ceil_mode,
            )
        if layer.name in taps:
            aux[taps[layer.name]] = aux_classifier(
                x, num_classes, name=taps[layer.name], dropout=dropout_aux, layout=spec
            )
    if include_top:
        x = kl.GlobalAveragePooling2D(name="avgpool")(x)
        x = kl.Dropout(dropout, name="dropout")(x)
        x = _layers.linear(x, num_classes, name="fc")
    outputs = [x, aux["aux2"], aux["aux1"]] if aux else x
    return keras.Model(inputs, outputs, name="googlenet")
