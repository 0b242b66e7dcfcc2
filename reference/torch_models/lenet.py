"""LeNet-5 (LeCun et al. 1998) in PyTorch.

The layout follows the paper's layer table with two simplifications that every modern rendition
makes, and that the catalog's 61,706 parameters assume:

* C3 connects every S2 map to every C3 map (2,416 parameters, not the paper's sparse 1,516);
* S2 and S4 are plain 2x2 average poolings (no trainable coefficient and bias per map), and the
  output is a dense layer rather than the paper's Euclidean RBF units.

The activation is tanh, as in the paper (it uses a scaled tanh, ``1.7159 * tanh(2x/3)``; plain
tanh is the usual rendition). ``layout="relu_max"`` (catalog variant ``relu_max``) swaps in ReLU and
2x2 max pooling, the layout of the lecture's PyTorch code; the parameters stay 61,706.
"""

from __future__ import annotations

import torch
from torch import nn

from ..catalog.classic import LENET5_LAYERS, feature_size, lenet5_layout

_ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU}
_POOLS = {"avg": nn.AvgPool2d, "max": nn.MaxPool2d}


class LeNet5(nn.Module):
    """LeNet-5: ``features`` (C1, S2, C3, S4) and, with the top, ``classifier`` (C5, F6, output).

    Parameters
    ----------
    in_channels : int
        Input channels (1 for the paper's grey-scale digits).
    feature_side : (int, int)
        Height and width of the S4 maps, which fix the width of the first dense layer.
    num_classes : int or None
        Output width; None builds no classifier and ``forward`` returns the S4 maps.
    layout : {"paper", "relu_max"}
        tanh and average pooling, or ReLU and max pooling.
    """

    def __init__(
        self,
        *,
        in_channels: int,
        feature_side: tuple[int, int],
        num_classes: int | None,
        layout: str = "paper",
    ):
        super().__init__()
        activation, pooling = lenet5_layout(layout)
        act, pool = _ACTIVATIONS[activation], _POOLS[pooling]
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, kernel_size=5),  # C1: 32 -> 28
            act(),
            pool(2),  # S2: 28 -> 14
            nn.Conv2d(6, 16, kernel_size=5),  # C3: 14 -> 10
            act(),
            pool(2),  # S4: 10 -> 5
        )
        self.classifier = None
        if num_classes is not None:
            height, width = feature_side
            self.classifier = nn.Sequential(
                nn.Linear(16 * height * width, 120),  # C5: a 5x5 convolution on 5x5 maps
                act(),
                nn.Linear(120, 84),  # F6
                act(),
                nn.Linear(84, num_classes),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        if self.classifier is None:
            return x
        return self.classifier(torch.flatten(x, 1))


def lenet5(
    *,
    num_classes: int,
    include_top: bool,
    input_size: tuple[int, int],
    in_channels: int,
    layout: str = "paper",
) -> LeNet5:
    """Build LeNet-5.

    Parameters
    ----------
    num_classes : int
        Width of the output layer.
    include_top : bool
        False returns the convolutional part: its output is ``(N, 16, H', W')``.
    input_size : (int, int)
        Input height and width; at least 16x16.
    in_channels : int
        Input channels.
    layout : {"paper", "relu_max"}, default="paper"
        ``"paper"``: tanh and 2x2 average pooling (LeCun et al. 1998). ``"relu_max"``: ReLU and
        2x2 max pooling, as the lecture's PyTorch code has it.

    Returns
    -------
    LeNet5
        Takes ``(N, in_channels, H, W)``; returns logits ``(N, num_classes)`` or the S4 maps.

    Raises
    ------
    ValueError
        If ``input_size`` is smaller than 16x16, or ``layout`` is not one of the two.
    """
    lenet5_layout(layout)
    side = feature_size("lenet5", LENET5_LAYERS, input_size)
    return LeNet5(
        in_channels=in_channels,
        feature_side=side,
        num_classes=num_classes if include_top else None,
        layout=layout,
    )
