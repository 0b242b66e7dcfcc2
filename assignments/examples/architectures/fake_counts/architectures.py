"""A fake: hard-coded parameter counts. The published counts are easy to find, so this model
holds exactly that many numbers in one tensor (PyTorch), or reports them from ``count_params``
(Keras), and classifies with a small dense layer over the image's mean colour. The grader counts
the layers it receives, so neither count earns anything."""

import torch
from torch import nn

try:  # the Keras half; a grader with torch alone still grades the torch half
    import keras
    from keras import layers
except ModuleNotFoundError:
    keras = layers = None

PUBLISHED = {"lenet5": 61_706, "alexnet": 62_378_344, "vgg16": 138_357_544,
             "resnet18": 11_689_512, "resnet50": 25_557_032}


class Claimed(nn.Module):
    def __init__(self, count, channels, num_classes):
        super().__init__()
        self.head = nn.Linear(channels, num_classes)
        self.weights = nn.Parameter(torch.zeros(count - sum(p.numel() for p in self.head.parameters())))

    def forward(self, x):
        return self.head(x.mean(dim=(2, 3)))


class ClaimedKeras(keras.Model):
    def __init__(self, count, num_classes):
        super().__init__()
        self.count = count
        self.head = layers.Dense(num_classes)

    def call(self, x):
        return self.head(keras.ops.mean(x, axis=(1, 2)))

    def count_params(self):
        return self.count


def build(arch, framework, num_classes=1000):
    count = PUBLISHED[arch]
    channels = 1 if arch == "lenet5" else 3
    if framework == "torch":
        return Claimed(count, channels, num_classes)
    model = ClaimedKeras(count, num_classes)
    model(keras.ops.zeros((1, 32, 32, channels)))  # create the weights
    return model
