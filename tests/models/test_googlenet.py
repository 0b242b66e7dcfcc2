"""GoogLeNet in PyTorch and Keras: parameter counts, output shapes, identity with torchvision.

Expected numbers: parameter counts from torchvision 0.29 (the catalog; re-checked here against a
live torchvision model), feature-map sizes from the paper's Table 1 (Szegedy et al. 2014, "Going
deeper with convolutions"), outputs from torchvision's own GoogLeNet holding the same weights.
"""

from __future__ import annotations

import importlib
import re

import numpy as np
import pytest

torch = pytest.importorskip("torch")
torchvision = pytest.importorskip("torchvision")
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from cnnlab.reference import build
from cnnlab.reference.catalog import get

from ._helpers import assert_close, keras_counts, torch_count, torch_output_shapes

VARIANTS = ["default", "aux"]

# The paper's Table 1 at 224x224: output (channels, side) of each layer of the stem and body.
PAPER_TABLE_1 = {
    "conv1": (64, 112),
    "maxpool1": (64, 56),
    "conv3": (192, 56),
    "maxpool2": (192, 28),
    "inception3a": (256, 28),
    "inception3b": (480, 28),
    "maxpool3": (480, 14),
    "inception4a": (512, 14),
    "inception4b": (512, 14),
    "inception4c": (512, 14),
    "inception4d": (528, 14),
    "inception4e": (832, 14),
    "maxpool4": (832, 7),
    "inception5a": (832, 7),
    "inception5b": (1024, 7),
}


@pytest.fixture(scope="module")
def keras_models():
    """Keras builds are slow; each (variant, include_top) is built once for this module."""
    keras = pytest.importorskip("keras")

    cache = {}

    def get_model(variant, include_top=True):
        key = (variant, include_top)
        if key not in cache:
            cache[key] = build("googlenet", "keras", variant=variant, include_top=include_top)
        return cache[key]

    yield get_model
    cache.clear()
    keras.backend.clear_session()


# ---------------------------------------------------------------------------------------- counts


@pytest.mark.parametrize("variant", VARIANTS)
def test_torch_counts_equal_catalog(variant):
    """torchvision's counts; include_top=False drops fc and the auxiliary classifiers."""
    spec = get("googlenet").variant(variant)
    with torch.device("meta"):
        top = build("googlenet", "torch", variant=variant)
        base = build("googlenet", "torch", variant=variant, include_top=False)
    assert torch_count(top) == spec.params.value
    assert torch_count(base) == spec.base_params.value


def test_catalog_and_our_gmacs_equal_torchvision_weight_metadata():
    """torchvision's ``meta``: ``num_params`` (its checkpoint has no aux heads) and ``_ops``."""
    meta = torchvision.models.GoogLeNet_Weights.IMAGENET1K_V1.meta
    spec = get("googlenet").variant()
    assert (spec.params.value, spec.gmacs.value) == (meta["num_params"], meta["_ops"])
    with torch.device("meta"):
        model = build("googlenet", "torch").eval()
        with FlopCounterMode(display=False) as counter:
            model(torch.empty(1, 3, 224, 224))
    # FlopCounterMode counts 2 FLOPs per multiply-add; torchvision rounds GMACs to 3 decimals
    assert round(counter.get_total_flops() / 2e9, 3) == meta["_ops"]


@pytest.mark.parametrize("include_top", [True, False], ids=["top", "base"])
@pytest.mark.parametrize("variant", VARIANTS)
def test_keras_counts_equal_catalog(keras_models, variant, include_top):
    """Trainable = torchvision's parameters; total adds torchvision's BN running statistics."""
    spec = get("googlenet").variant(variant)
    expected = (
        (spec.keras_params, spec.params)
        if include_top
        else (spec.base_keras_params, spec.base_params)
    )
    assert keras_counts(keras_models(variant, include_top)) == tuple(f.value for f in expected)


