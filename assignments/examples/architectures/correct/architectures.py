"""A correct submission in another style than the instructor's: torch modules with their own
names, each projection shortcut registered before the block's convolutions, and Keras models
written with the functional API and paper-style layer names. The grader matches layers by
structure, so all of this earns full marks."""

import torch
from torch import nn

try:  # the Keras half; a grader with torch alone still grades the torch half
    import keras
    from keras import layers
except ModuleNotFoundError:
    keras = layers = None

INPUTS = {"lenet5": (32, 32, 1)}


def build(arch, framework, num_classes=1000):
    makers = {"torch": TORCH, "keras": KERAS}
    if framework not in makers or arch not in makers[framework]:
        raise ValueError(f"unknown arch/framework {arch!r}/{framework!r}")
    return makers[framework][arch](num_classes)


# --------------------------------------------------------------------------------------- torch


class LeNet5(nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, kernel_size=5)
        self.c3 = nn.Conv2d(6, 16, kernel_size=5)
        self.f5 = nn.Linear(400, 120)
        self.f6 = nn.Linear(120, 84)
        self.out = nn.Linear(84, num_classes)
        self.pool = nn.AvgPool2d(2)

    def forward(self, x):
        x = self.pool(torch.tanh(self.c1(x)))
        x = self.pool(torch.tanh(self.c3(x)))
        x = torch.flatten(x, 1)
        return self.out(torch.tanh(self.f6(torch.tanh(self.f5(x)))))


class AlexNet(nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 96, 11, stride=4, padding=2)
        self.conv2 = nn.Conv2d(96, 256, 5, padding=2)
        self.conv3 = nn.Conv2d(256, 384, 3, padding=1)
        self.conv4 = nn.Conv2d(384, 384, 3, padding=1)
        self.conv5 = nn.Conv2d(384, 256, 3, padding=1)
        self.fc6 = nn.Linear(256 * 6 * 6, 4096)
        self.fc7 = nn.Linear(4096, 4096)
        self.fc8 = nn.Linear(4096, num_classes)
        self.drop = nn.Dropout(0.5)

    def forward(self, x):
        pool = nn.functional.max_pool2d
        x = pool(torch.relu(self.conv1(x)), 3, 2)
        x = pool(torch.relu(self.conv2(x)), 3, 2)
        x = torch.relu(self.conv4(torch.relu(self.conv3(x))))
        x = pool(torch.relu(self.conv5(x)), 3, 2)
        x = torch.relu(self.fc6(self.drop(x.flatten(1))))
        return self.fc8(torch.relu(self.fc7(self.drop(x))))


class VGG16(nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        convs, channels = [], 3
        for width, repeat in ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3)):
            for _ in range(repeat):
                convs += [nn.Conv2d(channels, width, 3, padding=1), nn.ReLU(inplace=True)]
                channels = width
            convs.append(nn.MaxPool2d(2, 2))
        self.features = nn.Sequential(*convs)
        self.head = nn.Sequential(nn.Linear(25088, 4096), nn.ReLU(True), nn.Dropout(),
                                  nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(),
                                  nn.Linear(4096, num_classes))

    def forward(self, x):
        return self.head(torch.flatten(self.features(x), 1))


class Residual(nn.Module):
    """A basic (two 3x3) or bottleneck (1x1, 3x3, 1x1) block; the projection comes first."""

    def __init__(self, cin, width, stride, bottleneck):
        super().__init__()
        cout = width * (4 if bottleneck else 1)
        self.project = None
        if stride != 1 or cin != cout:
            self.project = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
        if bottleneck:
            shapes = [(cin, width, 1, 1), (width, width, 3, stride), (width, cout, 1, 1)]
        else:
            shapes = [(cin, width, 3, stride), (width, width, 3, 1)]
        self.convs = nn.ModuleList(nn.Conv2d(a, b, k, s, k // 2, bias=False) for a, b, k, s in shapes)
        self.norms = nn.ModuleList(nn.BatchNorm2d(b) for _, b, _, _ in shapes)

    def forward(self, x):
        y = x
        for i, (conv, norm) in enumerate(zip(self.convs, self.norms)):
            y = norm(conv(y))
            y = torch.relu(y) if i < len(self.convs) - 1 else y
        skip = x if self.project is None else self.project(x)
        return torch.relu(y + skip)


class ResNet(nn.Module):
    def __init__(self, num_classes, blocks, bottleneck):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64),
                                  nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1))
        body, cin = [], 64
        for stage, (width, count) in enumerate(zip((64, 128, 256, 512), blocks)):
            for i in range(count):
                body.append(Residual(cin, width, 2 if stage > 0 and i == 0 else 1, bottleneck))
                cin = width * (4 if bottleneck else 1)
        self.body = nn.Sequential(*body)
        self.classifier = nn.Linear(cin, num_classes)

    def forward(self, x):
        x = self.body(self.stem(x))
        return self.classifier(x.mean(dim=(2, 3)))


