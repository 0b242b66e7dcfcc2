"""Common mistake: AlexNet's fc6 input size computed by hand as 256 x 5 x 5 (PyTorch; the
other architectures are not done). The convolutions are right, so the map is 6x6x256 = 9,216
values; the model builds, but its forward pass fails at fc6 and the count is off by
(9,216 - 6,400) x 4,096 weights."""

import torch
from torch import nn


def build(arch, framework, num_classes=1000):
    if (arch, framework) != ("alexnet", "torch"):
        raise NotImplementedError(f"{arch} in {framework}")
    return nn.Sequential(
        nn.Conv2d(3, 96, 11, stride=4, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(96, 256, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Flatten(),
        nn.Dropout(), nn.Linear(256 * 5 * 5, 4096), nn.ReLU(),  # should be 256 * 6 * 6
        nn.Dropout(), nn.Linear(4096, 4096), nn.ReLU(),
        nn.Linear(4096, num_classes),
    )
