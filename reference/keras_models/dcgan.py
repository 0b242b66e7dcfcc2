"""DCGAN generator and discriminator (Radford et al. 2016) in Keras 3.

The twin of ``cnnlab.reference.torch_models.dcgan``; layers carry the torch module paths as names.

The trap this file exists for: a torch ``ConvTranspose2d(k, stride=2, padding=p,
output_padding=op)`` crops ``p`` rows from the top and ``p - op`` from the bottom of the full
transposed convolution, while Keras ``Conv2DTranspose(padding="same")`` crops what the matching
``"same"`` convolution padded, which puts the extra row on the other side. For the example's 4x4
kernels (p = 1, op = 0) both crop one row on each side and agree; for the paper's 5x5 kernels
(p = 2, op = 1) torch keeps rows 2..2n+1 and Keras ``"same"`` rows 1..2n: the image is shifted by
one pixel. So every transposed convolution here is ``"valid"`` (the full output) followed by an
explicit crop, which is torch's rule written out.
"""

from __future__ import annotations

import keras
from keras import layers

from cnnlab.errors import UsageError

from ..catalog.gan import (
    LAYOUTS,
    LEAKY_SLOPE,
    check_generator_call,
    discriminator_layers,
    generator_layers,
)
from ..layer_names import keras_layer_name
from ._layers import batch_norm, conv2d, linear


def conv_transpose2d(x, filters, kernel_size, *, name, stride=1, padding=0, output_padding=0,
                     use_bias=False):
    """``torch.nn.ConvTranspose2d``: a ``"valid"`` Keras transposed convolution, then the crop.

    Parameters
    ----------
    x : KerasTensor
    filters, kernel_size, stride : int
    name : str
        The torch module path (the crop layer is ``name + ".crop"``).
    padding, output_padding : int
        As in torch: ``padding`` rows come off the top and left, ``padding - output_padding``
        off the bottom and right.
    use_bias : bool, default=False

    Returns
    -------
    KerasTensor
        Of side ``(n - 1) * stride - 2 * padding + kernel_size + output_padding``.
    """
    if not 0 <= output_padding <= padding:
        raise UsageError(f"output_padding must be between 0 and padding ({padding}); got {output_padding}")
    x = layers.Conv2DTranspose(filters, kernel_size, strides=stride, padding="valid",
                               use_bias=use_bias, name=keras_layer_name(name))(x)
    if padding:
        crop = (padding, padding - output_padding)
        x = layers.Cropping2D((crop, crop), name=f"{name}.crop")(x)
    return x


def dcgan_generator(
    *,
    num_classes: int,
    include_top: bool,
    input_size: tuple[int, int],
    in_channels: int,
    layout: str,
    width: int,
    channels: int,
    image_size: int,
) -> keras.Model:
    """Build a DCGAN generator.

    Parameters
    ----------
    num_classes : int
        Must be 1 (the catalog's value): a generator has no classifier.
    include_top : bool
        Must be True.
    input_size : (int, int)
        Must be (1, 1): the noise is a 1x1 map.
    in_channels : int
        Length of the noise vector ``nz``.
    layout : {"paper", "example"}
    width : int
        ``ngf``: channels of the last hidden layer.
    channels : int
        Channels of the generated images.
    image_size : int
        Side of the generated images (8, 16, 32, 64, ...).

    Returns
    -------
    keras.Model
        Named ``"dcgan_generator"``; takes ``(N, 1, 1, nz)``; returns
        ``(N, image_size, image_size, channels)`` in [-1, 1].
    """
    check_generator_call("dcgan generator", num_classes=num_classes, include_top=include_top,
                         input_size=input_size)
    rows = generator_layers(layout=layout, nz=in_channels, width=width, channels=channels,
                            image_size=image_size)
    inputs = keras.Input(shape=(1, 1, in_channels), name="noise")
    x, index = inputs, 0
    for i, (_cin, cout, k, s, p, op) in enumerate(rows):
        x = conv_transpose2d(x, cout, k, stride=s, padding=p, output_padding=op,
                             name=f"main.{index}")
        if i < len(rows) - 1:
            x = batch_norm(x, name=f"main.{index + 1}")
            x = layers.ReLU(name=f"main.{index + 2}")(x)
            index += 3
        else:
            x = layers.Activation("tanh", name=f"main.{index + 1}")(x)
    return keras.Model(inputs, x, name="dcgan_generator")


def dcgan_discriminator(
    *,
    num_classes: int,
    include_top: bool,
    input_size: tuple[int, int],
    in_channels: int,
    layout: str,
    width: int,
    image_size: int,
) -> keras.Model:
    """Build a DCGAN discriminator.

    Parameters
    ----------
    num_classes : int
        Logits per image (1: real or fake).
    include_top : bool
        False stops at the last 4x4 feature maps ``(N, 4, 4, C)`` (at the default input size).
    input_size : (int, int)
        Image height and width.
    in_channels : int
        Image channels.
    layout : {"paper", "example"}
    width : int
        ``ndf``: channels of the first convolution.
    image_size : int
        The side the head is built for.

    Returns
    -------
    keras.Model
        Named ``"dcgan_discriminator"``; takes ``(N, H, W, in_channels)``; returns logits
        ``(N, num_classes)`` or the 4x4 maps.
    """
    rows, last = discriminator_layers(layout=layout, width=width, channels=in_channels,
                                      image_size=image_size)
    h, w = input_size
    inputs = keras.Input(shape=(h, w, in_channels), name="image")
    x, index = inputs, 0
    for i, (_cin, cout, k, s, p) in enumerate(rows):
        x = conv2d(x, cout, k, stride=s, padding=p, use_bias=False, name=f"main.{index}")
        index += 1
        if i > 0:
            x = batch_norm(x, name=f"main.{index}")
            index += 1
        x = layers.LeakyReLU(negative_slope=LEAKY_SLOPE, name=f"main.{index}")(x)
        index += 1
    if include_top:
        if LAYOUTS[layout]["dense_head"]:
            x = layers.Flatten(name=f"main.{index}")(x)
            x = linear(x, num_classes, use_bias=False, name=f"main.{index + 1}")
        else:
            x = conv2d(x, num_classes, 4, use_bias=False, name=f"main.{index}")
            x = layers.Flatten(name=f"main.{index + 1}")(x)
    return keras.Model(inputs, x, name="dcgan_discriminator")
