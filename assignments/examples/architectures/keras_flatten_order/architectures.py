"""Common mistake: Keras' flatten order in PyTorch (LeNet-5 and AlexNet; the other
architectures are not done). The maps are moved to height, width, channels before flattening,
as a Keras model would flatten them. Every shape and the count are right, but fc6 (LeNet-5's
first dense layer) reads the values in another order: weights made for torch's C, H, W order,
a torchvision checkpoint for instance, give another function."""

import torch
from torch import nn


class KerasFlatten(nn.Module):
    def forward(self, x):
        return x.permute(0, 2, 3, 1).flatten(1)  # should be torch.flatten(x, 1)


def build(arch, framework, num_classes=1000):
    if framework != "torch" or arch not in ("lenet5", "alexnet"):
        raise NotImplementedError(f"{arch} in {framework}")
    if arch == "lenet5":
        return nn.Sequential(
            nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2), nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2),
            KerasFlatten(), nn.Linear(400, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(),
            nn.Linear(84, num_classes),
        )
    return nn.Sequential(
        nn.Conv2d(3, 96, 11, stride=4, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(96, 256, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2),
        KerasFlatten(),
        nn.Dropout(), nn.Linear(9216, 4096), nn.ReLU(),
        nn.Dropout(), nn.Linear(4096, 4096), nn.ReLU(),
        nn.Linear(4096, num_classes),
    )
