"""Common mistake: Keras' default BatchNorm epsilon (1e-3) in ResNet-18 (Keras; the other
architectures are not done). Everything else is right, so the count and every shape are right;
each BatchNorm divides by sqrt(var + 0.001) instead of sqrt(var + 0.00001), and the outputs
drift apart from the first BatchNorm on."""

try:  # the Keras half; a grader with torch alone still grades the torch half
    import keras
    from keras import layers
except ModuleNotFoundError:
    keras = layers = None


def conv_bn(x, filters, kernel, stride=1):
    if kernel > 1:
        x = layers.ZeroPadding2D(kernel // 2)(x)
    x = layers.Conv2D(filters, kernel, strides=stride, use_bias=False)(x)
    return layers.BatchNormalization()(x)  # should be BatchNormalization(epsilon=1e-5)


def build(arch, framework, num_classes=1000):
    if (arch, framework) != ("resnet18", "keras"):
        raise NotImplementedError(f"{arch} in {framework}")
    x = inputs = keras.Input((224, 224, 3))
    x = layers.ReLU()(conv_bn(x, 64, 7, 2))
    x = layers.MaxPooling2D(3, 2)(layers.ZeroPadding2D(1)(x))
    for stage, width in enumerate((64, 128, 256, 512)):
        for i in range(2):
            stride = 2 if stage and i == 0 else 1
            skip = x if stride == 1 and x.shape[-1] == width else conv_bn(x, width, 1, stride)
            y = conv_bn(layers.ReLU()(conv_bn(x, width, 3, stride)), width, 3)
            x = layers.ReLU()(layers.Add()([y, skip]))
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, layers.Dense(num_classes)(x))