TORCH = {
    "lenet5": LeNet5,
    "alexnet": AlexNet,
    "vgg16": VGG16,
    "resnet18": lambda n: ResNet(n, (2, 2, 2, 2), bottleneck=False),
    "resnet50": lambda n: ResNet(n, (3, 4, 6, 3), bottleneck=True),
}


# --------------------------------------------------------------------------------------- keras


def keras_lenet5(num_classes):
    x = inputs = keras.Input((32, 32, 1))
    x = layers.Conv2D(6, 5, activation="tanh", name="C1")(x)
    x = layers.AveragePooling2D(2, name="S2")(x)
    x = layers.Conv2D(16, 5, activation="tanh", name="C3")(x)
    x = layers.AveragePooling2D(2, name="S4")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(120, activation="tanh", name="C5")(x)
    x = layers.Dense(84, activation="tanh", name="F6")(x)
    return keras.Model(inputs, layers.Dense(num_classes, name="output")(x))


def keras_alexnet(num_classes):
    x = inputs = keras.Input((224, 224, 3))
    x = layers.ZeroPadding2D(2)(x)
    x = layers.Conv2D(96, 11, strides=4, activation="relu", name="conv1")(x)
    x = layers.MaxPooling2D(3, 2)(x)
    x = layers.Conv2D(256, 5, padding="same", activation="relu", name="conv2")(x)
    x = layers.MaxPooling2D(3, 2)(x)
    for name, width in (("conv3", 384), ("conv4", 384), ("conv5", 256)):
        x = layers.Conv2D(width, 3, padding="same", activation="relu", name=name)(x)
    x = layers.MaxPooling2D(3, 2)(x)
    x = layers.Flatten()(x)
    for name in ("fc6", "fc7"):
        x = layers.Dense(4096, activation="relu", name=name)(layers.Dropout(0.5)(x))
    return keras.Model(inputs, layers.Dense(num_classes, name="fc8")(x))


def keras_vgg16(num_classes):
    x = inputs = keras.Input((224, 224, 3))
    for stage, (width, repeat) in enumerate(((64, 2), (128, 2), (256, 3), (512, 3), (512, 3)), 1):
        for i in range(1, repeat + 1):
            x = layers.Conv2D(width, 3, padding="same", activation="relu", name=f"conv{stage}_{i}")(x)
        x = layers.MaxPooling2D(2, name=f"pool{stage}")(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.5)(layers.Dense(4096, activation="relu", name="fc6")(x))
    x = layers.Dropout(0.5)(layers.Dense(4096, activation="relu", name="fc7")(x))
    return keras.Model(inputs, layers.Dense(num_classes, name="fc8")(x))


def _conv_bn(x, filters, kernel, stride=1):
    if kernel > 1:
        x = layers.ZeroPadding2D(kernel // 2)(x)
    x = layers.Conv2D(filters, kernel, strides=stride, use_bias=False)(x)
    return layers.BatchNormalization(epsilon=1e-5)(x)


def keras_resnet(num_classes, blocks, bottleneck):
    x = inputs = keras.Input((224, 224, 3))
    x = layers.ReLU()(_conv_bn(x, 64, 7, 2))
    x = layers.MaxPooling2D(3, 2)(layers.ZeroPadding2D(1)(x))
    for stage, (width, count) in enumerate(zip((64, 128, 256, 512), blocks)):
        for i in range(count):
            stride = 2 if stage > 0 and i == 0 else 1
            cout = width * (4 if bottleneck else 1)
            skip = x if stride == 1 and x.shape[-1] == cout else _conv_bn(x, cout, 1, stride)
            if bottleneck:
                y = layers.ReLU()(_conv_bn(x, width, 1))
                y = layers.ReLU()(_conv_bn(y, width, 3, stride))
                y = _conv_bn(y, cout, 1)
            else:
                y = layers.ReLU()(_conv_bn(x, width, 3, stride))
                y = _conv_bn(y, width, 3)
            x = layers.ReLU()(layers.Add()([y, skip]))
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, layers.Dense(num_classes)(x))


KERAS = {
    "lenet5": keras_lenet5,
    "alexnet": keras_alexnet,
    "vgg16": keras_vgg16,
    "resnet18": lambda n: keras_resnet(n, (2, 2, 2, 2), bottleneck=False),
    "resnet50": lambda n: keras_resnet(n, (3, 4, 6, 3), bottleneck=True),
}
