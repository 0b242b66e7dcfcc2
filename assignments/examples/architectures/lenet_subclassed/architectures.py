"""LeNet-5 written as classes in both frameworks (LeNet-5 only): a torch module with named layers
and functional activations, and a subclassed ``keras.Model`` whose ``call`` wires its layers. The
grader matches layers by structure and checks the function, so the style does not matter: both
earn full marks."""

try:  # the torch half; a grader with Keras alone still grades the Keras half
    import torch
    from torch import nn
except ModuleNotFoundError:
    torch = None


def build(arch, framework, num_classes=1000):
    if arch != "lenet5" or framework not in ("torch", "keras"):
        raise NotImplementedError(f"{arch} in {framework}")
    return TorchLeNet(num_classes) if framework == "torch" else keras_lenet(num_classes)


if torch is not None:
    class TorchLeNet(nn.Module):
        def __init__(self, num_classes):
            super().__init__()
            self.c1, self.c3 = nn.Conv2d(1, 6, 5), nn.Conv2d(6, 16, 5)
            self.f5, self.f6, self.out = nn.Linear(400, 120), nn.Linear(120, 84), nn.Linear(84, num_classes)

        def forward(self, x):
            x = nn.functional.avg_pool2d(torch.tanh(self.c1(x)), 2)
            x = nn.functional.avg_pool2d(torch.tanh(self.c3(x)), 2)
            x = torch.tanh(self.f5(x.flatten(1)))
            return self.out(torch.tanh(self.f6(x)))


def keras_lenet(num_classes):
    import keras
    from keras import layers

    class KerasLeNet(keras.Model):
        def __init__(self):
            super().__init__(name="lenet5")
            self.c1 = layers.Conv2D(6, 5)
            self.c3 = layers.Conv2D(16, 5)
            self.pool = layers.AveragePooling2D(2)
            self.flatten = layers.Flatten()
            self.f5, self.f6 = layers.Dense(120), layers.Dense(84)
            self.out = layers.Dense(num_classes)

        def call(self, x):
            x = self.pool(keras.ops.tanh(self.c1(x)))
            x = self.pool(keras.ops.tanh(self.c3(x)))
            x = keras.ops.tanh(self.f5(self.flatten(x)))
            return self.out(keras.ops.tanh(self.f6(x)))

    return KerasLeNet()  # unbuilt: its weights exist after its first call, which the grader makes
