"""ResNet-18/34/50/101/152: parameter counts, output shapes, identity with the canonical libraries.

Expected numbers come from torchvision 0.29 (parameter counts, ``meta["_ops"]`` GMACs, the models
themselves) and keras.applications 3.15 (``ResNet50/101/152(weights=None)``), as the catalog
records; shapes come from the output-size formula in the ``torch.nn.Conv2d`` documentation.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

torch = pytest.importorskip("torch")
torchvision = pytest.importorskip("torchvision")
from torch.utils.flop_counter import FlopCounterMode

from cnnlab.reference import build
from cnnlab.reference.catalog import get

from ._helpers import assert_close, keras_counts, torch_count

DEPTHS = ["resnet18", "resnet34", "resnet50", "resnet101", "resnet152"]
BOTTLENECK = ["resnet50", "resnet101", "resnet152"]
CASES = [(arch, "default") for arch in DEPTHS] + [(arch, "keras") for arch in BOTTLENECK]
STAGE_CHANNELS = {"basic": (64, 128, 256, 512), "bottleneck": (256, 512, 1024, 2048)}
WEIGHTS = {
    "resnet18": torchvision.models.ResNet18_Weights,
    "resnet34": torchvision.models.ResNet34_Weights,
    "resnet50": torchvision.models.ResNet50_Weights,
    "resnet101": torchvision.models.ResNet101_Weights,
    "resnet152": torchvision.models.ResNet152_Weights,
}


def _side(size, kernel, stride, padding):
    # floor((size + 2 * padding - kernel) / stride) + 1, from the torch.nn.Conv2d docs
    return (size + 2 * padding - kernel) // stride + 1


def expected_stage_sides(height, width):
    """(height, width) after layer1..layer4: conv 7/2/3 and pool 3/2/1, then 2x per stage."""
    sides = []
    h = _side(_side(height, 7, 2, 3), 3, 2, 1)
    w = _side(_side(width, 7, 2, 3), 3, 2, 1)
    for stage in range(4):
        if stage:  # a 3x3/2/1 conv and a 1x1/2/0 conv give the same side
            h, w = _side(h, 3, 2, 1), _side(w, 3, 2, 1)
        sides.append((h, w))
    return sides


# ---------------------------------------------------------------------------------------- torch


@pytest.mark.parametrize("include_top", [True, False], ids=["top", "base"])
@pytest.mark.parametrize("arch,variant", CASES)
def test_torch_counts_equal_catalog(arch, variant, include_top):
    """Default: torchvision's count; keras layout: keras.applications' trainable count."""
    spec = get(arch).variant(variant)
    expected = spec.params if include_top else spec.base_params
    with torch.device("meta"):
        model = build(arch, "torch", include_top=include_top, variant=variant)
    assert torch_count(model) == torch_count(model, trainable_only=True) == expected.value


@pytest.mark.parametrize("arch", DEPTHS)
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


@pytest.mark.parametrize(
    "arch,variant", [("resnet18", "default"), ("resnet50", "default"), ("resnet50", "keras")]
)
def test_torch_stage_and_final_shapes(arch, variant):
    height, width = 97, 130  # non-square and odd, so floor/ceil mistakes show
    block = get(arch).kwargs["block"]
    with torch.device("meta"):
        base = build(arch, "torch", include_top=False, variant=variant, input_size=(height, width))
        top = build(  # a one-channel input as well, for grey-scale transfer learning
            arch, "torch", 10, variant=variant, input_size=(height, width), in_channels=1
        )
        x = torch.empty(2, 3, height, width)
        x = base.maxpool(base.relu(base.bn1(base.conv1(x))))
        for stage, (channels, (h, w)) in enumerate(
            zip(STAGE_CHANNELS[block], expected_stage_sides(height, width), strict=True), start=1
        ):
            x = getattr(base, f"layer{stage}")(x)
            assert tuple(x.shape) == (2, channels, h, w), f"layer{stage}"
        assert tuple(base(torch.empty(2, 3, height, width)).shape) == tuple(x.shape)
        assert tuple(top(torch.empty(2, 1, height, width)).shape) == (2, 10)


def _randomize_batch_norm(model, generator):
    """torchvision starts BN as the identity; random statistics make BN placement observable."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5, generator=generator)
                module.bias.normal_(0.0, 0.1, generator=generator)
                module.running_mean.normal_(0.0, 0.1, generator=generator)
                module.running_var.uniform_(0.5, 1.5, generator=generator)


