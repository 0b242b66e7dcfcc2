"""A fake: an output built from the input's shape only. The model has no layers and returns
zeros of the right shape, so a test that only looks at the output shape would pass it; the
grader wants the output to come from the model's layers and to match the reference."""

import torch
from torch import nn

try:  # the Keras half; a grader with torch alone still grades the torch half
    import keras
except ModuleNotFoundError:
    keras = None


class Shaped(nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        self.num_classes = num_classes

    def forward(self, x):
        return x.new_zeros(x.shape[0], self.num_classes)


class ShapedKeras(keras.Model):
    def __init__(self, num_classes):
        super().__init__()
        self.num_classes = num_classes

    def call(self, x):
        return keras.ops.zeros((keras.ops.shape(x)[0], self.num_classes))


def build(arch, framework, num_classes=1000):
    return Shaped(num_classes) if framework == "torch" else ShapedKeras(num_classes)
