"""Heads on include_top=False bases: parameter counts from the lecture's head (arithmetic), output
shapes, and the torch and Keras heads computing the same function."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from cnnlab.reference import build
from cnnlab.reference.porting import port_weights
from cnnlab.reference.transfer import (
    freeze,
    lecture_head,
    linear_head,
    trainable_summary,
    unfreeze,
    with_head,
)


def lecture_head_params(channels, classes):
    """GAP -> Dense 1024 -> Dense 512 -> Dense C: weights and biases of the three layers."""
    return (channels + 1) * 1024 + (1024 + 1) * 512 + (512 + 1) * classes


@pytest.mark.parametrize("arch, channels", [("vgg16", 512), ("resnet50", 2048), ("densenet121", 1024)])
def test_torch_lecture_head_counts(arch, channels):
    with torch.device("meta"):
        base = build(arch, "torch", include_top=False)
        base_params = sum(p.numel() for p in base.parameters())
        model = lecture_head(freeze(base), 7)
    summary = trainable_summary(model)
    assert summary.trainable == lecture_head_params(channels, 7)  # the base stays frozen
    assert summary.total == base_params + lecture_head_params(channels, 7)


def test_keras_lecture_head_counts_and_softmax():
    pytest.importorskip("keras")
    base = build("vgg11", "keras", include_top=False, input_size=32)
    model = lecture_head(freeze(base), 7)
    assert trainable_summary(model).trainable == lecture_head_params(512, 7)
    # the torch head's indices: head.1 is torch's Flatten, which Keras' pooling does itself
    assert [layer.name for layer in model.layers[-7:]] == [
        "head.0", "head.2", "head.3", "head.4", "head.5", "head.6", "head.7"]
    out = np.asarray(model(np.zeros((2, 32, 32, 3), np.float32), training=False))
    assert out.shape == (2, 7)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-6)
    unfreeze(base)
    assert trainable_summary(model).trainable == trainable_summary(model).total


def test_linear_head_with_flatten_needs_the_torch_input_size():
    pytest.importorskip("keras")
    base = build("lenet5", "torch", include_top=False, in_channels=1)
    with pytest.raises(ValueError, match="needs input_size"):
        linear_head(base, 5, pooling="flatten")
    model = linear_head(base, 5, pooling="flatten", input_size=32)
    assert model.head[-1].in_features == 16 * 5 * 5  # LeNet's S4 maps: 16 of 5x5
    assert model(torch.zeros(3, 1, 32, 32)).shape == (3, 5)
    keras_model = linear_head(build("lenet5", "keras", include_top=False, in_channels=1), 5, pooling="flatten")
    assert trainable_summary(keras_model).trainable == 2_572 + 400 * 5 + 5


@pytest.mark.parametrize("head", ["linear", "lecture"])
def test_torch_and_keras_heads_compute_the_same_function(head):
    """Ported weights (base by name, head layer by layer) give the same class probabilities."""
    pytest.importorskip("keras")
    torch.manual_seed(0)
    torch_model = with_head(build("course_cifar", "torch", include_top=False), 4, head=head).eval()
    keras_base = build("course_cifar", "keras", include_top=False)
    port_weights(torch_model.base, keras_base)  # by name: features.0
    keras_model = with_head(keras_base, 4, head=head)
    for module in torch_model.head:
        if isinstance(module, torch.nn.Linear):
            index = list(torch_model.head).index(module)
            keras_model.get_layer(f"head.{index}").set_weights(
                [module.weight.detach().numpy().T, module.bias.detach().numpy()])
    x = np.random.default_rng(0).random((2, 32, 32, 3)).astype(np.float32)
    with torch.no_grad():
        expected = torch.softmax(torch_model(torch.from_numpy(x).permute(0, 3, 1, 2)), 1).numpy()
    got = np.asarray(keras_model(x, training=False))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kwargs, message", [
    ({"head": "mlp"}, "unknown head 'mlp'; valid heads: linear, lecture"),
    ({"num_classes": 0}, "num_classes must be a positive int"),
    ({"pooling": "max"}, "unknown pooling 'max'; valid poolings: avg, flatten"),
])
def test_bad_head_arguments(kwargs, message):
    base = build("course_cifar", "torch", include_top=False)
    args = {"num_classes": 3, **kwargs}
    with pytest.raises(ValueError, match=message):
        with_head(base, args.pop("num_classes"), **args)


def test_a_base_with_its_top_is_refused():
    pytest.importorskip("keras")
    with pytest.raises(ValueError, match="build it with include_top=False"):
        linear_head(build("course_cifar", "torch"), 3)
    with pytest.raises(ValueError, match="build it with include_top=False"):
        linear_head(build("course_cifar", "keras"), 3)
