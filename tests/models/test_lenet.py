"""LeNet-5 in PyTorch and Keras, held to the arithmetic of the paper's layer table.

LeCun et al. 1998, Fig. 2: C1 6@28x28, S2 6@14x14, C3 16@10x10, S4 16@5x5, C5 120, F6 84, output
10, on a 32x32 grey-scale input. No canonical library has the model, so every expected number
here is recomputed from those layer sizes.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn

# keras (TensorFlow) after torch: see the import order trap in docs/CONVENTIONS.md
keras = pytest.importorskip("keras")

from cnnlab.reference import build
from cnnlab.reference.catalog import get
from cnnlab.reference.keras_models.lenet import lenet5 as keras_lenet5
from cnnlab.reference.torch_models.lenet import lenet5 as torch_lenet5

from ._helpers import torch_count


def conv(k, cin, cout):
    return k * k * cin * cout + cout


def dense(nin, nout):
    return nin * nout + nout


# Paper arithmetic (C3 fully connected, poolings without trainable coefficients).
BASE = conv(5, 1, 6) + conv(5, 6, 16)
PARAMS = BASE + dense(16 * 5 * 5, 120) + dense(120, 84) + dense(84, 10)

# Paper Fig. 2, (channels, side) after each layer, by the torch module path.
LAYER_SHAPES = {
    "features.0": (6, 28),  # C1
    "features.2": (6, 14),  # S2
    "features.3": (16, 10),  # C3
    "features.5": (16, 5),  # S4
}
DENSE_WIDTHS = {"classifier.0": 120, "classifier.2": 84, "classifier.4": 10}


def keras_trainable(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def test_catalog_counts_are_the_paper_arithmetic():
    variant = get("lenet5").variant()
    assert PARAMS == 61_706
    assert variant.params.value == variant.keras_params.value == PARAMS
    assert variant.base_params.value == variant.base_keras_params.value == BASE


def test_torch_params_match_catalog():
    variant = get("lenet5").variant()
    assert torch_count(build("lenet5", "torch")) == variant.params.value
    assert torch_count(build("lenet5", "torch", include_top=False)) == variant.base_params.value
    # Only the output layer changes with the classes: 84 weights + 1 bias per class.
    assert torch_count(build("lenet5", "torch", num_classes=100)) == PARAMS + 85 * 90


def test_keras_params_match_catalog():
    variant = get("lenet5").variant()
    model = build("lenet5", "keras")
    assert model.count_params() == keras_trainable(model) == variant.keras_params.value
    base = build("lenet5", "keras", include_top=False)
    assert base.count_params() == variant.base_keras_params.value
    assert build("lenet5", "keras", num_classes=100).count_params() == PARAMS + 85 * 90


def test_torch_layer_shapes_follow_the_paper():
    model = build("lenet5", "torch").eval()
    seen = {}
    for name, module in model.named_modules():
        if name in LAYER_SHAPES or name in DENSE_WIDTHS:
            module.register_forward_hook(
                lambda _m, _i, out, name=name: seen.__setitem__(name, tuple(out.shape))
            )
    with torch.no_grad():
        out = model(torch.randn(1, 1, 32, 32))
    for name, (channels, side) in LAYER_SHAPES.items():
        assert seen[name] == (1, channels, side, side), name
    for name, width in DENSE_WIDTHS.items():
        assert seen[name] == (1, width), name
    assert out.shape == (1, 10)


def test_keras_layer_shapes_follow_the_paper():
    model = build("lenet5", "keras")
    for name, (channels, side) in LAYER_SHAPES.items():
        assert tuple(model.get_layer(name).output.shape) == (None, side, side, channels), name
    for name, width in DENSE_WIDTHS.items():
        assert tuple(model.get_layer(name).output.shape) == (None, width), name
    out = model(np.zeros((2, 32, 32, 1), np.float32), training=False)
    assert tuple(out.shape) == (2, 10)


def test_include_top_false_returns_the_s4_maps():
    with torch.no_grad():
        out = build("lenet5", "torch", include_top=False)(torch.randn(2, 1, 32, 32))
    assert out.shape == (2, 16, 5, 5)
    base = build("lenet5", "keras", include_top=False)
    assert tuple(base(np.zeros((2, 32, 32, 1), np.float32)).shape) == (2, 5, 5, 16)


def test_layout_is_the_papers_tanh_and_average_pooling():
    model = build("lenet5", "torch")
    kinds = [type(m) for m in [*model.features, *model.classifier]]
    assert kinds == [
        nn.Conv2d,
        nn.Tanh,
        nn.AvgPool2d,
        nn.Conv2d,
        nn.Tanh,
        nn.AvgPool2d,
        nn.Linear,
        nn.Tanh,
        nn.Linear,
        nn.Tanh,
        nn.Linear,
    ]
    kmodel = build("lenet5", "keras")
    assert kmodel.get_layer("features.1").get_config()["activation"] == "tanh"
    assert isinstance(kmodel.get_layer("features.2"), keras.layers.AveragePooling2D)
    assert isinstance(kmodel.get_layer("features.5"), keras.layers.AveragePooling2D)


def torch_macs(model, x):
    """Multiply-adds of the convolutions and dense layers in one forward pass.

    torchvision's ``_ops`` convention: biases, pooling and activations are not counted.
    """
    total = 0

    def hook(module, _inputs, out):
        nonlocal total
        total += out.numel() * module.weight[0].numel()  # one MAC per weight of an output unit

    handles = [
        m.register_forward_hook(hook)
        for m in model.modules()
        if isinstance(m, (nn.Conv2d, nn.Linear))
    ]
    with torch.no_grad():
        model(x)
    for handle in handles:
        handle.remove()
    return total


def test_gmacs_match_the_paper_arithmetic():
    macs = 28 * 28 * 6 * 25 + 10 * 10 * 16 * 150 + 400 * 120 + 120 * 84 + 84 * 10
    assert get("lenet5").variant().gmacs.value == pytest.approx(macs / 1e9)
    assert torch_macs(build("lenet5", "torch"), torch.zeros(1, 1, 32, 32)) == macs


def test_smallest_input_is_16():
    # ((16 - 4) // 2 - 4) // 2 = 1; 15 would leave an empty S4 map.
    assert get("lenet5").min_input_size == 16
    with torch.no_grad():
        out = build("lenet5", "torch", include_top=False, input_size=16)(torch.randn(1, 1, 16, 16))
    assert out.shape == (1, 16, 1, 1)
    assert tuple(build("lenet5", "keras", include_top=False, input_size=16).output.shape) == (
        None,
        1,
        1,
        16,
    )
    for builder in (torch_lenet5, keras_lenet5):
        with pytest.raises(ValueError, match="too small for lenet5: each side must be at least 16"):
            builder(num_classes=10, include_top=False, input_size=(15, 32), in_channels=1)


@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_wrong_input_size_is_a_clear_error(framework):
    with pytest.raises(ValueError, match="only 32x32"):
        build("lenet5", framework, input_size=28)
    with pytest.raises(ValueError, match="at least 16x16"):
        build("lenet5", framework, include_top=False, input_size=12)


# --- the lecture's layout: ReLU and max pooling (Unit 5's PyTorch code) -------------------------


def lecture_lenet():
    """LeNet-5 as the Unit 5 lecture's PyTorch code lays it out, written here with stock torch
    layers and its own attribute names: conv 6 and 16 (5x5), ReLU, 2x2 max pooling, fc 120-84-10."""

    class Lecture(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 6, 5)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(400, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            x = nn.functional.max_pool2d(torch.relu(self.conv1(x)), 2)
            x = nn.functional.max_pool2d(torch.relu(self.conv2(x)), 2)
            x = torch.relu(self.fc1(x.flatten(1)))
            return self.fc3(torch.relu(self.fc2(x)))

    return Lecture()


def test_relu_max_variant_has_the_same_61706_parameters():
    variant = get("lenet5").variant("relu_max")
    assert variant.params.value == variant.keras_params.value == PARAMS == 61_706
    assert torch_count(build("lenet5", "torch", variant="relu_max")) == PARAMS
    assert torch_count(lecture_lenet()) == PARAMS  # the lecture's own layout, counted by torch
    model = build("lenet5", "keras", variant="relu_max")
    assert model.count_params() == keras_trainable(model) == PARAMS


def test_relu_max_variant_computes_the_lectures_network():
    """Oracle: the lecture's layout in stock torch, loaded with our weights in order."""
    ours = build("lenet5", "torch", variant="relu_max").eval()
    kinds = [type(m) for m in [*ours.features, *ours.classifier]]
    assert kinds == [nn.Conv2d, nn.ReLU, nn.MaxPool2d, nn.Conv2d, nn.ReLU, nn.MaxPool2d,
                     nn.Linear, nn.ReLU, nn.Linear, nn.ReLU, nn.Linear]
    theirs = lecture_lenet().eval()
    with torch.no_grad():
        for mine, its in zip(ours.parameters(), theirs.parameters(), strict=True):
            its.copy_(mine)
        x = torch.randn(4, 1, 32, 32)
        assert torch.allclose(ours(x), theirs(x), atol=1e-6)
        # the paper's layout is another function on the same weights
        paper = build("lenet5", "torch").eval()
        paper.load_state_dict(ours.state_dict())
        assert not torch.allclose(paper(x), theirs(x), atol=1e-3)


def test_unknown_lenet_layout_names_the_choices():
    for framework in ("torch", "keras"):
        with pytest.raises(ValueError, match="layout must be one of 'paper', 'relu_max'"):
            build("lenet5", framework, layout="sigmoid_avg")
