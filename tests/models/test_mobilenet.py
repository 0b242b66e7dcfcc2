"""MobileNetV2: parameter counts, output shapes, padding, identity with the canonical libraries.

Expected numbers come from torchvision 0.29 (parameter counts, BatchNorm running statistics,
``meta["_ops"]`` GMACs, the models themselves) and keras.applications 3.15
(``MobileNetV2(weights=None)``), as the catalog records; shapes come from the paper's Table 2;
the ``"keras"`` layout's padding is held against TensorFlow's own ``padding="same"``.
"""

from __future__ import annotations

import functools
import re

import numpy as np
import pytest

torch = pytest.importorskip("torch")
torchvision = pytest.importorskip("torchvision")
from torch.utils.flop_counter import FlopCounterMode

from cnnlab.reference import build
from cnnlab.reference.catalog import get

from ._helpers import assert_close, keras_counts, random_weights, torch_count

ARCH = "mobilenet_v2"
VARIANTS = ["default", "keras"]
# The paper's Table 2 at 224x224: (index in ``features`` after which, side, channels).
PAPER_STAGES = [
    (0, 112, 32),  # conv2d 3x3 / 2
    (1, 112, 16),  # bottleneck t=1, c=16, n=1, s=1
    (3, 56, 24),  # t=6, c=24, n=2, s=2
    (6, 28, 32),  # t=6, c=32, n=3, s=2
    (10, 14, 64),  # t=6, c=64, n=4, s=2
    (13, 14, 96),  # t=6, c=96, n=3, s=1
    (16, 7, 160),  # t=6, c=160, n=3, s=2
    (17, 7, 320),  # t=6, c=320, n=1, s=1
    (18, 7, 1280),  # conv2d 1x1
]
# The stride-2 convolutions: the stem, and the depthwise conv opening each stride-2 stage.
STRIDE_2 = ["features.0", "features.2.conv.1", "features.4.conv.1", "features.7.conv.1",
            "features.14.conv.1"]  # fmt: skip
# A width at which the two channel roundings part: torchvision rounds 0.56 * 16 = 8.96 to 16;
# keras.applications truncates it to 8 first, which stays 8.
PARTING_WIDTH = 0.56


@functools.cache
def torchvision_meta(width_mult=1.0):
    """torchvision's model on the meta device: its structure, no memory."""
    with torch.device("meta"):
        return torchvision.models.mobilenet_v2(width_mult=width_mult)


# ---------------------------------------------------------------------------------------- torch


@pytest.mark.parametrize("include_top", [True, False], ids=["top", "base"])
@pytest.mark.parametrize("variant", VARIANTS)
def test_torch_counts_equal_catalog(variant, include_top):
    """Both layouts have torchvision's count at width 1.0 (no biases, the same widths)."""
    spec = get(ARCH).variant(variant)
    expected = spec.params if include_top else spec.base_params
    with torch.device("meta"):
        model = build(ARCH, "torch", include_top=include_top, variant=variant)
    reference = torchvision_meta()
    classifier = 0 if include_top else torch_count(reference.classifier)
    assert torch_count(model) == torch_count(model, trainable_only=True) == expected.value
    assert expected.value == torch_count(reference) - classifier


def test_torch_counts_and_gmacs_equal_torchvision_weight_metadata():
    """The catalog's numbers are torchvision's ``meta``; our model's multiply-adds agree."""
    meta = torchvision.models.MobileNet_V2_Weights.IMAGENET1K_V1.meta
    spec = get(ARCH).variant()
    assert spec.params.value == meta["num_params"]
    assert spec.gmacs.value == meta["_ops"]
    with torch.device("meta"):
        model = build(ARCH, "torch").eval()
        with FlopCounterMode(display=False) as counter:
            model(torch.empty(1, 3, 224, 224))
    # FlopCounterMode counts 2 FLOPs per multiply-add; torchvision rounds GMACs to 3 decimals
    assert round(counter.get_total_flops() / 2e9, 3) == meta["_ops"]


@pytest.mark.parametrize("width_mult", [0.35, 0.75, 1.4, PARTING_WIDTH])
def test_torch_width_multiplier_counts_equal_torchvision(width_mult):
    with torch.device("meta"):
        model = build(ARCH, "torch", width_mult=width_mult)
    assert torch_count(model) == torch_count(torchvision_meta(width_mult))


