"""Common mistake: AlexNet's first convolution without its padding of 2 (PyTorch; the other
architectures are not done). The map before the classifier is 5x5 instead of 6x6; an adaptive
average pool, as torchvision has, stretches it back to 6x6, so every weight has the right shape
and the parameter count is right, but conv1 gives 54x54 instead of 55x55 and the function
differs."""

import torch
from torch import nn


def build(arch, framework, num_classes=1000):
    if (arch, framework) != ("alexnet", "torch"):
        raise NotImplementedError(f"{arch} in {framework}")
    return nn.Sequential(
        nn.Conv2d(3, 96, 11, stride=4), nn.ReLU(), nn.MaxPool2d(3, 2),  # padding forgotten
        nn.Conv2d(96, 256, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.AdaptiveAvgPool2d((6, 6)), nn.Flatten(),
        nn.Dropout(), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(),
        nn.Dropout(), nn.Linear(4096, 4096), nn.ReLU(),
        nn.Linear(4096, num_classes),
    )
