"""Keras building blocks that compute exactly what their ``torch.nn`` namesakes compute.

Torch pads symmetrically; Keras ``padding="same"`` pads bottom/right only when the stride is 2.
Every helper here therefore pads explicitly and runs the layer with ``"valid"`` padding, as
keras.applications does.
"""

from __future__ import annotations

import keras
from keras import layers

from cnnlab.errors import UsageError

from ..layer_names import keras_layer_name

TORCH_BN_EPSILON = 1e-5
TORCH_BN_MOMENTUM = 0.9  # Keras momentum = 1 - torch momentum (0.1)


@keras.saving.register_keras_serializable(package="cnnlab")
class ConstantPad2D(layers.Layer):
    """Pad height and width with a constant (``-inf`` before a max pooling, as torch does)."""

    def __init__(self, padding=((1, 1), (1, 1)), value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.padding = tuple(tuple(int(p) for p in side) for side in padding)
        self.value = float(value)

    def call(self, x):
        (top, bottom), (left, right) = self.padding
        return keras.ops.pad(
            x, [[0, 0], [top, bottom], [left, right], [0, 0]], constant_values=self.value
        )

    def compute_output_shape(self, input_shape):
        n, h, w, c = input_shape
        (top, bottom), (left, right) = self.padding
        return (
            n,
            None if h is None else h + top + bottom,
            None if w is None else w + left + right,
            c,
        )

    def get_config(self):
        return {**super().get_config(), "padding": self.padding, "value": self.value}


def _pairs(value):
    return (value, value) if isinstance(value, int) else tuple(value)


def _pad(x, padding, name, value=0.0):
    ph, pw = _pairs(padding)
    if ph == 0 and pw == 0:
        return x
    if value == 0.0:
        return layers.ZeroPadding2D(((ph, ph), (pw, pw)), name=name)(x)
    return ConstantPad2D(((ph, ph), (pw, pw)), value=value, name=name)(x)


def conv2d(x, filters, kernel_size, *, name, stride=1, padding=0, use_bias=True, groups=1, dilation=1):
    """``torch.nn.Conv2d(..., padding=padding)`` as explicit zero padding plus a valid conv."""
    x = _pad(x, padding, name=f"{name}.pad")
    return layers.Conv2D(
        filters,
        kernel_size,
        strides=stride,
        padding="valid",
        use_bias=use_bias,
        groups=groups,
        dilation_rate=dilation,
        name=keras_layer_name(name),
    )(x)


def depthwise_conv2d(x, kernel_size, *, name, stride=1, padding=0, use_bias=False):
    """``torch.nn.Conv2d(C, C, k, groups=C)``: a depthwise convolution with multiplier 1."""
    x = _pad(x, padding, name=f"{name}.pad")
    return layers.DepthwiseConv2D(
        kernel_size, strides=stride, padding="valid", use_bias=use_bias,
        name=keras_layer_name(name),
    )(x)


def batch_norm(x, *, name, epsilon=TORCH_BN_EPSILON, momentum=TORCH_BN_MOMENTUM, scale=True):
    """``torch.nn.BatchNorm2d`` / ``BatchNorm1d`` over the channel (last) axis."""
    return layers.BatchNormalization(
        axis=-1, epsilon=epsilon, momentum=momentum, scale=scale,
        name=keras_layer_name(name),
    )(x)


def max_pool2d(x, pool_size, *, name, stride=None, padding=0, ceil_mode=False):
    """``torch.nn.MaxPool2d``: padding counts as ``-inf``; ``ceil_mode`` adds bottom/right rows."""
    stride = pool_size if stride is None else stride
    ph, pw = _pairs(padding)
    extra = (0, 0)
    if ceil_mode:
        extra = tuple(
            _ceil_extra(size, k, s, p)
            for size, k, s, p in zip(x.shape[1:3], _pairs(pool_size), _pairs(stride), (ph, pw), strict=True)
        )
    if ph or pw or any(extra):
        x = ConstantPad2D(
            ((ph, ph + extra[0]), (pw, pw + extra[1])), value=float("-inf"), name=f"{name}.pad"
        )(x)
    return layers.MaxPooling2D(pool_size, strides=stride, padding="valid", name=name)(x)


def _ceil_extra(size, kernel, stride, pad):
    """Rows torch's ceil_mode adds at the end (a window must start inside input or left pad)."""
    if size is None:
        raise UsageError("ceil_mode pooling needs a known input size")
    padded = size + 2 * pad
    out_floor = (padded - kernel) // stride + 1
    out_ceil = -(-(padded - kernel) // stride) + 1
    if (out_ceil - 1) * stride >= size + pad:
        out_ceil -= 1
    return max(0, (out_ceil - out_floor) * stride)


def avg_pool2d(x, pool_size, *, name, stride=None, padding=0, count_include_pad=True):
    """``torch.nn.AvgPool2d``; with padding, torch counts the zeros unless told not to."""
    stride = pool_size if stride is None else stride
    ph, pw = _pairs(padding)
    if ph or pw:
        if not count_include_pad:
            raise NotImplementedError("count_include_pad=False with padding has no Keras twin here")
        x = layers.ZeroPadding2D(((ph, ph), (pw, pw)), name=f"{name}.pad")(x)
    return layers.AveragePooling2D(pool_size, strides=stride, padding="valid", name=name)(x)


def linear(x, units, *, name, use_bias=True):
    """``torch.nn.Linear``; the kernel is the transpose of torch's weight."""
    return layers.Dense(units, use_bias=use_bias, name=keras_layer_name(name))(x)


def input_layer(input_size, in_channels, name="input"):
    h, w = input_size
    return keras.Input(shape=(h, w, in_channels), name=name)
