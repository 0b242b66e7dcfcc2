"""VGG (Simonyan and Zisserman 2014) in PyTorch: configurations A, B, D, E of ``catalog.vgg.CFGS``,
with or without BatchNorm after each convolution.

Module paths equal torchvision's, so ``load_state_dict(torchvision.models.vgg16().state_dict())``
is strict for all eight models. Weights start from PyTorch's default initialisation.
"""

from __future__ import annotations

from torch import nn

from .._validation import check_probability
from ..catalog.classic import feature_size
from ..catalog.vgg import vgg_layers, vgg_name
from ._layers import PooledClassifierNet

#: Side of the feature map the classifier reads (``AdaptiveAvgPool2d`` target, as torchvision).
POOLED_SIDE = 7


class VGG(PooledClassifierNet):
    """VGG's modules under torchvision's names; see :class:`PooledClassifierNet`."""

    pooled_side = POOLED_SIDE


def _features(table, batch_norm: bool, in_channels: int) -> nn.Sequential:
    modules = []
    for filters, kernel, stride, padding in table:
        if filters == "M":
            modules.append(nn.MaxPool2d(kernel, stride=stride))
            continue
        modules.append(nn.Conv2d(in_channels, filters, kernel, stride=stride, padding=padding))
        if batch_norm:
            modules.append(nn.BatchNorm2d(filters))
        modules.append(nn.ReLU(inplace=True))
        in_channels = filters
    return nn.Sequential(*modules)


def _classifier(in_features: int, num_classes: int, dropout: float) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(in_features, 4096),
        nn.ReLU(inplace=True),
        nn.Dropout(dropout),
        nn.Linear(4096, 4096),
        nn.ReLU(inplace=True),
        nn.Dropout(dropout),
        nn.Linear(4096, num_classes),
    )


def vgg(
    *,
    cfg: str,
    batch_norm: bool,
    num_classes: int,
    include_top: bool,
    input_size: tuple[int, int],
    in_channels: int,
    dropout: float = 0.5,
) -> VGG:
    """Build a VGG network.

    Parameters
    ----------
    cfg : {"A", "B", "D", "E"}
        Configuration of the paper's Table 1: VGG-11, -13, -16, -19.
    batch_norm : bool
        Put a BatchNorm (epsilon 1e-5) between each convolution and its ReLU.
    num_classes : int
        Width of the last dense layer.
    include_top : bool
        False returns the convolutional part: its output is ``(N, 512, H/32, W/32)``.
    input_size : (int, int)
        Input height and width. With the top it must give a 7x7 feature map (224x224 does);
        without, any size from 32x32 up.
    in_channels : int
        Input channels.
    dropout : float, default=0.5
        Drop rate of the two dropout layers after the first two dense layers.

    Returns
    -------
    VGG
        Takes ``(N, in_channels, H, W)``; returns logits ``(N, num_classes)`` or feature maps.

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
    features = _features(table, batch_norm, in_channels)
    if not include_top:
        return VGG(features)
    return VGG(features, _classifier(512 * POOLED_SIDE**2, num_classes, dropout))