@pytest.mark.parametrize("variant", VARIANTS)
def test_torch_stage_shapes_follow_the_paper(variant):
    with torch.device("meta"):
        model = build(ARCH, "torch", variant=variant)
        x = torch.empty(1, 3, 224, 224)
        done = 0
        for index, side, channels in PAPER_STAGES:
            for layer in model.features[done : index + 1]:
                x = layer(x)
            done = index + 1
            assert tuple(x.shape) == (1, channels, side, side), f"features.{index}"
    assert done == len(model.features)


@pytest.mark.parametrize("variant", VARIANTS)
def test_torch_output_shapes_non_square(variant):
    """Each stride-2 layer maps a side n to ceil(n / 2), in both layouts: 75x101 -> 3x4."""
    with torch.device("meta"):
        for size, final in (((64, 96), (2, 3)), ((75, 101), (3, 4))):
            top = build(ARCH, "torch", num_classes=10, variant=variant, input_size=size)
            base = build(ARCH, "torch", include_top=False, variant=variant, input_size=size)
            x = torch.empty(2, 3, *size)
            assert tuple(top(x).shape) == (2, 10)
            assert tuple(base(x).shape) == (2, 1280, *final)
        gray = build(ARCH, "torch", variant=variant, in_channels=1, input_size=(75, 101))
        assert tuple(gray.features[0].get_submodule("0").weight.shape) == (32, 1, 3, 3)
        assert tuple(gray(torch.empty(2, 1, 75, 101)).shape) == (2, 1000)


def test_torch_keras_layout_batchnorm_padding_and_dropout():
    """keras.applications: epsilon 1e-3, Keras momentum 0.999 (torch's 0.001), no dropout."""
    with torch.device("meta"):
        ours = build(ARCH, "torch", variant="keras")
        default = build(ARCH, "torch")

    def constants(model):
        return {(m.eps, m.momentum) for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)}

    assert constants(ours) == {(1e-3, 0.001)}
    assert constants(default) == {(1e-5, 0.1)}
    pads = [name for name, m in ours.named_modules() if isinstance(m, torch.nn.ZeroPad2d)]
    assert pads == [f"{name}.pad" for name in STRIDE_2]
    assert not any(isinstance(m, torch.nn.ZeroPad2d) for m in default.modules())
    assert (ours.classifier[0].p, default.classifier[0].p) == (0.0, 0.2)


