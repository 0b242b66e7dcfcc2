"""AlexNet (lecture single tower), torchvision's AlexNet and ZFNet in PyTorch and Keras.

Expected numbers: the papers' layer tables (Krizhevsky et al. 2012 for the 55-27-27-13-13-13-13-6
sides, Zeiler and Fergus 2013 Fig. 3 for 110-55-26-13-13-13-13-6), recomputed here; torchvision
0.29 for ``alexnet_tv`` (its parameter count, ``meta["_ops"]`` and the model itself).
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
torchvision = pytest.importorskip("torchvision")
from torch import nn

# keras (TensorFlow) after torch: see the import order trap in docs/CONVENTIONS.md
keras = pytest.importorskip("keras")

from cnnlab.reference import build
from cnnlab.reference.catalog import get
from cnnlab.reference.keras_models.alexnet import alexnet as keras_alexnet
from cnnlab.reference.torch_models.alexnet import alexnet as torch_alexnet

from ._helpers import torch_count

ARCHS = ["alexnet", "alexnet_tv", "zfnet"]


def conv(k, cin, cout):
    return k * k * cin * cout + cout


def dense(nin, nout):
    return nin * nout + nout


# Paper layer tables: (kernel, filters) of conv1..conv5, and (filters, side) after each layer,
# by the torch module path (conv1, pool1, conv2, pool2, conv3, conv4, conv5, pool3).
PAPERS = {
    "alexnet": {
        "convs": [(11, 96), (5, 256), (3, 384), (3, 384), (3, 256)],
        "sides": [55, 27, 27, 13, 13, 13, 13, 6],
    },
    "alexnet_tv": {
        "convs": [(11, 64), (5, 192), (3, 384), (3, 256), (3, 256)],
        "sides": [55, 27, 27, 13, 13, 13, 13, 6],
    },
    "zfnet": {
        "convs": [(7, 96), (5, 256), (3, 384), (3, 384), (3, 256)],
        "sides": [110, 55, 26, 13, 13, 13, 13, 6],
    },
}
LAYER_PATHS = [
    "features.0",
    "features.2",
    "features.3",
    "features.5",
    "features.6",
    "features.8",
    "features.10",
    "features.12",
]
# Channels after each of LAYER_PATHS: a pooling keeps the previous convolution's.
CHANNEL_OF = [0, 0, 1, 1, 2, 3, 4, 4]


def expected_shapes(arch):
    filters = [f for _, f in PAPERS[arch]["convs"]]
    return {
        path: (filters[c], side)
        for path, c, side in zip(LAYER_PATHS, CHANNEL_OF, PAPERS[arch]["sides"], strict=True)
    }


def arithmetic_params(arch, num_classes=1000):
    base, cin = 0, 3
    for kernel, filters in PAPERS[arch]["convs"]:
        base, cin = base + conv(kernel, cin, filters), filters
    top = dense(6 * 6 * 256, 4096) + dense(4096, 4096) + dense(4096, num_classes)
    return base, base + top


def keras_trainable(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def max_rel_diff(got, expected):
    return np.max(np.abs(got - expected)) / max(1.0, np.max(np.abs(expected)))


@pytest.fixture(scope="module", params=ARCHS)
def keras_full(request):
    """The Keras model with its classifier at 224x224, built once per architecture."""
    return request.param, build(request.param, "keras")


@pytest.mark.parametrize("arch", ARCHS)
def test_catalog_counts_are_the_layer_table_arithmetic(arch):
    base, total = arithmetic_params(arch)
    variant = get(arch).variant()
    assert variant.params.value == variant.keras_params.value == total
    assert variant.base_params.value == variant.base_keras_params.value == base


def test_alexnet_tv_catalog_count_is_torchvisions():
    with torch.device("meta"):
        theirs = torchvision.models.alexnet()
    assert get("alexnet_tv").variant().params.value == torch_count(theirs) == 61_100_840
    assert torchvision.models.AlexNet_Weights.IMAGENET1K_V1.meta["num_params"] == 61_100_840


@pytest.mark.parametrize("arch", ARCHS)
def test_torch_params_match_catalog(arch):
    variant = get(arch).variant()
    with torch.device("meta"):
        full = build(arch, "torch")
        base = build(arch, "torch", include_top=False)
        ten = build(arch, "torch", num_classes=10)
    assert torch_count(full) == variant.params.value
    assert torch_count(base) == variant.base_params.value
    # Only the last layer shrinks: 990 classes fewer x (4096 weights + 1 bias).
    assert torch_count(ten) == variant.params.value - 990 * 4097


def test_keras_params_match_catalog(keras_full):
    arch, model = keras_full
    variant = get(arch).variant()
    assert model.count_params() == keras_trainable(model) == variant.keras_params.value
    base = build(arch, "keras", include_top=False)
    assert base.count_params() == variant.base_keras_params.value


def test_keras_num_classes_and_dropout_options():
    model = build("alexnet", "keras", num_classes=10, dropout=0.25)
    assert model.count_params() == get("alexnet").variant().params.value - 990 * 4097
    rates = [layer.rate for layer in model.layers if isinstance(layer, keras.layers.Dropout)]
    assert rates == [0.25, 0.25]


def test_torch_dropout_option():
    with torch.device("meta"):
        model = build("alexnet", "torch", dropout=0.25)
    assert [m.p for m in model.classifier if isinstance(m, nn.Dropout)] == [0.25, 0.25]


@pytest.mark.parametrize("arch", ARCHS)
def test_torch_layer_shapes_follow_the_paper(arch):
    with torch.device("meta"):
        model = build(arch, "torch").eval()
    seen = {}
    for path in LAYER_PATHS:
        model.get_submodule(path).register_forward_hook(
            lambda _m, _i, out, path=path: seen.__setitem__(path, tuple(out.shape))
        )
    with torch.device("meta"):
        out = model(torch.empty(1, 3, 224, 224))
    assert seen == {path: (1, c, s, s) for path, (c, s) in expected_shapes(arch).items()}
    assert out.shape == (1, 1000)


def test_keras_layer_shapes_follow_the_paper(keras_full):
    arch, model = keras_full
    for path, (channels, side) in expected_shapes(arch).items():
        assert tuple(model.get_layer(path).output.shape) == (None, side, side, channels), path
    assert tuple(model.get_layer("flatten").output.shape) == (None, 6 * 6 * 256)
    out = model(np.zeros((1, 224, 224, 3), np.float32), training=False)
    assert tuple(out.shape) == (1, 1000)


@pytest.mark.parametrize("arch", ARCHS)
def test_include_top_false_returns_the_last_pooled_map(arch):
    with torch.device("meta"):
        out = build(arch, "torch", include_top=False)(torch.empty(1, 3, 224, 224))
    assert out.shape == (1, 256, 6, 6)
    base = build(arch, "keras", include_top=False)
    assert tuple(base(np.zeros((1, 224, 224, 3), np.float32)).shape) == (1, 6, 6, 256)


@pytest.mark.parametrize("arch", ARCHS)
def test_gmacs_match_catalog(arch):
    """Convolution and dense multiply-adds (torchvision's ``_ops`` convention), from the paper's
    sides for alexnet and zfnet and torchvision's enum for alexnet_tv."""
    counted = 0

    def hook(module, _inputs, out):
        nonlocal counted
        counted += out.numel() * module.weight[0].numel()  # one MAC per weight of an output unit

    with torch.device("meta"):
        model = build(arch, "torch").eval()
        for module in model.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                module.register_forward_hook(hook)
        model(torch.empty(1, 3, 224, 224))
    if arch == "alexnet_tv":
        ops = torchvision.models.AlexNet_Weights.IMAGENET1K_V1.meta["_ops"]
        assert get(arch).variant().gmacs.value == ops == round(counted / 1e9, 3)
        return
    convs, sides = PAPERS[arch]["convs"], PAPERS[arch]["sides"]
    cin, macs = 3, 0
    for (kernel, filters), side in zip(
        convs, [sides[0], sides[2], sides[4], sides[5], sides[6]], strict=True
    ):
        macs, cin = macs + side * side * filters * cin * kernel * kernel, filters
    macs += 9216 * 4096 + 4096 * 4096 + 4096 * 1000
    assert counted == macs
    assert get(arch).variant().gmacs.value == pytest.approx(macs / 1e9)


def test_alexnet_tv_equals_torchvision():
    """torchvision's randomly initialised AlexNet loads strictly and gives the same logits."""
    torch.manual_seed(0)
    theirs = torchvision.models.alexnet(weights=None).eval()
    with torch.device("meta"):
        ours = build("alexnet_tv", "torch")
    ours.load_state_dict(theirs.state_dict(), strict=True, assign=True)
    ours.eval()
    x = torch.randn(1, 3, 224, 224)
    with torch.inference_mode():
        expected, got = theirs(x).numpy(), ours(x).numpy()
    assert max_rel_diff(got, expected) <= 1e-5


@pytest.mark.parametrize("arch,smallest", [("alexnet", 63), ("alexnet_tv", 63), ("zfnet", 53)])
def test_smallest_input(arch, smallest):
    assert get(arch).min_input_size == smallest
    with torch.device("meta"):
        out = build(arch, "torch", include_top=False, input_size=smallest)(
            torch.empty(1, 3, smallest, smallest)
        )
    assert out.shape == (1, 256, 1, 1)
    base = build(arch, "keras", include_top=False, input_size=smallest)
    assert tuple(base.output.shape) == (None, 1, 1, 256)
    for builder in (torch_alexnet, keras_alexnet):
        with pytest.raises(ValueError, match=f"each side must be at least {smallest}"):
            builder(
                cfg=arch,
                num_classes=10,
                include_top=False,
                input_size=(smallest - 1, 224),
                in_channels=3,
            )


def test_include_top_false_takes_other_sizes():
    with torch.device("meta"):
        out = build("zfnet", "torch", include_top=False, input_size=(128, 160))(
            torch.empty(1, 3, 128, 160)
        )
    # conv1, pool1, conv2, pool2, pool3: 128 -> 62 -> 31 -> 14 -> 7 -> 3; 160 -> 78 -> 39 -> 18 -> 9 -> 4
    assert out.shape == (1, 256, 3, 4)
    base = build("zfnet", "keras", include_top=False, input_size=(128, 160))
    assert tuple(base.output.shape) == (None, 3, 4, 256)


@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_bad_arguments_are_clear_errors(framework):
    with pytest.raises(ValueError, match="only 224x224"):
        build("alexnet", framework, input_size=227)
    with pytest.raises(ValueError, match="at least 63x63"):
        build("alexnet_tv", framework, include_top=False, input_size=62)
    builder = torch_alexnet if framework == "torch" else keras_alexnet
    common = {"num_classes": 10, "input_size": (224, 224), "in_channels": 3}
    with pytest.raises(ValueError, match="valid cfgs: alexnet, alexnet_tv, zfnet"):
        builder(cfg="vgg", include_top=True, **common)
    with pytest.raises(ValueError, match=r"dropout must be a number in \[0, 1\)"):
        builder(cfg="alexnet", include_top=True, dropout=1.5, **common)
    with pytest.raises(ValueError, match="needs a 6x6 feature map"):
        builder(cfg="alexnet", include_top=True, **{**common, "input_size": (256, 256)})
