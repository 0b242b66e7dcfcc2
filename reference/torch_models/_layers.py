"""PyTorch pieces shared by the families."""

from __future__ import annotations

import torch
from torch import nn


class PooledClassifierNet(nn.Module):
    """``features``, then (with the top) ``avgpool``, a flatten and ``classifier``: the shape of
    torchvision's AlexNet and VGG, whose state_dict keys these attribute names reproduce.

    Parameters
    ----------
    features : nn.Sequential
        The convolutional part.
    classifier : nn.Sequential or None
        The dense part; None makes ``forward`` return the last feature map.
    """

    #: Side of the map the classifier reads (the ``AdaptiveAvgPool2d`` target); set by subclasses.
    pooled_side: int

    def __init__(self, features: nn.Sequential, classifier: nn.Sequential | None = None):
        super().__init__()
        self.features = features
        self.avgpool = None
        self.classifier = None
        if classifier is not None:
            self.avgpool = nn.AdaptiveAvgPool2d((self.pooled_side, self.pooled_side))
            self.classifier = classifier

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        if self.classifier is None:
            return x
        return self.classifier(torch.flatten(self.avgpool(x), 1))