@pytest.mark.parametrize("framework", ["torch", "keras"])
@pytest.mark.parametrize(
    "options,message",
    [
        ({"layout": "tf"}, "layout must be one of 'torchvision', 'keras'; got 'tf'"),
        ({"width_mult": 0}, "width_mult must be a positive number; got 0"),
        ({"width_mult": "wide"}, "width_mult must be a positive number; got 'wide'"),
        ({"dropout": 1.0}, "dropout must be a number in [0, 1); 1.0 is out of range"),
        ({"dropout": -0.1}, "dropout must be a number in [0, 1); -0.1 is out of range"),
    ],
)
def test_bad_options_raise_value_errors_naming_them(framework, options, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        build(ARCH, framework, **options)


def _randomize_batch_norm(model, generator):
    """torchvision starts BN as the identity; random statistics make BN placement observable."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5, generator=generator)
                module.bias.normal_(0.0, 0.1, generator=generator)
                module.running_mean.normal_(0.0, 0.1, generator=generator)
                module.running_var.uniform_(0.5, 1.5, generator=generator)


def test_torch_equals_torchvision_at_224():
    """torchvision's random state_dict loads strictly into ours and gives the same outputs."""
    side = 224
    generator = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    reference = torchvision.models.mobilenet_v2(weights=None).eval()
    _randomize_batch_norm(reference, generator)
    ours = build(ARCH, "torch").eval()
    ours.load_state_dict(reference.state_dict(), strict=True)
    base = build(ARCH, "torch", include_top=False).eval()
    base_state = {k: v for k, v in reference.state_dict().items() if k.startswith("features.")}
    base.load_state_dict(base_state, strict=True)
    x = torch.randn(1, 3, side, side, generator=generator)
    with torch.no_grad():
        assert_close(ours(x).numpy(), reference(x).numpy())
        assert_close(base(x).numpy(), reference.features(x).numpy())


@pytest.mark.parametrize("size", [(64, 64), (75, 101)], ids=["even", "odd"])
def test_torch_keras_layout_pads_like_tensorflow_same(size):
    """Each stride-2 conv of the torch ``"keras"`` layout equals TensorFlow's ``'same'`` conv.

    The input of each padded block and its convolution's output are caught as the network runs;
    Keras' own ``padding="same"`` convolution of that input with the same kernel is the oracle.
    On an even side 'same' pads bottom/right only, on an odd side both, so both sizes are tried.
    """
    pytest.importorskip("keras")
    from keras import ops

    torch.manual_seed(0)
    model = build(ARCH, "torch", variant="keras", input_size=size).eval()
    inputs, outputs, hooks = {}, {}, []
    for name in STRIDE_2:
        block, conv = model.get_submodule(name), model.get_submodule(f"{name}.0")
        hooks.append(
            block.register_forward_pre_hook(
                lambda m, args, name=name: inputs.__setitem__(name, args[0].clone())
            )
        )
        hooks.append(
            conv.register_forward_hook(
                lambda m, args, out, name=name: outputs.__setitem__(name, out.clone())
            )
        )
    with torch.no_grad():
        model(torch.randn(1, 3, *size))
    for hook in hooks:
        hook.remove()
    assert sorted(inputs) == sorted(outputs) == sorted(STRIDE_2)
    for name in STRIDE_2:
        conv = model.get_submodule(f"{name}.0")
        x = inputs[name].numpy().transpose(0, 2, 3, 1)
        kernel = conv.weight.detach().numpy()
        if conv.groups == 1:
            same = ops.conv(x, kernel.transpose(2, 3, 1, 0), strides=2, padding="same")
        else:
            same = ops.depthwise_conv(x, kernel.transpose(2, 3, 0, 1), strides=2, padding="same")
        assert_close(outputs[name].numpy(), np.asarray(same).transpose(0, 3, 1, 2))


# ---------------------------------------------------------------------------------------- keras


@pytest.fixture(scope="module")
def keras_model():
    """Build each Keras model once per module."""
    keras = pytest.importorskip("keras")

    cache = {}

    def get_model(variant, *, size=(224, 224), **kwargs):
        key = (variant, size, tuple(sorted(kwargs.items())))
        if key not in cache:
            cache[key] = build(ARCH, "keras", variant=variant, input_size=size, **kwargs)
        return cache[key]

    yield get_model
    cache.clear()
    keras.backend.clear_session()


@pytest.mark.parametrize("variant", VARIANTS)
def test_keras_counts_equal_catalog(keras_model, variant):
    """Trainable = torchvision's parameters; total adds torchvision's BN running statistics.

    The base count is read from the same graph, cut at the last ReLU6 (``features.18.2``).
    """
    keras = pytest.importorskip("keras")

    spec = get(ARCH).variant(variant)
    model = keras_model(variant)
    assert keras_counts(model) == (spec.keras_params.value, spec.params.value)
    base = keras.Model(model.input, model.get_layer("features.18.2").output)
    assert keras_counts(base) == (spec.base_keras_params.value, spec.base_params.value)
    statistics = sum(
        v.numel()
        for k, v in torchvision_meta().state_dict().items()
        if k.endswith(("running_mean", "running_var"))
    )
    assert model.count_params() - keras_counts(model)[1] == statistics


def test_keras_channel_rounding_follows_keras_applications():
    """At a width where the two roundings part, the "keras" layout counts as keras.applications."""
    keras = pytest.importorskip("keras")

    reference = keras.applications.MobileNetV2(
        weights=None, alpha=PARTING_WIDTH, input_shape=(64, 64, 3)
    )
    ours = build(ARCH, "keras", variant="keras", width_mult=PARTING_WIDTH, input_size=64)
    assert keras_counts(ours) == keras_counts(reference)
    with torch.device("meta"):
        ours_torch = build(ARCH, "torch", variant="keras", width_mult=PARTING_WIDTH)
    assert torch_count(ours_torch) == keras_counts(reference)[1]
    # and the roundings do part here: torchvision's layout has other widths
    assert torch_count(torchvision_meta(PARTING_WIDTH)) != torch_count(ours_torch)
    del reference, ours


def test_keras_output_shapes_non_square(keras_model):
    top = keras_model("default", size=(64, 96), num_classes=10)
    base = keras_model("default", size=(64, 96), include_top=False)
    assert tuple(top.output.shape) == (None, 10)
    assert tuple(base.output.shape) == (None, 2, 3, 1280)
    assert base.layers[-1].name == "features.18.2"
    # the paper's Table 2 sides, 224 / 2^k, at 64x96; the last layer of each stage is its
    # residual add where it has one, else the projection's BN
    expected = {"features.1.conv.2": (32, 48, 16), "features.3.add": (16, 24, 24),
                "features.6.add": (8, 12, 32), "features.10.add": (4, 6, 64),
                "features.13.add": (4, 6, 96), "features.16.add": (2, 3, 160),
                "features.17.conv.3": (2, 3, 320)}  # fmt: skip
    for name, (h, w, c) in expected.items():
        assert tuple(base.get_layer(name).output.shape) == (None, h, w, c), name


def test_keras_weight_names_are_torch_module_paths(keras_model):
    """Every Keras layer with weights is named as the torch module holding the same weights."""
    with torch.device("meta"):
        torch_model = build(ARCH, "torch", variant="keras")
    torch_names = {
        name for name, m in torch_model.named_modules() if list(m.parameters(recurse=False))
    }
    keras_names = {layer.name for layer in keras_model("keras").layers if layer.weights}
    assert keras_names == torch_names
    depthwise = {
        layer.name for layer in keras_model("keras").layers if "Depthwise" in type(layer).__name__
    }
    grouped = {
        name
        for name, m in torch_model.named_modules()
        if isinstance(m, torch.nn.Conv2d) and m.groups > 1
    }
    assert depthwise == grouped and len(grouped) == 17


def keras_applications_name(name):
    """Our dotted name for a keras.applications MobileNetV2 layer, e.g. block_3_expand_BN."""
    fixed = {
        "Conv1": "features.0.0",
        "bn_Conv1": "features.0.1",
        "expanded_conv_depthwise": "features.1.conv.0.0",
        "expanded_conv_depthwise_BN": "features.1.conv.0.1",
        "expanded_conv_project": "features.1.conv.1",
        "expanded_conv_project_BN": "features.1.conv.2",
        "Conv_1": "features.18.0",
        "Conv_1_bn": "features.18.1",
        "predictions": "classifier.1",
    }
    if name in fixed:
        return fixed[name]
    block, part = re.fullmatch(r"block_(\d+)_(\w+)", name).groups()
    suffix = {"expand": "0.0", "expand_BN": "0.1", "depthwise": "1.0", "depthwise_BN": "1.1",
              "project": "2", "project_BN": "3"}[part]  # fmt: skip
    return f"features.{int(block) + 1}.conv.{suffix}"


@pytest.mark.parametrize("size", [(224, 224), (75, 101)], ids=["224", "odd"])
def test_keras_layout_equals_keras_applications(keras_model, size):
    """keras.applications' MobileNetV2 weights, copied by name, give the same logits.

    At 224 every stride-2 input side is even (padding bottom/right only); at 75x101 the sides
    are odd and even in turn.
    """
    keras = pytest.importorskip("keras")

    rng = np.random.default_rng(0)
    reference = keras.applications.MobileNetV2(
        weights=None, input_shape=(*size, 3), classifier_activation=None
    )
    ours = keras_model("keras", size=size)
    copied = set()
    for layer in reference.layers:
        if not layer.weights:
            continue
        target = ours.get_layer(keras_applications_name(layer.name))
        if isinstance(layer, keras.layers.BatchNormalization):
            assert (target.epsilon, target.momentum) == (layer.epsilon, layer.momentum)
        layer.set_weights(random_weights(layer, rng))
        target.set_weights(layer.get_weights())
        copied.add(target.name)
    assert copied == {layer.name for layer in ours.layers if layer.weights}
    x = rng.standard_normal((1, *size, 3)).astype("float32")
    logits = np.asarray(reference(x, training=False))
    assert np.abs(logits).max() > 0.1  # large enough for the bound to be a relative one
    assert_close(ours(x, training=False), logits)
    del reference