@pytest.mark.parametrize(
    "arch,side",
    [("resnet18", 224), ("resnet50", 224), ("resnet34", 64), ("resnet101", 64), ("resnet152", 64)],
)
def test_torch_equals_torchvision(arch, side):
    """torchvision's random state_dict loads strictly into ours and gives the same logits."""
    generator = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    reference = getattr(torchvision.models, arch)(weights=None)
    _randomize_batch_norm(reference, generator)
    with torch.device("meta"):  # no memory, no init: every tensor comes from torchvision's
        ours = build(arch, "torch", input_size=side)
    ours.load_state_dict(reference.state_dict(), strict=True, assign=True)
    x = torch.randn(1, 3, side, side, generator=generator)
    with torch.no_grad():
        assert_close(ours.eval()(x).numpy(), reference.eval()(x).numpy())


# ---------------------------------------------------------------------------------------- keras


@pytest.mark.parametrize("arch", DEPTHS)
def test_keras_default_layout_counts_equal_catalog(arch):
    """Total = torchvision's parameters + BN running statistics; trainable = torchvision's."""
    keras = pytest.importorskip("keras")

    spec = get(arch).variant()
    model = build(arch, "keras")
    assert keras_counts(model) == (spec.keras_params.value, spec.params.value)
    del model
    keras.backend.clear_session()


@pytest.mark.parametrize("arch,variant", [("resnet18", "default"), ("resnet50", "keras")])
def test_keras_stage_shapes_and_base_counts(arch, variant):
    keras = pytest.importorskip("keras")

    height, width = 97, 130
    block = get(arch).kwargs["block"]
    spec = get(arch).variant(variant)
    base = build(arch, "keras", include_top=False, variant=variant, input_size=(height, width))
    assert keras_counts(base) == (spec.base_keras_params.value, spec.base_params.value)
    layers = get(arch).kwargs["layers"]
    for stage, (channels, (h, w)) in enumerate(
        zip(STAGE_CHANNELS[block], expected_stage_sides(height, width), strict=True), start=1
    ):
        output = base.get_layer(f"layer{stage}.{layers[stage - 1] - 1}.out").output
        assert tuple(output.shape) == (None, h, w, channels), f"layer{stage}"
    assert tuple(base.output.shape) == (None, h, w, STAGE_CHANNELS[block][-1])
    x = np.zeros((1, height, width, 3), "float32")
    assert base(x).shape == (1, h, w, STAGE_CHANNELS[block][-1])
    top = build(arch, "keras", 10, variant=variant, input_size=(height, width), in_channels=1)
    assert top(x[..., :1]).shape == (1, 10)
    del base, top
    keras.backend.clear_session()


def keras_applications_name(name):
    """Our dotted name for a keras.applications ResNet layer name, e.g. conv2_block1_0_conv."""
    fixed = {"conv1_conv": "conv1", "conv1_bn": "bn1", "predictions": "fc"}
    if name in fixed:
        return fixed[name]
    stage, block, index, kind = re.fullmatch(r"conv(\d)_block(\d+)_(\d)_(conv|bn)", name).groups()
    prefix = f"layer{int(stage) - 1}.{int(block) - 1}"
    if index == "0":
        return f"{prefix}.downsample.{0 if kind == 'conv' else 1}"
    return f"{prefix}.{kind}{index}"


@pytest.mark.parametrize(
    "arch,cls,side",
    [("resnet50", "ResNet50", 224), ("resnet101", "ResNet101", 64), ("resnet152", "ResNet152", 64)],
)
def test_keras_layout_equals_keras_applications(arch, cls, side):
    """Counts as the catalog says, and the same logits once its weights are copied by name."""
    keras = pytest.importorskip("keras")

    spec = get(arch).variant("keras")
    ours = build(arch, "keras", variant="keras", input_size=side)
    assert keras_counts(ours) == (spec.keras_params.value, spec.params.value)
    keras.utils.set_random_seed(0)
    theirs = getattr(keras.applications, cls)(
        weights=None, input_shape=(side, side, 3), classifier_activation=None
    )
    rng = np.random.default_rng(0)
    copied = set()
    for layer in theirs.layers:
        weights = layer.get_weights()
        if not weights:
            continue
        if isinstance(layer, keras.layers.BatchNormalization):
            # gamma, beta, moving mean, moving variance: away from the identity BN starts as
            n = weights[0].shape
            weights = [
                rng.uniform(0.5, 1.5, n),
                rng.normal(0, 0.1, n),
                rng.normal(0, 0.1, n),
                rng.uniform(0.5, 1.5, n),
            ]
        else:  # kernel as initialised, a non-zero bias so the biases are checked too
            weights = [weights[0], rng.normal(0, 0.1, weights[1].shape)]
        weights = [w.astype("float32") for w in weights]
        layer.set_weights(weights)
        name = keras_applications_name(layer.name)
        ours.get_layer(name).set_weights(weights)
        copied.add(name)
    assert copied == {layer.name for layer in ours.layers if layer.weights}
    x = rng.normal(size=(1, side, side, 3)).astype("float32")
    assert_close(ours(x, training=False), theirs(x, training=False))
    del ours, theirs
    keras.backend.clear_session()


