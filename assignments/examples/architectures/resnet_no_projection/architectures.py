"""Common mistake: ResNet-18 without the projection shortcut (PyTorch; the other architectures
are not done). Where a block halves the map and doubles the channels, the shortcut subsamples
its input and pads the new channels with zeros (the paper's parameter-free option A) instead of
a 1x1 convolution and BatchNorm: three convolutions and three BatchNorms fewer (173,824
parameters), and another function."""

import torch
from torch import nn


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.stride, self.extra = stride, cout - cin

    def forward(self, x):
        y = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))
        skip = x[:, :, ::self.stride, ::self.stride]
        if self.extra:
            skip = nn.functional.pad(skip, (0, 0, 0, 0, 0, self.extra))
        return torch.relu(y + skip)


def build(arch, framework, num_classes=1000):
    if (arch, framework) != ("resnet18", "torch"):
        raise NotImplementedError(f"{arch} in {framework}")
    blocks, cin = [], 64
    for stage, width in enumerate((64, 128, 256, 512)):
        blocks += [Block(cin, width, 2 if stage else 1), Block(width, width, 1)]
        cin = width
    return nn.Sequential(
        nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(3, 2, 1),
        *blocks, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, num_classes),
    )
