"""VGG-11/13/16/19, with and without BatchNorm, in PyTorch and Keras.

Expected numbers: the paper's Table 1 (Simonyan and Zisserman 2014: 3x3 convolutions in five
stages of 64-128-256-512-512 filters, 2x2 poolings, dense 4096-4096-1000), recomputed here;
torchvision 0.29 (parameter counts and ``meta["_ops"]`` of its weight enums, and the models
themselves); keras.applications 3.15 (``VGG16`` and ``VGG19`` with ``weights=None``).
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
from cnnlab.reference.keras_models.vgg import vgg as keras_vgg
from cnnlab.reference.torch_models.vgg import vgg as torch_vgg

from ._helpers import torch_count

# Paper Table 1: convolutions per stage for each configuration.
STAGES = {
    "vgg11": (1, 1, 2, 2, 2),
    "vgg13": (2, 2, 2, 2, 2),
    "vgg16": (2, 2, 3, 3, 3),
    "vgg19": (2, 2, 4, 4, 4),
}
WIDTHS = (64, 128, 256, 512, 512)
ARCHS = [name + bn for name in STAGES for bn in ("", "_bn")]
ENUMS = {
    "vgg11": torchvision.models.VGG11_Weights,
    "vgg11_bn": torchvision.models.VGG11_BN_Weights,
    "vgg13": torchvision.models.VGG13_Weights,
    "vgg13_bn": torchvision.models.VGG13_BN_Weights,
    "vgg16": torchvision.models.VGG16_Weights,
    "vgg16_bn": torchvision.models.VGG16_BN_Weights,
    "vgg19": torchvision.models.VGG19_Weights,
    "vgg19_bn": torchvision.models.VGG19_BN_Weights,
}
KERAS_APPLICATIONS = {"vgg16": "VGG16", "vgg19": "VGG19"}


def paper_arithmetic(arch, num_classes=1000):
    """(conv-base params, all params, BatchNorm channels) from Table 1."""
    batch_norm = arch.endswith("_bn")
    base, cin, bn_channels = 0, 3, 0
    for convs, width in zip(STAGES[arch.removesuffix("_bn")], WIDTHS, strict=True):
        for _ in range(convs):
            base += 9 * cin * width + width + (2 * width if batch_norm else 0)
            bn_channels += width if batch_norm else 0
            cin = width
    top = (7 * 7 * 512 + 1) * 4096 + (4096 + 1) * 4096 + (4096 + 1) * num_classes
    return base, base + top, bn_channels


def keras_trainable(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def max_rel_diff(got, expected):
    return np.max(np.abs(got - expected)) / max(1.0, np.max(np.abs(expected)))


def pool_paths(arch):
    """Torch paths of the five max poolings: each conv is followed by [BN and] ReLU."""
    per_conv = 3 if arch.endswith("_bn") else 2
    paths, index = [], 0
    for convs in STAGES[arch.removesuffix("_bn")]:
        index += convs * per_conv
        paths.append(f"features.{index}")
        index += 1
    return paths


@pytest.mark.parametrize("arch", ARCHS)
def test_catalog_matches_torchvision_and_the_paper(arch):
    variant = get(arch).variant()
    base, total, bn_channels = paper_arithmetic(arch)
    meta = ENUMS[arch].IMAGENET1K_V1.meta
    assert variant.params.value == meta["num_params"] == total
    assert variant.base_params.value == base
    assert variant.gmacs.value == meta["_ops"]
    # Keras also counts BatchNorm's moving mean and variance (torch's running_* buffers).
    assert variant.keras_params.value == total + 2 * bn_channels
    assert variant.base_keras_params.value == base + 2 * bn_channels


@pytest.mark.parametrize("arch", ARCHS)
def test_torch_params_match_catalog(arch):
    variant = get(arch).variant()
    with torch.device("meta"):
        full = build(arch, "torch")
        base = build(arch, "torch", include_top=False)
        ten = build(arch, "torch", num_classes=10)
        theirs = getattr(torchvision.models, arch)()
    assert torch_count(full) == torch_count(theirs) == variant.params.value
    assert torch_count(base) == torch_count(theirs.features) == variant.base_params.value
    # Only the last layer shrinks: 990 classes fewer x (4096 weights + 1 bias).
    assert torch_count(ten) == variant.params.value - 990 * 4097


@pytest.mark.parametrize("arch", ARCHS)
def test_torch_shapes_and_gmacs(arch):
    """Sides 224 -> 112 -> 56 -> 28 -> 14 -> 7 after the five poolings; MACs of convolutions and
    dense layers (torchvision's ``_ops`` convention) equal the catalog's torchvision figure."""
    seen, macs = {}, 0

    def count(module, _inputs, out):
        nonlocal macs
        macs += out.numel() * module.weight[0].numel()  # one MAC per weight of an output unit

    with torch.device("meta"):
        model = build(arch, "torch").eval()
        for path in pool_paths(arch):
            model.get_submodule(path).register_forward_hook(
                lambda _m, _i, out, path=path: seen.__setitem__(path, tuple(out.shape))
            )
        for module in model.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                module.register_forward_hook(count)
        out = model(torch.empty(1, 3, 224, 224))
        base_out = build(arch, "torch", include_top=False)(torch.empty(1, 3, 224, 224))
    sides = [112, 56, 28, 14, 7]
    assert list(seen.values()) == [(1, w, s, s) for w, s in zip(WIDTHS, sides, strict=True)]
    assert out.shape == (1, 1000)
    assert base_out.shape == (1, 512, 7, 7)
    assert round(macs / 1e9, 3) == get(arch).variant().gmacs.value


@pytest.mark.parametrize("arch", ARCHS)
def test_keras_base_matches_catalog(arch):
    variant = get(arch).variant()
    base = build(arch, "keras", include_top=False)
    assert base.count_params() == variant.base_keras_params.value
    assert keras_trainable(base) == variant.base_params.value
    assert tuple(base.output.shape) == (None, 7, 7, 512)
    pools = [tuple(base.get_layer(path).output.shape) for path in pool_paths(arch)]
    assert pools == [(None, s, s, w) for w, s in zip(WIDTHS, [112, 56, 28, 14, 7], strict=True)]


def test_include_top_false_takes_other_sizes():
    with torch.device("meta"):
        out = build("vgg11", "torch", include_top=False, input_size=(64, 96))(
            torch.empty(1, 3, 64, 96)
        )
    assert out.shape == (1, 512, 2, 3)  # 64 / 32, 96 / 32
    base = build("vgg11_bn", "keras", include_top=False, input_size=(32, 96))
    assert tuple(base.output.shape) == (None, 1, 3, 512)


@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_bad_arguments_are_clear_errors(framework):
    with pytest.raises(ValueError, match="only 224x224"):
        build("vgg16", framework, input_size=256)
    with pytest.raises(ValueError, match="at least 32x32"):
        build("vgg11", framework, include_top=False, input_size=(31, 64))
    builder = torch_vgg if framework == "torch" else keras_vgg
    common = {"num_classes": 10, "in_channels": 3}
    with pytest.raises(ValueError, match="valid cfgs: A, B, D, E"):
        builder(cfg="C", batch_norm=False, include_top=False, input_size=(64, 64), **common)
    with pytest.raises(ValueError, match="batch_norm must be True or False"):
        builder(cfg="A", batch_norm="yes", include_top=False, input_size=(64, 64), **common)
    with pytest.raises(ValueError, match="needs a 7x7 feature map"):
        builder(cfg="A", batch_norm=False, include_top=True, input_size=(256, 256), **common)
    with pytest.raises(ValueError, match="each side must be at least 32"):
        builder(cfg="A", batch_norm=True, include_top=False, input_size=(16, 64), **common)


# Identity with torchvision ---------------------------------------------------------------------


@pytest.fixture(scope="class")
def shared_classifier():
    """Random weights for the classifier all eight VGGs share (25088-4096-4096-1000), drawn once
    and freed when the class below is done."""
    gen = torch.Generator().manual_seed(1)
    state = {}
    for path, (out, inp) in {
        "classifier.0": (4096, 25088),
        "classifier.3": (4096, 4096),
        "classifier.6": (1000, 4096),
    }.items():
        state[f"{path}.weight"] = torch.randn(out, inp, generator=gen) * (2 / inp) ** 0.5
        state[f"{path}.bias"] = torch.randn(out, generator=gen) * 0.1
    return state


def random_state(model, classifier, seed):
    """A state_dict for ``model``: He-scaled convolutions, BatchNorm with random statistics."""
    gen = torch.Generator().manual_seed(seed)
    state = dict(classifier)
    for path, module in model.features.named_modules():
        key = f"features.{path}"
        if isinstance(module, nn.Conv2d):
            fan_in = module.weight[0].numel()
            shape = module.weight.shape
            state[f"{key}.weight"] = torch.randn(shape, generator=gen) * (2 / fan_in) ** 0.5
            state[f"{key}.bias"] = torch.randn(shape[0], generator=gen) * 0.1
        elif isinstance(module, nn.BatchNorm2d):
            n = module.num_features
            state[f"{key}.weight"] = torch.rand(n, generator=gen) + 0.5
            state[f"{key}.bias"] = torch.randn(n, generator=gen) * 0.1
            state[f"{key}.running_mean"] = torch.randn(n, generator=gen) * 0.1
            state[f"{key}.running_var"] = torch.rand(n, generator=gen) + 0.5
            state[f"{key}.num_batches_tracked"] = torch.tensor(0)
    return state


class TestTorchvisionIdentity:
    """torchvision's VGG state_dict loads strictly into ours and gives the same logits.

    Both models are torchvision's and ours as built (on ``meta``); the weights are drawn here
    rather than by torchvision's initialisation, for two reasons: BatchNorm gets random
    statistics and affine parameters (torchvision's 0/1 start would make it nearly the identity
    and test little), and the 120M-value classifier, the same in all eight models, is drawn once
    instead of eight times.
    """

    @pytest.mark.parametrize("arch", ARCHS)
    def test_same_logits(self, arch, shared_classifier):
        with torch.device("meta"):
            theirs = getattr(torchvision.models, arch)(weights=None)
            ours = build(arch, "torch")
        state = random_state(theirs, shared_classifier, seed=ARCHS.index(arch))
        theirs.load_state_dict(state, strict=True, assign=True)
        ours.load_state_dict(theirs.state_dict(), strict=True, assign=True)
        theirs.eval()
        ours.eval()
        x = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(0))
        with torch.inference_mode():
            expected, got = theirs(x).numpy(), ours(x).numpy()
        assert max_rel_diff(got, expected) <= 1e-5


# Identity with keras.applications --------------------------------------------------------------


def keras_applications_names(theirs):
    """keras.applications layer name -> our (torch) path: a conv and its ReLU take two indices
    in torchvision's ``features``, a pooling one; the dense layers are classifier.0, .3, .6."""
    names, index = {}, 0
    for layer in theirs.layers:
        if isinstance(layer, keras.layers.Conv2D):
            names[layer.name] = f"features.{index}"
            index += 2
        elif isinstance(layer, keras.layers.MaxPooling2D):
            names[layer.name] = f"features.{index}"
            index += 1
    names.update({"fc1": "classifier.0", "fc2": "classifier.3", "predictions": "classifier.6"})
    return names


def copy_weights(theirs, ours, names):
    """Assign keras.applications' variables to ours, layer by mapped name."""
    for layer in theirs.layers:
        if not layer.weights:
            continue
        target = ours.get_layer(names[layer.name])
        assert len(target.weights) == len(layer.weights), layer.name
        for mine, their in zip(target.weights, layer.weights, strict=True):
            assert mine.shape == their.shape, (layer.name, mine.shape, their.shape)
            mine.assign(their)


@pytest.fixture(scope="module", params=list(KERAS_APPLICATIONS))
def keras_pair(request):
    """Ours and keras.applications' model (logits, weights=None) with the same weights."""
    arch = request.param
    keras.utils.set_random_seed(0)
    theirs = getattr(keras.applications, KERAS_APPLICATIONS[arch])(
        weights=None, classifier_activation=None
    )
    ours = build(arch, "keras")
    names = keras_applications_names(theirs)
    assert {layer.name for layer in ours.layers if layer.weights} == {
        names[layer.name] for layer in theirs.layers if layer.weights
    }
    copy_weights(theirs, ours, names)
    return arch, ours, theirs, names


def test_keras_counts_match_keras_applications(keras_pair):
    arch, ours, theirs, _ = keras_pair
    variant = get(arch).variant()
    assert ours.count_params() == theirs.count_params() == variant.keras_params.value
    assert keras_trainable(ours) == variant.params.value


def test_keras_layer_shapes_match_keras_applications(keras_pair):
    _, ours, theirs, names = keras_pair
    for their_name, our_name in names.items():
        assert ours.get_layer(our_name).output.shape == theirs.get_layer(their_name).output.shape
    assert tuple(ours.output.shape) == (None, 1000)


def test_keras_logits_equal_keras_applications(keras_pair):
    _, ours, theirs, _ = keras_pair
    x = np.random.default_rng(0).standard_normal((1, 224, 224, 3)).astype(np.float32)
    expected = np.asarray(theirs(x, training=False))
    got = np.asarray(ours(x, training=False))
    assert max_rel_diff(got, expected) <= 1e-5


@pytest.mark.parametrize("arch", list(KERAS_APPLICATIONS))
def test_keras_base_equals_keras_applications_base(arch):
    """include_top=False is keras.applications' include_top=False, pooling=None: same count,
    same output at a non-square size."""
    keras.utils.set_random_seed(0)
    theirs = getattr(keras.applications, KERAS_APPLICATIONS[arch])(
        weights=None, include_top=False, input_shape=(64, 96, 3)
    )
    ours = build(arch, "keras", include_top=False, input_size=(64, 96))
    assert (
        ours.count_params() == theirs.count_params() == get(arch).variant().base_keras_params.value
    )
    copy_weights(theirs, ours, keras_applications_names(theirs))
    x = np.random.default_rng(1).standard_normal((1, 64, 96, 3)).astype(np.float32)
    expected = np.asarray(theirs(x, training=False))
    got = np.asarray(ours(x, training=False))
    assert got.shape == expected.shape == (1, 2, 3, 512)
    assert max_rel_diff(got, expected) <= 1e-5
