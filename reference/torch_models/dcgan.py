"""DCGAN generator and discriminator (Radford et al. 2016) in PyTorch.

The layer tables and the choice of layouts are in ``cnnlab.reference.catalog.gan``. Modules sit in
one ``nn.Sequential`` named ``main`` with the indices of PyTorch's DCGAN example, so a checkpoint
of that example's networks loads into ``dcgan_example_g`` / ``dcgan_example_d`` by name (the
discriminator here stops at the logit; the example's final Sigmoid holds no weights).
"""

from __future__ import annotations

import torch
from torch import nn

from ..catalog.gan import (
    LAYOUTS,
    LEAKY_SLOPE,
    check_generator_call,
    discriminator_layers,
    generator_layers,
)


class DCGANGenerator(nn.Module):
    """Noise ``(N, nz, 1, 1)`` to images ``(N, channels, S, S)`` in [-1, 1].

    Parameters
    ----------
    rows : sequence of (in, out, kernel, stride, padding, output_padding)
        From :func:`cnnlab.reference.catalog.gan.generator_layers`.
    """

    def __init__(self, *, rows):
        super().__init__()
        layers: list[nn.Module] = []
        for i, (cin, cout, k, s, p, op) in enumerate(rows):
            layers.append(nn.ConvTranspose2d(cin, cout, k, s, p, output_padding=op, bias=False))
            if i < len(rows) - 1:
                layers += [nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]
            else:
                layers.append(nn.Tanh())
        self.main = nn.Sequential(*layers)
        self.nz = rows[0][0]

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.dim() == 2:  # (N, nz) noise is accepted too
            z = z[:, :, None, None]
        return self.main(z)


class DCGANDiscriminator(nn.Module):
    """Images ``(N, channels, S, S)`` to logits ``(N, num_classes)``, or the last 4x4 maps.

    Parameters
    ----------
    rows : sequence of (in, out, kernel, stride, padding)
        From :func:`cnnlab.reference.catalog.gan.discriminator_layers`.
    last_channels : int
        Channels of the last 4x4 map.
    dense_head : bool
        A Flatten and a dense logit (the paper) rather than a 4x4 convolution (the example).
    num_classes : int or None
        Logits per image (1 for real/fake); None stops at the 4x4 maps.
    """

    def __init__(self, *, rows, last_channels: int, dense_head: bool, num_classes: int | None):
        super().__init__()
        layers: list[nn.Module] = []
        for i, (cin, cout, k, s, p) in enumerate(rows):
            layers.append(nn.Conv2d(cin, cout, k, s, p, bias=False))
            if i > 0:  # no BatchNorm on the input layer (paper Sec. 3)
                layers.append(nn.BatchNorm2d(cout))
            layers.append(nn.LeakyReLU(LEAKY_SLOPE, inplace=True))
        if num_classes is not None:
            if dense_head:
                layers += [nn.Flatten(), nn.Linear(last_channels * 4 * 4, num_classes, bias=False)]
            else:
                layers += [nn.Conv2d(last_channels, num_classes, 4, 1, 0, bias=False), nn.Flatten()]
        self.main = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x)


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
) -> DCGANGenerator:
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
        5x5 kernels with padding 2 and output padding 1, or 4x4 kernels with padding 1.
    width : int
        ``ngf``: channels of the last hidden layer.
    channels : int
        Channels of the generated images.
    image_size : int
        Side of the generated images (8, 16, 32, 64, ...).

    Returns
    -------
    DCGANGenerator
        Takes ``(N, nz, 1, 1)`` (or ``(N, nz)``); returns ``(N, channels, image_size, image_size)``.

    Raises
    ------
    ValueError
        For an option that does not apply to a generator, an unknown layout, or a bad size.
    """
    check_generator_call("dcgan generator", num_classes=num_classes, include_top=include_top,
                         input_size=input_size)
    rows = generator_layers(layout=layout, nz=in_channels, width=width, channels=channels,
                            image_size=image_size)
    return DCGANGenerator(rows=rows)


def dcgan_discriminator(
    *,
    num_classes: int,
    include_top: bool,
    input_size: tuple[int, int],
    in_channels: int,
    layout: str,
    width: int,
    image_size: int,
) -> DCGANDiscriminator:
    """Build a DCGAN discriminator.

    Parameters
    ----------
    num_classes : int
        Logits per image (1: real or fake).
    include_top : bool
        False stops at the last 4x4 feature maps ``(N, C, 4, 4)`` (at the default input size).
    input_size : (int, int)
        Image height and width; ``image_size`` x ``image_size`` with the top.
    in_channels : int
        Image channels.
    layout : {"paper", "example"}
    width : int
        ``ndf``: channels of the first convolution.
    image_size : int
        The side the head is built for.

    Returns
    -------
    DCGANDiscriminator
        Takes ``(N, in_channels, H, W)``; returns logits ``(N, num_classes)`` or the 4x4 maps.
    """
    rows, last = discriminator_layers(layout=layout, width=width, channels=in_channels,
                                      image_size=image_size)
    return DCGANDiscriminator(rows=rows, last_channels=last, dense_head=LAYOUTS[layout]["dense_head"],
                              num_classes=num_classes if include_top else None)
