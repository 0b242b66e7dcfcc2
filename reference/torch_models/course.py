"""The course CNNs in PyTorch: Conv2D(32, 3x3, valid) + ReLU, MaxPool 2, Flatten, Dense 64 + ReLU,
Dense 10.

The same builder serves ``course_mnist`` (28x28x1) and ``course_cifar`` (32x32x3); only the input
differs, and with it the width of the first dense layer (13·13·32 = 5,408 or 15·15·32 = 7,200).
"""

from __future__ import annotations

import torch
from torch import nn

from ..catalog.classic import COURSE_LAYERS, feature_size


class CourseCNN(nn.Module):
    """The course CNN: ``features`` (conv, ReLU, pool) and, with the top, ``classifier``.

    Parameters
    ----------
    in_channels : int
        Input channels.
    feature_side : (int, int)
        Height and width of the pooled maps, which fix the width of the first dense layer.
    num_classes : int or None
        Output width; None builds no classifier and ``forward`` returns the pooled maps.
    """

    def __init__(self, *, in_channels: int, feature_side: tuple[int, int], num_classes: int | None):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 32, kernel_size=3),  # valid: 28 -> 26 (MNIST), 32 -> 30
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),  # 26 -> 13, 30 -> 15
        )
        self.classifier = None
        if num_classes is not None:
            height, width = feature_side
            self.classifier = nn.Sequential(
                nn.Linear(32 * height * width, 64),
                nn.ReLU(inplace=True),
                nn.Linear(64, num_classes),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        if self.classifier is None:
            return x
        return self.classifier(torch.flatten(x, 1))


def course_cnn(
    *,
    num_classes: int,
    include_top: bool,
    input_size: tuple[int, int],
    in_channels: int,
) -> CourseCNN:
    """Build the course CNN.

    Parameters
    ----------
    num_classes : int
        Width of the output layer.
    include_top : bool
        False returns the convolutional part: its output is ``(N, 32, H', W')``.
    input_size : (int, int)
        Input height and width; at least 4x4.
    in_channels : int
        Input channels (1 for MNIST, 3 for CIFAR-10).

    Returns
    -------
    CourseCNN
        Takes ``(N, in_channels, H, W)``; returns logits ``(N, num_classes)`` or the pooled maps.

    Raises
    ------
    ValueError
        If ``input_size`` is smaller than 4x4.
    """
    side = feature_size("course_cnn", COURSE_LAYERS, input_size)
    return CourseCNN(
        in_channels=in_channels,
        feature_side=side,
        num_classes=num_classes if include_top else None,
    )