def test_keras_weighted_layers_are_named_and_shaped_as_their_torch_twins(keras_models):
    """The porting contract: one Keras layer per torch module with weights, same name and shape."""
    with torch.device("meta"):
        torch_modules = {
            name: module
            for name, module in build("googlenet", "torch", variant="aux").named_modules()
            if next(module.parameters(recurse=False), None) is not None
        }
    keras_layers = {layer.name: layer for layer in keras_models("aux").layers if layer.weights}
    assert set(keras_layers) == set(torch_modules)
    for name, module in torch_modules.items():
        layer = keras_layers[name]
        if isinstance(module, nn.Conv2d):  # torch OIHW, Keras HWIO
            assert tuple(layer.kernel.shape) == tuple(module.weight.permute(2, 3, 1, 0).shape)
            assert not layer.use_bias and module.bias is None
        elif isinstance(module, nn.Linear):
            assert tuple(layer.kernel.shape) == tuple(module.weight.shape)[::-1]
        else:
            assert (layer.epsilon, layer.momentum) == (
                module.eps,
                pytest.approx(1 - module.momentum),
            )
            assert tuple(layer.gamma.shape) == tuple(module.weight.shape)


# ---------------------------------------------------------------------------------------- shapes


def test_torch_stage_shapes_follow_the_paper():
    with torch.device("meta"):
        model = build("googlenet", "torch").eval()
        shapes, logits = torch_output_shapes(model, torch.empty(2, 3, 224, 224), PAPER_TABLE_1)
        base = build("googlenet", "torch", include_top=False)
        features = base(torch.empty(2, 3, 224, 224))
    assert shapes == {name: (2, c, side, side) for name, (c, side) in PAPER_TABLE_1.items()}
    assert tuple(logits.shape) == (2, 1000)
    spec = get("googlenet")
    assert tuple(features.shape) == (2, spec.base_channels, spec.base_side, spec.base_side)


def test_torch_aux_outputs_only_in_training_mode():
    """torchvision's convention: GoogLeNetOutputs(logits, aux_logits2, aux_logits1) in train."""
    with torch.device("meta"):
        model = build("googlenet", "torch", 10, variant="aux")
        x = torch.empty(2, 3, 224, 224)
        train_out = model.train()(x)
        eval_out = model.eval()(x)
        plain_train_out = build("googlenet", "torch", 10).train()(x)
    assert train_out._fields == ("logits", "aux_logits2", "aux_logits1")
    assert [tuple(t.shape) for t in train_out] == [(2, 10)] * 3
    assert isinstance(eval_out, torch.Tensor) and tuple(eval_out.shape) == (2, 10)
    assert isinstance(plain_train_out, torch.Tensor) and tuple(plain_train_out.shape) == (2, 10)


def test_keras_stage_shapes_follow_the_paper(keras_models):
    model = keras_models("default")
    for name, (channels, side) in PAPER_TABLE_1.items():
        layer = f"{name}.relu" if name.startswith("conv") else name
        layer = f"{name}.cat" if name.startswith("inception") else layer
        assert tuple(model.get_layer(layer).output.shape) == (None, side, side, channels), name
    assert tuple(model.output.shape) == (None, 1000)
    spec = get("googlenet")
    base = keras_models("default", include_top=False)
    assert tuple(base.output.shape) == (None, spec.base_side, spec.base_side, spec.base_channels)


def test_keras_aux_model_outputs_logits_then_aux2_then_aux1(keras_models):
    model = keras_models("aux")
    assert [t._keras_history.operation.name for t in model.outputs] == [
        "fc",
        "aux2.fc2",
        "aux1.fc2",
    ]
    assert [tuple(t.shape) for t in model.outputs] == [(None, 1000)] * 3
    # the paper: "an average pooling layer ... resulting in an 4x4x512 output for the (4a), and
    # 4x4x528 for the (4d) stage", then 128 1x1 filters and a 1024-unit fully connected layer
    assert tuple(model.get_layer("aux1.avgpool").output.shape) == (None, 4, 4, 512)
    assert tuple(model.get_layer("aux2.avgpool").output.shape) == (None, 4, 4, 528)
    assert tuple(model.get_layer("aux1.flatten").output.shape) == (None, 4 * 4 * 128)
    assert tuple(model.get_layer("aux2.fc1").output.shape) == (None, 1024)
    # include_top=False has no classifier at all, auxiliary ones included
    assert len(keras_models("aux", include_top=False).outputs) == 1


