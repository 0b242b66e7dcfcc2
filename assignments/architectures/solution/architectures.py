"""Five classic CNNs, written from the papers, in PyTorch and in Keras 3 (instructor's solution).

``build(arch, framework, num_classes)`` returns an untrained model: a ``torch.nn.Module`` taking
``(N, C, H, W)`` or a ``keras.Model`` taking ``(N, H, W, C)``. Both frameworks compute the same
function for the same weights: convolutions pad symmetrically (explicit zero padding in Keras,
whose ``"same"`` pads only bottom/right at stride 2), BatchNorm uses epsilon 1e-5, and each
network flattens the way its framework does (torch C, H, W; Keras H, W, C).
"""

ARCHS = ("lenet5", "alexnet", "vgg16", "resnet18", "resnet50")
FRAMEWORKS = ("torch", "keras")

# VGG-16 (configuration D of Simonyan and Zisserman): filters of each 3x3 conv, "M" a 2x2 max pool.
VGG16 = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M")
# ResNet stages: (block kind, blocks per stage); widths 64, 128, 256, 512 (x4 for bottlenecks).
RESNETS = {"resnet18": ("basic", (2, 2, 2, 2)), "resnet50": ("bottleneck", (3, 4, 6, 3))}
WIDTHS = (64, 128, 256, 512)
BN_EPSILON = 1e-5


def build(arch, framework, num_classes=1000):
    """Build ``arch`` in ``framework`` with a ``num_classes``-way classifier."""
    if arch not in ARCHS:
        raise ValueError(f"arch must be one of {', '.join(ARCHS)}, got {arch!r}")
    if framework not in FRAMEWORKS:
        raise ValueError(f"framework must be one of {', '.join(FRAMEWORKS)}, got {framework!r}")
    builder = TorchBuilders if framework == "torch" else KerasBuilders
    method = "resnet" if arch in RESNETS else arch  # one builder for both depths
    return getattr(builder, method)(arch=arch, num_classes=num_classes)


# ---------------------------------------------------------------------------------------- torch


class TorchBuilders:
    @staticmethod
    def lenet5(*, arch, num_classes):
        from torch import nn

        return nn.Sequential(
            nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2),  # 32 -> 28 -> 14
            nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2),  # 14 -> 10 -> 5
            nn.Flatten(),
            nn.Linear(16 * 5 * 5, 120), nn.Tanh(),
            nn.Linear(120, 84), nn.Tanh(),
            nn.Linear(84, num_classes),
        )

    @staticmethod
    def alexnet(*, arch, num_classes):
        from torch import nn

        return nn.Sequential(
            nn.Conv2d(3, 96, 11, stride=4, padding=2), nn.ReLU(),  # 224 -> 55
            nn.MaxPool2d(3, 2),  # 27
            nn.Conv2d(96, 256, 5, padding=2), nn.ReLU(),
            nn.MaxPool2d(3, 2),  # 13
            nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(),
            nn.Conv2d(384, 384, 3, padding=1), nn.ReLU(),
            nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(),
            nn.MaxPool2d(3, 2),  # 6
            nn.Flatten(),
            nn.Dropout(0.5), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(),
            nn.Dropout(0.5), nn.Linear(4096, 4096), nn.ReLU(),
            nn.Linear(4096, num_classes),
        )

    @staticmethod
    def vgg16(*, arch, num_classes):
        from torch import nn

        layers, channels = [], 3
        for item in VGG16:
            if item == "M":
                layers.append(nn.MaxPool2d(2))
            else:
                layers += [nn.Conv2d(channels, item, 3, padding=1), nn.ReLU()]
                channels = item
        return nn.Sequential(
            *layers, nn.Flatten(),  # 512 x 7 x 7
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(), nn.Dropout(0.5),
            nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(0.5),
            nn.Linear(4096, num_classes),
        )

    @staticmethod
    def resnet(*, arch, num_classes):
        from torch import nn

        kind, blocks = RESNETS[arch]
        expansion = 1 if kind == "basic" else 4

        def bn(channels):
            return nn.BatchNorm2d(channels, eps=BN_EPSILON)

        class Block(nn.Module):
            def __init__(self, in_channels, width, stride):
                super().__init__()
                out = width * expansion
                if kind == "basic":
                    self.conv1 = nn.Conv2d(in_channels, width, 3, stride, 1, bias=False)
                    self.bn1 = bn(width)
                    self.conv2 = nn.Conv2d(width, width, 3, 1, 1, bias=False)
                    self.bn2 = bn(width)
                    self.convs = [(self.conv1, self.bn1), (self.conv2, self.bn2)]
                else:  # stride on the 3x3 convolution (ResNet v1.5)
                    self.conv1 = nn.Conv2d(in_channels, width, 1, bias=False)
                    self.bn1 = bn(width)
                    self.conv2 = nn.Conv2d(width, width, 3, stride, 1, bias=False)
                    self.bn2 = bn(width)
                    self.conv3 = nn.Conv2d(width, out, 1, bias=False)
                    self.bn3 = bn(out)
                    self.convs = [(self.conv1, self.bn1), (self.conv2, self.bn2), (self.conv3, self.bn3)]
                self.shortcut = None
                if stride != 1 or in_channels != out:  # projection shortcut where the shape changes
                    self.shortcut = nn.Sequential(nn.Conv2d(in_channels, out, 1, stride, bias=False), bn(out))

            def forward(self, x):
                y = x
                for i, (conv, norm) in enumerate(self.convs):
                    y = norm(conv(y))
                    if i < len(self.convs) - 1:
                        y = y.relu()
                return (y + (x if self.shortcut is None else self.shortcut(x))).relu()

        layers = [nn.Conv2d(3, 64, 7, 2, 3, bias=False), bn(64), nn.ReLU(), nn.MaxPool2d(3, 2, 1)]
        channels = 64
        for stage, (width, count) in enumerate(zip(WIDTHS, blocks, strict=True)):
            for i in range(count):
                layers.append(Block(channels, width, 2 if stage and i == 0 else 1))
                channels = width * expansion
        layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, num_classes)]
        return nn.Sequential(*layers)


