"""LeNet-5, the two small course CNNs, AlexNet (lecture and torchvision layouts) and ZFNet."""

from ._spec import ArchSpec, Fact, Variant

ENTRIES = [
    ArchSpec(
        name="lenet5",
        family="lenet",
        builder="lenet5",
        description="LeNet-5 (LeCun et al. 1998): conv 6 and 16 (5x5), pools, dense 120-84-10",
        input_size=(32, 32),
        in_channels=1,
        num_classes=10,
        fixed_input_size=True,
        min_input_size=32,
        variants={
            "default": Variant(
                "default",
                "tanh activations, average pooling, as in the paper's layer table",
                params=Fact(61_706, "paper"),
                keras_params=Fact(61_706, "paper"),
            ),
        },
    ),
    ArchSpec(
        name="course_mnist",
        family="course",
        builder="course_cnn",
        description="course CNN for 28x28x1: Conv32(3x3)-MaxPool-Flatten-Dense64-Dense10",
        input_size=(28, 28),
        in_channels=1,
        num_classes=10,
        fixed_input_size=True,
        min_input_size=28,
        variants={
            "default": Variant(
                "default",
                "valid 3x3 convolution, 2x2 max pooling",
                params=Fact(347_146, "paper"),
                keras_params=Fact(347_146, "paper"),
            ),
        },
    ),
    ArchSpec(
        name="course_cifar",
        family="course",
        builder="course_cnn",
        description="course CNN for 32x32x3: Conv32(3x3)-MaxPool-Flatten-Dense64-Dense10",
        input_size=(32, 32),
        in_channels=3,
        num_classes=10,
        fixed_input_size=True,
        min_input_size=32,
        variants={
            "default": Variant(
                "default",
                "valid 3x3 convolution, 2x2 max pooling",
                params=Fact(462_410, "paper"),
                keras_params=Fact(462_410, "paper"),
            ),
        },
    ),
    ArchSpec(
        name="alexnet",
        family="alexnet",
        builder="alexnet",
        description="AlexNet single tower 96-256-384-384-256 (lecture table), no LRN",
        kwargs={"cfg": "alexnet"},
        input_size=(224, 224),
        fixed_input_size=True,
        min_input_size=63,
        variants={
            "default": Variant(
                "default",
                "conv1 11x11/4 pad 2, overlapping 3x3/2 max pooling, dropout 0.5",
                params=Fact(62_378_344, "paper"),
                keras_params=Fact(62_378_344, "paper"),
            ),
        },
    ),
    ArchSpec(
        name="alexnet_tv",
        family="alexnet",
        builder="alexnet",
        description="AlexNet as torchvision builds it: 64-192-384-256-256",
        kwargs={"cfg": "alexnet_tv"},
        input_size=(224, 224),
        fixed_input_size=True,
        min_input_size=63,
        variants={
            "default": Variant(
                "default",
                "torchvision's layout (One weird trick, Krizhevsky 2014)",
                params=Fact(61_100_840, "torchvision"),
                keras_params=Fact(61_100_840, "torchvision"),
                gmacs=Fact(0.714, "torchvision"),
                canonical=("torchvision", "alexnet"),
            ),
        },
    ),
    ArchSpec(
        name="zfnet",
        family="alexnet",
        builder="alexnet",
        description="ZFNet (Zeiler and Fergus 2013): conv1 7x7/2, conv2 5x5/2, 384-384-256",
        kwargs={"cfg": "zfnet"},
        input_size=(224, 224),
        fixed_input_size=True,
        min_input_size=63,
        variants={
            "default": Variant(
                "default",
                "AlexNet with the smaller, denser first layers of the ZFNet paper",
                params=None,  # filled by the architecture's author from paper arithmetic
                keras_params=None,
            ),
        },
    ),
]
