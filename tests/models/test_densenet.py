"""DenseNet-121/169/201: parameter counts, output shapes, identity with the canonical libraries.

Expected numbers come from torchvision 0.29 (parameter counts, BatchNorm running statistics,
``meta["_ops"]`` GMACs, the models themselves) and keras.applications 3.15
(``DenseNet121/169/201(weights=None)``), as the catalog records; shapes come from the paper's
Table 1 (output sizes 112, 56, 28, 14, 7 at 224x224) and its growth-rate arithmetic (each dense
layer adds k = 32 channels, each transition halves them).
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

ARCHS = ["densenet121", "densenet169", "densenet201"]
VARIANTS = ["default", "keras"]
WEIGHTS = {
    "densenet121": torchvision.models.DenseNet121_Weights,
    "densenet169": torchvision.models.DenseNet169_Weights,
    "densenet201": torchvision.models.DenseNet201_Weights,
}
# Layers per dense block, from the paper's Table 1.
PAPER_BLOCKS = {
    "densenet121": (6, 12, 24, 16),
    "densenet169": (6, 12, 32, 32),
    "densenet201": (6, 12, 48, 32),
}


def paper_stage_channels(blocks, growth=32, stem=64):
    """Channels after each dense block and transition: +k per layer, halved by a transition."""
    channels, stages = stem, []
    for index, layers in enumerate(blocks):
        channels += layers * growth
        stages.append(channels)
        if index < 3:
            channels //= 2
            stages.append(channels)
    return stages


@functools.cache
def torchvision_meta(arch):
    """torchvision's model on the meta device: its structure, no memory."""
    with torch.device("meta"):
        return getattr(torchvision.models, arch)()


def test_catalog_block_configs_are_the_papers():
    for arch, blocks in PAPER_BLOCKS.items():
        assert get(arch).kwargs["block_config"] == blocks


# ---------------------------------------------------------------------------------------- torch


@pytest.mark.parametrize("include_top", [True, False], ids=["top", "base"])
@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("arch", ARCHS)
def test_torch_counts_equal_catalog(arch, variant, include_top):
    """Both layouts have torchvision's count (they differ only in BatchNorm constants)."""
    spec = get(arch).variant(variant)
    expected = spec.params if include_top else spec.base_params
    with torch.device("meta"):
        model = build(arch, "torch", include_top=include_top, variant=variant)
    reference = torchvision_meta(arch)
    classifier = 0 if include_top else torch_count(reference.classifier)
    assert torch_count(model) == torch_count(model, trainable_only=True) == expected.value
    assert expected.value == torch_count(reference) - classifier


@pytest.mark.parametrize("arch", ARCHS)
def test_torch_counts_and_gmacs_equal_torchvision_weight_metadata(arch):
    """The catalog's numbers are torchvision's ``meta``; our model's multiply-adds agree."""
    meta = WEIGHTS[arch].IMAGENET1K_V1.meta
    spec = get(arch).variant()
    assert spec.params.value == meta["num_params"]
    assert spec.gmacs.value == meta["_ops"]
    with torch.device("meta"):
        model = build(arch, "torch").eval()
        with FlopCounterMode(display=False) as counter:
            model(torch.empty(1, 3, 224, 224))
    # FlopCounterMode counts 2 FLOPs per multiply-add; torchvision rounds GMACs to 3 decimals
    assert round(counter.get_total_flops() / 2e9, 3) == meta["_ops"]


@pytest.mark.parametrize("arch", ARCHS)
def test_torch_stage_shapes_follow_the_paper(arch):
    """At 224x224: stem 112, pool 56, blocks at 56/28/14/7, channels from k = 32."""
    sides = [56, 28, 28, 14, 14, 7, 7]  # block1, transition1, block2, ..., block4
    channels = paper_stage_channels(PAPER_BLOCKS[arch])
    with torch.device("meta"):
        model = build(arch, "torch")
        x = torch.empty(1, 3, 224, 224)
        stem = model.features[:4](x)
        assert tuple(model.features.conv0(x).shape) == (1, 64, 112, 112)
        assert tuple(stem.shape) == (1, 64, 56, 56)
        x = stem
        names = [n for n, _ in model.features.named_children() if n.startswith(("dense", "trans"))]
        assert len(names) == 7
        for name, side, width in zip(names, sides, channels, strict=True):
            x = getattr(model.features, name)(x)
            assert tuple(x.shape) == (1, width, side, side), name
    assert channels[-1] == get(arch).base_channels