@pytest.mark.parametrize("side,out", [(14, 4), (6, 4), (2, 4), (7, 3), (17, 5)])
def test_keras_adaptive_average_pooling_equals_torch(side, out):
    """Uneven, overlapping windows (14 -> 4: 0-4, 3-7, 7-11, 10-14), as torch computes them."""
    pytest.importorskip("keras")
    from cnnlab.reference.keras_models.googlenet import AdaptiveAveragePooling2D

    x = np.random.default_rng(side).normal(size=(2, side, side + 3, 5)).astype("float32")
    ours = AdaptiveAveragePooling2D((out, out))(x)
    theirs = nn.functional.adaptive_avg_pool2d(torch.from_numpy(x).permute(0, 3, 1, 2), out)
    assert_close(ours, theirs.permute(0, 2, 3, 1).numpy())


# ---------------------------------------------------------------------------------------- identity


def _calibrate_batch_norm(model, x, generator):
    """Running statistics from one batch, random gamma and beta: every BatchNorm then shapes the
    eval-mode output (torchvision starts them as the identity, hiding a wrong epsilon or order)."""
    norms = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    momenta = [m.momentum for m in norms]
    for m in norms:
        m.momentum = 1.0
    with torch.no_grad():
        model.train()(x)
        for m, momentum in zip(norms, momenta, strict=True):
            m.momentum = momentum
            m.weight.uniform_(0.5, 1.5, generator=generator)
            m.bias.uniform_(-0.2, 0.2, generator=generator)


@pytest.mark.parametrize("variant", VARIANTS)
def test_torch_equals_torchvision(variant):
    """torchvision's random state_dict loads strictly and gives the same outputs, eval and train.

    Dropout is 0 in both so that training mode is deterministic; training mode uses batch
    statistics (batch of 2) and must update the running statistics alike (same momentum).
    """
    aux = variant == "aux"
    generator = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    theirs = torchvision.models.googlenet(
        weights=None, aux_logits=aux, init_weights=True, dropout=0.0, dropout_aux=0.0
    )
    assert torch_count(theirs) == get("googlenet").variant(variant).params.value
    x = torch.randn(2, 3, 96, 96, generator=generator)
    _calibrate_batch_norm(theirs, torch.randn(4, 3, 96, 96, generator=generator), generator)
    with torch.device("meta"):
        ours = build("googlenet", "torch", variant=variant, dropout=0.0, dropout_aux=0.0)
    state = {key: value.clone() for key, value in theirs.state_dict().items()}
    ours.load_state_dict(state, strict=True, assign=True)
    with torch.no_grad():
        assert_close(ours.eval()(x), theirs.eval()(x))
        ours_train, theirs_train = ours.train()(x), theirs.train()(x)
    if aux:
        assert type(ours_train).__name__ == type(theirs_train).__name__ == "GoogLeNetOutputs"
        assert ours_train._fields == theirs_train._fields
        for mine, reference in zip(ours_train, theirs_train, strict=True):
            assert_close(mine, reference)
    else:
        assert_close(ours_train, theirs_train)
    reference_state = theirs.state_dict()
    for key, value in ours.state_dict().items():
        if "running" in key:
            assert_close(value, reference_state[key])


# ---------------------------------------------------------------------------------------- errors


