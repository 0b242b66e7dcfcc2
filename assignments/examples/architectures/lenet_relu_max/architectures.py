"""LeNet-5 as the lecture writes it: ReLU and 2x2 max pooling (LeNet-5 only, both frameworks).

The layers and the 61,706 parameters are LeNet-5's, so against the assignment's default layout
(tanh and average pooling) params, output and layer shapes pass and only the function fails;
the feedback names the operations that differ. An assignment that picks the catalog's
``relu_max`` variant (``[options] variants = { lenet5 = "relu_max" }``) grades it as correct.
The torch half is written with named modules and functional calls, the Keras half puts the ReLU
inside each layer (``activation="relu"``).
"""

try:  # the torch half; a grader with Keras alone still grades the Keras half
    import torch
    import torch.nn.functional as F
    from torch import nn
except ModuleNotFoundError:
    torch = None


def build(arch, framework, num_classes=1000):
    if arch != "lenet5" or framework not in ("torch", "keras"):
        raise NotImplementedError(f"{arch} in {framework}")
    return torch_lenet(num_classes) if framework == "torch" else keras_lenet(num_classes)


def torch_lenet(num_classes):
    class LeNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 6, 5)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, num_classes)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.conv1(x)), 2)
            x = F.max_pool2d(F.relu(self.conv2(x)), 2)
            x = torch.flatten(x, 1)
            x = F.relu(self.fc1(x))
            x = F.relu(self.fc2(x))
            return self.fc3(x)

    return LeNet()


def keras_lenet(num_classes):
    import keras
    from keras import layers

    return keras.Sequential([
        keras.Input((32, 32, 1)),
        layers.Conv2D(6, 5, activation="relu"), layers.MaxPooling2D(2),
        layers.Conv2D(16, 5, activation="relu"), layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(120, activation="relu"), layers.Dense(84, activation="relu"),
        layers.Dense(num_classes),
    ])
