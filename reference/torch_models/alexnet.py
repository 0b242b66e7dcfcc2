"""AlexNet and ZFNet in PyTorch: one builder, three rows of ``catalog.classic.ALEXNET_CFGS``.

* ``"alexnet"``: the lecture's single-tower AlexNet (Krizhevsky et al. 2012) with the two GPU
  towers merged into 96-256-384-384-256 filters;
* ``"alexnet_tv"``: torchvision's 64-192-384-256-256 layout (Krizhevsky 2014); module paths equal
  torchvision's, so ``load_state_dict(torchvision.models.alexnet().state_dict())`` is strict;
* ``"zfnet"``: Zeiler and Fergus 2013, with a 7x7/2 first and a 5x5/2 second convolution.

None has the local response normalisation (or ZFNet's contrast normalisation) of the papers:
torchvision dropped it and Keras 3 has no such layer, so the twins would differ.
"""

from __future__ import annotations

from torch import nn

from .._validation import check_probability
from ..catalog.classic import alexnet_layers, feature_size
from ._layers import PooledClassifierNet

#: Side of the feature map the classifier reads (``AdaptiveAvgPool2d`` target, as torchvision).
POOLED_SIDE = 6


class AlexNet(PooledClassifierNet):
    """AlexNet's modules under torchvision's names; see :class:`PooledClassifierNet`."""

    pooled_side = POOLED_SIDE


def _features(table, in_channels: int) -> nn.Sequential:
    modules = []
    for filters, kernel, stride, padding in table:
        if filters == "M":
            modules.append(nn.MaxPool2d(kernel, stride=stride, padding=padding))
        else:
            modules.append(nn.Conv2d(in_channels, filters, kernel, stride=stride, padding=padding))
            modules.append(nn.ReLU(inplace=True))
            in_channels = filters
    return nn.Sequential(*modules)


def _classifier(in_features: int, num_classes: int, dropout: float) -> nn.Sequential:
    return nn.Sequential(
        nn.Dropout(dropout),
        nn.Linear(in_features, 4096),
        nn.ReLU(inplace=True),
        nn.Dropout(dropout),
        nn.Linear(4096, 4096),
        nn.ReLU(inplace=True),
        nn.Linear(4096, num_classes),
    )


def alexnet(
    *,
    cfg: str,
    num_classes: int,
    include_top: bool,
    input_size: tuple[int, int],
    in_channels: int,
    dropout: float = 0.5,
) -> AlexNet:
    """Build AlexNet, torchvision's AlexNet or ZFNet.

    Parameters
    ----------
    cfg : {"alexnet", "alexnet_tv", "zfnet"}
        Row of ``ALEXNET_CFGS``.
    num_classes : int
        Width of the last dense layer.
    include_top : bool
        False returns the convolutional part: its output is ``(N, 256, H', W')``.
    input_size : (int, int)
        Input height and width. With the top it must give a 6x6 feature map (224x224 does);
        without, any size from the catalog's ``min_input_size`` up.
    in_channels : int
        Input channels.
    dropout : float, default=0.5
        Drop rate of the two dropout layers before the first two dense layers.

    Returns
    -------
    AlexNet
        Takes ``(N, in_channels, H, W)``; returns logits ``(N, num_classes)`` or feature maps.

    Raises
    ------
    ValueError
        For an unknown ``cfg``, a ``dropout`` outside [0, 1), an input too small, or an input
        that does not give a 6x6 map while ``include_top`` is True.
    """
    table = alexnet_layers(cfg)
    dropout = check_probability(dropout, name="dropout", include_one=False)
    feature_size(cfg, table, input_size, expected=POOLED_SIDE if include_top else None)
    features = _features(table, in_channels)
    if not include_top:
        return AlexNet(features)
    channels = [filters for filters, *_ in table if filters != "M"][-1]
    return AlexNet(features, _classifier(channels * POOLED_SIDE**2, num_classes, dropout))