# ---------------------------------------------------------------------------------------- keras


class KerasBuilders:
    @staticmethod
    def lenet5(*, arch, num_classes):
        import keras
        from keras import layers

        return keras.Sequential([
            keras.Input((32, 32, 1)),
            layers.Conv2D(6, 5, activation="tanh"), layers.AveragePooling2D(2),
            layers.Conv2D(16, 5, activation="tanh"), layers.AveragePooling2D(2),
            layers.Flatten(),
            layers.Dense(120, activation="tanh"),
            layers.Dense(84, activation="tanh"),
            layers.Dense(num_classes),
        ], name="lenet5")

    @staticmethod
    def alexnet(*, arch, num_classes):
        import keras
        from keras import layers

        return keras.Sequential([
            keras.Input((224, 224, 3)),
            layers.ZeroPadding2D(2), layers.Conv2D(96, 11, strides=4, activation="relu"),  # 55
            layers.MaxPooling2D(3, 2),
            layers.ZeroPadding2D(2), layers.Conv2D(256, 5, activation="relu"),
            layers.MaxPooling2D(3, 2),
            layers.ZeroPadding2D(1), layers.Conv2D(384, 3, activation="relu"),
            layers.ZeroPadding2D(1), layers.Conv2D(384, 3, activation="relu"),
            layers.ZeroPadding2D(1), layers.Conv2D(256, 3, activation="relu"),
            layers.MaxPooling2D(3, 2),  # 6 x 6 x 256
            layers.Flatten(),
            layers.Dropout(0.5), layers.Dense(4096, activation="relu"),
            layers.Dropout(0.5), layers.Dense(4096, activation="relu"),
            layers.Dense(num_classes),
        ], name="alexnet")

    @staticmethod
    def vgg16(*, arch, num_classes):
        import keras
        from keras import layers

        model = keras.Sequential([keras.Input((224, 224, 3))], name="vgg16")
        for item in VGG16:
            if item == "M":
                model.add(layers.MaxPooling2D(2))
            else:
                model.add(layers.Conv2D(item, 3, padding="same", activation="relu"))  # stride 1
        for layer in (layers.Flatten(),
                      layers.Dense(4096, activation="relu"), layers.Dropout(0.5),
                      layers.Dense(4096, activation="relu"), layers.Dropout(0.5),
                      layers.Dense(num_classes)):
            model.add(layer)
        return model

    @staticmethod
    def resnet(*, arch, num_classes):
        import keras
        from keras import layers

        kind, blocks = RESNETS[arch]
        expansion = 1 if kind == "basic" else 4

        def conv_bn(x, filters, kernel, stride=1, relu=True):
            if kernel > 1:
                x = layers.ZeroPadding2D(kernel // 2)(x)  # symmetric, as torch pads
            x = layers.Conv2D(filters, kernel, strides=stride, use_bias=False)(x)
            x = layers.BatchNormalization(epsilon=BN_EPSILON, momentum=0.9)(x)
            return layers.ReLU()(x) if relu else x

        def block(x, width, stride):
            out = width * expansion
            shortcut = x
            if stride != 1 or x.shape[-1] != out:
                shortcut = conv_bn(x, out, 1, stride, relu=False)
            if kind == "basic":
                y = conv_bn(x, width, 3, stride)
                y = conv_bn(y, width, 3, relu=False)
            else:
                y = conv_bn(x, width, 1)
                y = conv_bn(y, width, 3, stride)
                y = conv_bn(y, out, 1, relu=False)
            return layers.ReLU()(layers.Add()([y, shortcut]))

        inputs = keras.Input((224, 224, 3))
        x = conv_bn(inputs, 64, 7, 2)
        x = layers.ZeroPadding2D(1)(x)  # after a ReLU, zeros pad a max pool as -inf would
        x = layers.MaxPooling2D(3, 2)(x)
        for stage, (width, count) in enumerate(zip(WIDTHS, blocks, strict=True)):
            for i in range(count):
                x = block(x, width, 2 if stage and i == 0 else 1)
        x = layers.GlobalAveragePooling2D()(x)
        return keras.Model(inputs, layers.Dense(num_classes)(x), name=arch)
