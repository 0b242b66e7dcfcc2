"""The course CNNs (course_mnist 28x28x1, course_cifar 32x32x3) in PyTorch and Keras.

The course defines the network as a Keras ``Sequential``: Conv2D(32, (3, 3), activation="relu"),
MaxPooling2D((2, 2)), Flatten, Dense(64, activation="relu"), Dense(10). That definition, written
out below with stock Keras layers, is the independent reference: its ``count_params()`` and its
outputs (with the same weights) must equal ours. Shapes come from valid-convolution arithmetic.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn

# keras (TensorFlow) after torch: see the import order trap in docs/CONVENTIONS.md
keras = pytest.importorskip("keras")

from cnnlab.reference import build
from cnnlab.reference.catalog import get
from cnnlab.reference.keras_models.course import course_cnn as keras_course_cnn
from cnnlab.reference.torch_models.course import course_cnn as torch_course_cnn

from ._helpers import torch_count

# arch -> (input side, channels, side after the 3x3 valid conv, side after the 2x2 pool)
SIZES = {"course_mnist": (28, 1, 26, 13), "course_cifar": (32, 3, 30, 15)}
ARCHS = list(SIZES)


def conv(k, cin, cout):
    return k * k * cin * cout + cout


def dense(nin, nout):
    return nin * nout + nout


def arithmetic_params(arch, num_classes=10):
    _, channels, _, pooled = SIZES[arch]
    base = conv(3, channels, 32)
    return base, base + dense(pooled * pooled * 32, 64) + dense(64, num_classes)


def course_sequential(side, channels):
    """The course's own Keras definition of the network."""
    return keras.Sequential(
        [
            keras.Input(shape=(side, side, channels)),
            keras.layers.Conv2D(32, (3, 3), activation="relu"),
            keras.layers.MaxPooling2D((2, 2)),
            keras.layers.Flatten(),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(10),
        ]
    )