def test_torch_keras_layout_has_keras_applications_layers():
    """Layer by layer (by name), torch's keras layout has ResNet50's shapes, strides, biases, BN.

    The numerical torch <-> Keras check needs weight porting (``cnnlab.reference.porting``); this one
    pins the hyper-parameters in which the keras layout differs from torchvision's.
    """
    keras = pytest.importorskip("keras")

    theirs = keras.applications.ResNet50(weights=None, classifier_activation=None)
    with torch.device("meta"):
        ours = dict(build("resnet50", "torch", variant="keras").named_modules())
    checked = 0
    for layer in theirs.layers:
        if not layer.weights:
            continue
        module = ours[keras_applications_name(layer.name)]
        if isinstance(layer, keras.layers.BatchNormalization):
            assert (module.eps, module.momentum) == (
                layer.epsilon,
                pytest.approx(1 - layer.momentum),
            )
            assert tuple(module.weight.shape) == tuple(layer.gamma.shape)
        elif isinstance(layer, keras.layers.Conv2D):
            kh, kw, cin, cout = layer.kernel.shape  # Keras HWIO, torch OIHW
            assert tuple(module.weight.shape) == (cout, cin, kh, kw), layer.name
            assert module.stride == tuple(layer.strides), layer.name
            # Keras 'same' at stride 1, a valid 1x1, or conv1 after a 3-pixel ZeroPadding2D
            assert module.padding == (kh // 2, kw // 2), layer.name
            assert module.bias is not None and layer.use_bias, layer.name
        else:  # the classifier
            assert tuple(module.weight.shape) == tuple(layer.kernel.shape)[::-1]
        checked += 1
    assert checked == sum(1 for m in ours.values() if next(m.parameters(False), None) is not None)
    del theirs
    keras.backend.clear_session()


# ---------------------------------------------------------------------------------------- errors


@pytest.mark.parametrize("framework", ["torch", "keras"])
@pytest.mark.parametrize(
    "options,message",
    [
        pytest.param(
            {"block": "basic", "layers": (2, 2, 2, 2), "layout": "keras"},
            "keras.applications has no ResNet-18 or ResNet-34",
            id="keras-basic",
        ),
        pytest.param(
            {"block": "wide", "layers": (2, 2, 2, 2)},
            "block must be one of 'basic', 'bottleneck'",
            id="block",
        ),
        pytest.param(
            {"block": "basic", "layers": (2, 2, 2)},
            "layers must be 4 positive ints",
            id="three-stages",
        ),
        pytest.param(
            {"block": "basic", "layers": (2, 0, 2, 2)},
            "layers must be 4 positive ints",
            id="empty-stage",
        ),
        pytest.param(
            {"block": "basic", "layers": (2, 2, 2, 2), "layout": "v2"},
            "layout must be one of 'torchvision', 'keras'",
            id="layout",
        ),
        pytest.param(
            {"block": "basic", "layers": (2, 2, 2, 2), "input_size": (224, 16)},
            "each at least 32",
            id="input-size",
        ),
        pytest.param(
            {"block": "basic", "layers": (2, 2, 2, 2), "num_classes": 0},
            "num_classes must be a positive int",
            id="num-classes",
        ),
    ],
)
def test_builder_rejects_bad_options(framework, options, message):
    import importlib

    module = importlib.import_module(f"cnnlab.reference.{framework}_models.resnet")
    with pytest.raises(ValueError, match=re.escape(message)):
        module.resnet(**options)


@pytest.mark.parametrize("arch", ["resnet18", "resnet34"])
def test_keras_variant_of_basic_resnets_is_refused(arch):
    with pytest.raises(ValueError, match="valid variants: default"):
        build(arch, "torch", variant="keras")