@pytest.mark.parametrize("variant", VARIANTS)
def test_torch_output_shapes_non_square(variant):
    height, width = 64, 96  # /32: a 2x3 final map
    with torch.device("meta"):
        top = build("densenet121", "torch", num_classes=10, variant=variant, input_size=(64, 96))
        base = build(
            "densenet121", "torch", include_top=False, variant=variant, input_size=(64, 96)
        ).eval()  # eval: BatchNorm of a 1x1 map in training mode needs a batch above 1
        x = torch.empty(2, 3, height, width)
        assert tuple(top(x).shape) == (2, 10)
        assert tuple(base(x).shape) == (2, 1024, 2, 3)
        # the smallest input the catalog allows still gives a 1x1 map; any input channels
        assert tuple(base(torch.empty(1, 3, 32, 32)).shape) == (1, 1024, 1, 1)
        gray = build("densenet121", "torch", variant=variant, in_channels=1, num_classes=10)
        assert tuple(gray.features.conv0.weight.shape) == (64, 1, 7, 7)
        assert tuple(gray(torch.empty(2, 1, 32, 32)).shape) == (2, 10)


def test_torch_keras_layout_uses_keras_applications_batchnorm_constants():
    """keras.applications: epsilon 1.001e-5 and Keras' default momentum 0.99 (torch's 0.01)."""
    with torch.device("meta"):
        ours = build("densenet121", "torch", variant="keras")
        default = build("densenet121", "torch")
    norms = [m for m in ours.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    # two per dense layer, one per transition, norm0 and norm5
    assert len(norms) == 2 * sum(PAPER_BLOCKS["densenet121"]) + 3 + 2
    assert {(m.eps, m.momentum) for m in norms} == {(1.001e-5, 0.01)}
    assert {
        (m.eps, m.momentum) for m in default.modules() if isinstance(m, torch.nn.BatchNorm2d)
    } == {(1e-5, 0.1)}


@pytest.mark.parametrize("framework", ["torch", "keras"])
@pytest.mark.parametrize(
    "options,message",
    [
        ({"layout": "caffe"}, "layout must be one of 'torchvision', 'keras'; got 'caffe'"),
        ({"block_config": (6, 12, 24)}, "block_config must be 4 positive ints"),
        ({"block_config": (6, 12, 0, 16)}, "block_config must be 4 positive ints"),
        ({"growth_rate": 0}, "growth_rate must be a positive int; 0 is out of range"),
        ({"bn_size": 2.5}, "bn_size must be a positive int; got 2.5"),
        ({"num_init_features": True}, "num_init_features must be a positive int"),
    ],
)
def test_bad_options_raise_value_errors_naming_them(framework, options, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        build("densenet121", framework, **options)


def _randomize_batch_norm(model, generator):
    """torchvision starts BN as the identity; random statistics make BN placement observable."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5, generator=generator)
                module.bias.normal_(0.0, 0.1, generator=generator)
                module.running_mean.normal_(0.0, 0.1, generator=generator)
                module.running_var.uniform_(0.5, 1.5, generator=generator)


@pytest.mark.parametrize("arch", ARCHS)
def test_torch_equals_torchvision(arch):
    """torchvision's random state_dict loads strictly into ours and gives the same outputs.

    The base (``include_top=False``) equals torchvision's ``features`` followed by the ReLU that
    torchvision applies in ``forward``.
    """
    side = 64
    generator = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    reference = getattr(torchvision.models, arch)(weights=None).eval()
    _randomize_batch_norm(reference, generator)
    ours = build(arch, "torch", input_size=side).eval()
    ours.load_state_dict(reference.state_dict(), strict=True)
    base = build(arch, "torch", include_top=False, input_size=side).eval()
    base_state = {k: v for k, v in reference.state_dict().items() if k.startswith("features.")}
    base.load_state_dict(base_state, strict=True)
    x = torch.randn(2, 3, side, side, generator=generator)
    with torch.no_grad():
        assert_close(ours(x).numpy(), reference(x).numpy())
        assert_close(base(x).numpy(), torch.relu(reference.features(x)).numpy())


# ---------------------------------------------------------------------------------------- keras


@pytest.fixture(scope="module")
def keras_model():
    """Build each Keras model once per module (a DenseNet takes seconds to build)."""
    keras = pytest.importorskip("keras")

    cache = {}

    def get_model(arch, variant, *, side=64, **kwargs):
        key = (arch, variant, side, tuple(sorted(kwargs.items())))
        if key not in cache:
            cache[key] = build(arch, "keras", variant=variant, input_size=side, **kwargs)
        return cache[key]

    yield get_model
    cache.clear()
    keras.backend.clear_session()


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("arch", ARCHS)
def test_keras_counts_equal_catalog(keras_model, arch, variant):
    """Trainable = torchvision's parameters; total adds torchvision's BN running statistics.

    The base count is read from the same graph, cut at ``features.relu5``.
    """
    keras = pytest.importorskip("keras")

    spec = get(arch).variant(variant)
    if arch == "densenet121":  # reused by the tests below
        model = keras_model(arch, variant)
    else:  # built, counted and dropped, to keep the memory low
        model = build(arch, "keras", variant=variant, input_size=64)
    assert keras_counts(model) == (spec.keras_params.value, spec.params.value)
    base = keras.Model(model.input, model.get_layer("features.relu5").output)
    assert keras_counts(base) == (spec.base_keras_params.value, spec.base_params.value)
    statistics = sum(
        v.numel()
        for k, v in torchvision_meta(arch).state_dict().items()
        if k.endswith(("running_mean", "running_var"))
    )
    assert model.count_params() - keras_counts(model)[1] == statistics


def test_keras_output_shapes_non_square(keras_model):
    top = keras_model("densenet121", "default", side=(64, 96), num_classes=10)
    base = keras_model("densenet121", "default", side=(64, 96), include_top=False)
    assert tuple(top.output.shape) == (None, 10)
    assert tuple(base.output.shape) == (None, 2, 3, 1024)
    assert base.layers[-1].name == "features.relu5"
    sides = [(16, 24), (8, 12), (8, 12), (4, 6), (4, 6), (2, 3), (2, 3)]
    names = ["denseblock1.denselayer6.concat", "transition1.pool", "denseblock2.denselayer12.concat",
             "transition2.pool", "denseblock3.denselayer24.concat", "transition3.pool",
             "denseblock4.denselayer16.concat"]  # fmt: skip
    channels = paper_stage_channels(PAPER_BLOCKS["densenet121"])
    for name, (h, w), c in zip(names, sides, channels, strict=True):
        assert tuple(base.get_layer(f"features.{name}").output.shape) == (None, h, w, c), name


def test_keras_weight_names_are_torch_module_paths(keras_model):
    """Every Keras layer with weights is named as the torch module holding the same weights."""
    with torch.device("meta"):
        torch_model = build("densenet121", "torch", variant="keras")
    torch_names = {
        name for name, m in torch_model.named_modules() if list(m.parameters(recurse=False))
    }
    keras_names = {
        layer.name for layer in keras_model("densenet121", "keras").layers if layer.weights
    }
    assert keras_names == torch_names


def keras_applications_name(name):
    """Our dotted name for a keras.applications DenseNet layer, e.g. conv2_block1_0_bn."""
    fixed = {
        "conv1_conv": "features.conv0",
        "conv1_bn": "features.norm0",
        "bn": "features.norm5",
        "predictions": "classifier",
    }
    if name in fixed:
        return fixed[name]
    match = re.fullmatch(r"conv(\d)_block(\d+)_(\d)_(conv|bn)", name)
    if match:
        stage, layer, index, kind = match.groups()
        part = {("0", "bn"): "norm1", ("1", "conv"): "conv1", ("1", "bn"): "norm2",
                ("2", "conv"): "conv2"}[(index, kind)]  # fmt: skip
        return f"features.denseblock{int(stage) - 1}.denselayer{layer}.{part}"
    stage, kind = re.fullmatch(r"pool(\d)_(conv|bn)", name).groups()
    return f"features.transition{int(stage) - 1}.{'norm' if kind == 'bn' else 'conv'}"


def test_keras_layout_equals_keras_applications(keras_model):
    """keras.applications' DenseNet121 weights, copied by name, give the same logits."""
    keras = pytest.importorskip("keras")

    side = 64
    rng = np.random.default_rng(0)
    reference = keras.applications.DenseNet121(
        weights=None, input_shape=(side, side, 3), classifier_activation=None
    )
    ours = keras_model("densenet121", "keras", side=side)
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
    x = rng.standard_normal((2, side, side, 3)).astype("float32")
    logits = np.asarray(reference(x, training=False))
    assert np.abs(logits).max() > 0.1  # large enough for the bound to be a relative one
    assert_close(ours(x, training=False), logits)
    del reference
