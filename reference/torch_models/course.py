"""The course CNNs in PyTorch.

``cfg="course"`` (``course_mnist`` 28x28x1, ``course_cifar`` 32x32x3): Conv2D(32, 3x3, valid) +
ReLU, MaxPool 2, Flatten, Dense 64 + ReLU, Dense 10. Only the input differs between the two, and
with it the width of the first dense layer (13·13·32 = 5,408 or 15·15·32 = 7,200).

``cfg="exam"`` (``course_exam``, 224x224x3): the network of the exam question in the lectures,
three valid 3x3 conv + ReLU + 2x2 max-pool stages (32, 64, 128 filters), Flatten (26·26·128 =
86,528), Dense 128 + ReLU, Dropout 0.5, Dense 10. The lecture ends in a softmax; like every
catalog model, this one returns logits.
"""

from __future__ import annotations

import torch
from torch import nn

from ..catalog.classic import course_cfg, feature_size


class CourseCNN(nn.Module):
    """The course CNN: ``features`` (conv, ReLU, pool per stage) and, with the top, ``classifier``.

    Parameters
    ----------
    in_channels : int
        Input channels.
    feature_side : (int, int)
        Height and width of the pooled maps, which fix the width of the first dense layer.
    num_classes : int or None
        Output width; None builds no classifier and ``forward`` returns the pooled maps.
    cfg : {"course", "exam"}
        Key of ``cnnlab.reference.catalog.classic.COURSE_CFGS``.
    """

    def __init__(
        self,
        *,
        in_channels: int,
        feature_side: tuple[int, int],
        num_classes: int | None,
        cfg: str = "course",
    ):
        super().__init__()
        table, width, dropout = course_cfg(cfg)
        features, channels = [], in_channels
        for filters, kernel, stride, _ in table:
            if filters == "M":
                features.append(nn.MaxPool2d(kernel, stride))  # 26 -> 13, 30 -> 15
            else:
                features += [nn.Conv2d(channels, filters, kernel_size=kernel), nn.ReLU(inplace=True)]
                channels = filters
        self.features = nn.Sequential(*features)
        self.classifier = None
        if num_classes is not None:
            height, width_ = feature_side
            head = [nn.Linear(channels * height * width_, width), nn.ReLU(inplace=True)]
            if dropout:
                head.append(nn.Dropout(dropout))
            self.classifier = nn.Sequential(*head, nn.Linear(width, num_classes))

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
    cfg: str = "course",
) -> CourseCNN:
    """Build a course CNN.

    Parameters
    ----------
    num_classes : int
        Width of the output layer.
    include_top : bool
        False returns the convolutional part: its output is ``(N, C, H', W')``.
    input_size : (int, int)
        Input height and width; at least 4x4 (``"course"``) or 22x22 (``"exam"``).
    in_channels : int
        Input channels (1 for MNIST, 3 for CIFAR-10 and the exam network).
    cfg : {"course", "exam"}, default="course"
        The one-stage course CNN or the three-stage network of the exam question.

    Returns
    -------
    CourseCNN
        Takes ``(N, in_channels, H, W)``; returns logits ``(N, num_classes)`` or the pooled maps.

    Raises
    ------
    ValueError
        If ``cfg`` is unknown or ``input_size`` is too small.
    """
    table, _, _ = course_cfg(cfg)
    side = feature_size("course_cnn" if cfg == "course" else f"course_{cfg}", table, input_size)
    return CourseCNN(
        in_channels=in_channels,
        feature_side=side,
        num_classes=num_classes if include_top else None,
        cfg=cfg,
    )