@pytest.mark.parametrize("framework", ["torch", "keras"])
@pytest.mark.parametrize(
    "options,message",
    [
        pytest.param({"aux_logits": "yes"}, "aux_logits must be True or False", id="aux"),
        pytest.param({"dropout": 1.0}, "dropout must be a number in [0, 1)", id="dropout"),
        pytest.param(
            {"dropout_aux": -0.1}, "dropout_aux must be a number in [0, 1)", id="aux-drop"
        ),
        pytest.param({"input_size": (224, 16)}, "each at least 32", id="input-size"),
        pytest.param({"num_classes": 0}, "num_classes must be a positive int", id="classes"),
        pytest.param({"in_channels": 0}, "in_channels must be a positive int", id="channels"),
    ],
)
def test_builder_rejects_bad_options(framework, options, message):
    module = importlib.import_module(f"cnnlab.reference.{framework}_models.googlenet")
    with pytest.raises(ValueError, match=re.escape(message)):
        module.googlenet(**options)


# --------------------------------------------------- the paper's layout (variant "paper", a true 5x5)

# Table 1 of the paper: #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj, written out here
# (not read from the catalog) as the independent source of the arithmetic.
PAPER_WIDTHS = {
    "inception3a": (64, 96, 128, 16, 32, 32),
    "inception3b": (128, 128, 192, 32, 96, 64),
    "inception4a": (192, 96, 208, 16, 48, 64),
    "inception4b": (160, 112, 224, 24, 64, 64),
    "inception4c": (128, 128, 256, 24, 64, 64),
    "inception4d": (112, 144, 288, 32, 64, 64),
    "inception4e": (256, 160, 320, 32, 128, 128),
    "inception5a": (256, 160, 320, 32, 128, 128),
    "inception5b": (384, 192, 384, 48, 128, 128),
}


def _conv(k, cin, cout):
    return k * k * cin * cout + cout  # with a bias, no BatchNorm


def paper_block_params(cin, widths):
    c1, r3, c3, r5, c5, proj = widths
    return (_conv(1, cin, c1) + _conv(1, cin, r3) + _conv(3, r3, c3) + _conv(1, cin, r5)
            + _conv(5, r5, c5) + _conv(1, cin, proj))


def test_paper_variant_counts_are_the_papers_arithmetic():
    stem = _conv(7, 3, 64) + _conv(1, 64, 64) + _conv(3, 64, 192)
    assert stem == 9_472 + 4_160 + 110_784
    blocks, cin = {}, 192
    for name, widths in PAPER_WIDTHS.items():
        blocks[name] = paper_block_params(cin, widths)
        cin = widths[0] + widths[2] + widths[4] + widths[5]
    assert blocks["inception3a"] == 163_696  # the lecture audit's figure for 3a with biases
    total = stem + sum(blocks.values()) + 1024 * 1000 + 1000
    spec = get("googlenet").variant("paper")
    assert spec.params.value == spec.keras_params.value == total == 6_998_552
    assert spec.base_params.value == total - 1_025_000
    model = build("googlenet", "torch", variant="paper")
    assert torch_count(model) == total
    for name, expected in blocks.items():
        assert torch_count(getattr(model, name)) == expected, name
    assert not any(isinstance(m, nn.BatchNorm2d) for m in model.modules())


def test_paper_variant_has_a_true_5x5_branch_and_torchvision_a_3x3(keras_models):
    paper = build("googlenet", "torch", variant="paper")
    torchvision_layout = build("googlenet", "torch")
    assert paper.inception3a.branch3[1].conv.kernel_size == (5, 5)
    assert paper.inception3a.branch3[1].conv.padding == (2, 2)
    assert torchvision_layout.inception3a.branch3[1].conv.kernel_size == (3, 3)
    assert paper.dropout.p == 0.4 and torchvision_layout.dropout.p == 0.2
    keras_paper = keras_models("paper")
    assert tuple(keras_paper.get_layer("inception3a.branch3.1.conv").kernel.shape) == (5, 5, 16, 32)
    for name, (channels, side) in PAPER_TABLE_1.items():
        layer = keras_paper.get_layer(f"{name}.cat" if name.startswith("inception") else
                                      (f"{name}.relu" if name.startswith("conv") else name))
        assert tuple(layer.output.shape) == (None, side, side, channels), name


def test_unknown_googlenet_layout_names_the_choices():
    with pytest.raises(ValueError, match="layout must be one of 'torchvision', 'paper'"):
        build("googlenet", "torch", layout="v2")