def keras_trainable(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


@pytest.mark.parametrize("arch", ARCHS)
def test_catalog_counts_are_the_course_arithmetic(arch):
    base, total = arithmetic_params(arch)
    variant = get(arch).variant()
    assert variant.params.value == variant.keras_params.value == total
    assert variant.base_params.value == variant.base_keras_params.value == base
    side, channels, _, _ = SIZES[arch]
    assert course_sequential(side, channels).count_params() == total  # Keras' own count


@pytest.mark.parametrize("arch", ARCHS)
def test_torch_params_match_catalog(arch):
    variant = get(arch).variant()
    assert torch_count(build(arch, "torch")) == variant.params.value
    assert torch_count(build(arch, "torch", include_top=False)) == variant.base_params.value
    # Two classes instead of ten: the last layer loses 8 x (64 weights + 1 bias).
    assert torch_count(build(arch, "torch", num_classes=2)) == variant.params.value - 8 * 65


@pytest.mark.parametrize("arch", ARCHS)
def test_keras_params_match_catalog(arch):
    variant = get(arch).variant()
    model = build(arch, "keras")
    assert model.count_params() == keras_trainable(model) == variant.keras_params.value
    assert build(arch, "keras", include_top=False).count_params() == variant.base_keras_params.value
    assert build(arch, "keras", num_classes=2).count_params() == variant.params.value - 8 * 65


@pytest.mark.parametrize("arch", ARCHS)
def test_torch_layer_shapes(arch):
    side, channels, conv_side, pooled = SIZES[arch]
    model = build(arch, "torch").eval()
    seen = {}
    for name in ("features.0", "features.2", "classifier.0", "classifier.2"):
        model.get_submodule(name).register_forward_hook(
            lambda _m, _i, out, name=name: seen.__setitem__(name, tuple(out.shape))
        )
    with torch.no_grad():
        out = model(torch.randn(2, channels, side, side))
    assert seen == {
        "features.0": (2, 32, conv_side, conv_side),
        "features.2": (2, 32, pooled, pooled),
        "classifier.0": (2, 64),
        "classifier.2": (2, 10),
    }
    assert out.shape == (2, 10)
    assert model.classifier[0].in_features == pooled * pooled * 32  # 5,408 / 7,200


@pytest.mark.parametrize("arch", ARCHS)
def test_keras_layer_shapes(arch):
    side, channels, conv_side, pooled = SIZES[arch]
    model = build(arch, "keras")
    assert tuple(model.get_layer("features.0").output.shape) == (None, conv_side, conv_side, 32)
    assert tuple(model.get_layer("features.2").output.shape) == (None, pooled, pooled, 32)
    assert tuple(model.get_layer("flatten").output.shape) == (None, pooled * pooled * 32)
    assert tuple(model.get_layer("classifier.0").output.shape) == (None, 64)
    assert tuple(model(np.zeros((2, side, side, channels), np.float32)).shape) == (2, 10)


@pytest.mark.parametrize("arch", ARCHS)
def test_include_top_false_returns_the_pooled_maps(arch):
    side, channels, _, pooled = SIZES[arch]
    with torch.no_grad():
        out = build(arch, "torch", include_top=False)(torch.randn(1, channels, side, side))
    assert out.shape == (1, 32, pooled, pooled)
    assert tuple(build(arch, "keras", include_top=False).output.shape) == (None, pooled, pooled, 32)


@pytest.mark.parametrize("arch", ARCHS)
def test_keras_equals_the_course_sequential(arch):
    side, channels, _, _ = SIZES[arch]
    keras.utils.set_random_seed(0)
    theirs = course_sequential(side, channels)
    ours = build(arch, "keras")
    pairs = {
        "features.0": theirs.layers[0],
        "classifier.0": theirs.layers[3],
        "classifier.2": theirs.layers[4],
    }
    assert {layer.name for layer in ours.layers if layer.weights} == set(pairs)
    for name, layer in pairs.items():
        ours.get_layer(name).set_weights(layer.get_weights())
    x = np.random.default_rng(0).standard_normal((4, side, side, channels)).astype(np.float32)
    expected = np.asarray(theirs(x, training=False))
    got = np.asarray(ours(x, training=False))
    assert np.max(np.abs(got - expected)) <= 1e-5 * max(1.0, np.max(np.abs(expected)))


@pytest.mark.parametrize("arch", ARCHS)
def test_gmacs_match_the_arithmetic(arch):
    side, channels, conv_side, pooled = SIZES[arch]
    macs = conv_side**2 * 32 * (channels * 9) + pooled**2 * 32 * 64 + 64 * 10
    assert get(arch).variant().gmacs.value == pytest.approx(macs / 1e9)
    model = build(arch, "torch")
    counted = 0

    def hook(module, _inputs, out):
        nonlocal counted
        weight = module.weight
        counted += out.numel() * weight[0].numel()  # one MAC per weight of an output unit

    for module in model.modules():
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            module.register_forward_hook(hook)
    with torch.no_grad():
        model(torch.zeros(1, channels, side, side))
    assert counted == macs


@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_wrong_input_size_is_a_clear_error(framework):
    with pytest.raises(ValueError, match="only 28x28"):
        build("course_mnist", framework, input_size=32)
    with pytest.raises(ValueError, match="at least 4x4"):
        build("course_cifar", framework, include_top=False, input_size=3)


def test_smallest_input_is_4():
    # (4 - 2) // 2 = 1; a 3x3 input leaves a 1x1 map that the 2x2 pooling cannot cover.
    assert get("course_mnist").min_input_size == get("course_cifar").min_input_size == 4
    with torch.no_grad():
        out = build("course_cifar", "torch", include_top=False, input_size=4)(
            torch.randn(1, 3, 4, 4)
        )
    assert out.shape == (1, 32, 1, 1)
    for builder in (torch_course_cnn, keras_course_cnn):
        with pytest.raises(ValueError, match="each side must be at least 4"):
            builder(num_classes=10, include_top=True, input_size=(28, 3), in_channels=1)


# --- the exam question's network (Unit 5, "model design"), 224x224x3 --------------------------


def exam_sequential(num_classes=10):
    """The exam network as the lecture writes it in Keras, here with stock layers (logits out)."""
    return keras.Sequential(
        [
            keras.Input(shape=(224, 224, 3)),
            keras.layers.Conv2D(32, (3, 3), activation="relu"),
            keras.layers.MaxPooling2D((2, 2)),
            keras.layers.Conv2D(64, (3, 3), activation="relu"),
            keras.layers.MaxPooling2D((2, 2)),
            keras.layers.Conv2D(128, (3, 3), activation="relu"),
            keras.layers.MaxPooling2D((2, 2)),
            keras.layers.Flatten(),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dropout(0.5),
            keras.layers.Dense(num_classes),
        ]
    )


def test_exam_cnn_is_11170250_parameters_by_arithmetic():
    # valid 3x3 convs and 2x2 pools: 224 -> 222 -> 111 -> 109 -> 54 -> 52 -> 26
    base = conv(3, 3, 32) + conv(3, 32, 64) + conv(3, 64, 128)
    total = base + dense(26 * 26 * 128, 128) + dense(128, 10)
    assert (base, total) == (93_248, 11_170_250)
    variant = get("course_exam").variant()
    assert variant.params.value == variant.keras_params.value == total
    assert variant.base_params.value == base
    assert exam_sequential().count_params() == total  # Keras' own count of the lecture's model
    assert torch_count(build("course_exam", "torch")) == total
    model = build("course_exam", "keras")
    assert model.count_params() == keras_trainable(model) == total
    assert torch_count(build("course_exam", "torch", num_classes=5)) == total - 5 * 129
    macs = 222**2 * 32 * 27 + 109**2 * 64 * 288 + 52**2 * 128 * 576 + 86_528 * 128 + 1_280
    assert variant.gmacs.value == pytest.approx(macs / 1e9)


def test_exam_cnn_computes_the_lectures_sequential():
    """Oracle: the lecture's Sequential with our Keras model's weights, in inference mode."""
    ours = build("course_exam", "keras")
    theirs = exam_sequential()
    theirs.set_weights(ours.get_weights())
    x = np.random.default_rng(0).random((2, 224, 224, 3), dtype=np.float32)
    np.testing.assert_allclose(ours(x, training=False), theirs(x, training=False), atol=1e-5)
    assert [w.shape for w in ours.get_layer("classifier.0").get_weights()] == [(86_528, 128), (128,)]
    kinds = [type(m) for m in build("course_exam", "torch").classifier]
    assert kinds == [nn.Linear, nn.ReLU, nn.Dropout, nn.Linear]
