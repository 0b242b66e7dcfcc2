"""Inception v3 in PyTorch and Keras: parameter counts, output shapes, identity with the canonical
libraries (torchvision's Inception3 for the default layout, keras.applications' InceptionV3 for the
"keras" layout).

Expected numbers: parameter counts from torchvision 0.29 and keras.applications 3.15 (the catalog;
re-checked here against the live models), feature-map sizes from torchvision's ``Inception3``
forward comments and keras.applications' block comments ("mixed 0: 35 x 35 x 256" ...), outputs
from the canonical models holding the same weights.
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
from cnnlab.reference.catalog.inception import inception_v3_sides

from ._helpers import as_numpy, assert_close, keras_counts, torch_count, torch_output_shapes

VARIANTS = ["default", "aux", "keras"]
SMALL = 139  # a 3x3 final map at a fifth of the cost of 299 (the aux classifier needs 299)

# (channels, side) at 299x299: torchvision's forward comments, keras.applications' comments.
STAGES_299 = {
    "Conv2d_1a_3x3": (32, 149),
    "Conv2d_2a_3x3": (32, 147),
    "Conv2d_2b_3x3": (64, 147),
    "maxpool1": (64, 73),
    "Conv2d_3b_1x1": (80, 73),
    "Conv2d_4a_3x3": (192, 71),
    "maxpool2": (192, 35),
    "Mixed_5b": (256, 35),
    "Mixed_5c": (288, 35),
    "Mixed_5d": (288, 35),
    "Mixed_6a": (768, 17),
    "Mixed_6b": (768, 17),
    "Mixed_6c": (768, 17),
    "Mixed_6d": (768, 17),
    "Mixed_6e": (768, 17),
    "Mixed_7a": (1280, 8),
    "Mixed_7b": (2048, 8),
    "Mixed_7c": (2048, 8),
}
# keras.applications names its block outputs mixed0 ... mixed10; torchvision Mixed_5b ... Mixed_7c
KERAS_APPLICATIONS_BLOCKS = {
    f"mixed{i}": name for i, name in enumerate(n for n in STAGES_299 if n.startswith("Mixed_"))
}


def _size(variant):
    return SMALL if variant == "keras" else 299


@pytest.fixture(scope="module")
def keras_models():
    """Keras builds are slow; each (variant, include_top) is built once for this module (the
    keras layout at 139x139, where it meets keras.applications; counts do not depend on size)."""
    keras = pytest.importorskip("keras")

    cache = {}

    def get_model(variant, include_top=True):
        key = (variant, include_top)
        if key not in cache:
            cache[key] = build(
                "inception_v3",
                "keras",
                variant=variant,
                include_top=include_top,
                input_size=_size(variant),
            )
        return cache[key]

    yield get_model
    cache.clear()
    keras.backend.clear_session()


@pytest.fixture(scope="module")
def keras_applications():
    """keras.applications.InceptionV3 at 139x139 with random weights and BN statistics drawn
    from one batch (moving mean 0 and variance 1 would hide a misplaced or mis-ported BN)."""
    keras = pytest.importorskip("keras")

    keras.utils.set_random_seed(0)
    model = keras.applications.InceptionV3(
        weights=None, input_shape=(SMALL, SMALL, 3), classifier_activation=None
    )
    rng = np.random.default_rng(1)
    norms = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    for layer in norms:
        layer.momentum = 0.0
    model(rng.normal(size=(4, SMALL, SMALL, 3)).astype("float32"), training=True)
    for layer in norms:
        layer.momentum = 0.99
        layer.beta.assign(rng.uniform(-0.2, 0.2, layer.beta.shape).astype("float32"))
    yield model
    keras.backend.clear_session()


# ---------------------------------------------------------------------------------------- counts


@pytest.mark.parametrize("variant", VARIANTS)
def test_torch_counts_equal_catalog(variant):
    """torchvision's counts; for the keras layout keras.applications' trainable count."""
    spec = get("inception_v3").variant(variant)
    with torch.device("meta"):
        top = build("inception_v3", "torch", variant=variant)
        base = build("inception_v3", "torch", variant=variant, include_top=False)
    assert torch_count(top) == spec.params.value
    assert torch_count(base) == spec.base_params.value


def test_catalog_and_our_gmacs_equal_torchvision_weight_metadata():
    """torchvision's ``meta``: ``num_params`` (its checkpoint has AuxLogits) and ``_ops``; the
    auxiliary classifier does not run in eval mode, so every variant costs the same."""
    meta = torchvision.models.Inception_V3_Weights.IMAGENET1K_V1.meta
    catalog = get("inception_v3")
    assert catalog.variant("aux").params.value == meta["num_params"]
    assert catalog.variant().gmacs.value == meta["_ops"]
    for variant in VARIANTS:
        with torch.device("meta"):
            model = build("inception_v3", "torch", variant=variant).eval()
            with FlopCounterMode(display=False) as counter:
                model(torch.empty(1, 3, 299, 299))
        # FlopCounterMode counts 2 FLOPs per multiply-add; torchvision rounds to 3 decimals
        assert round(counter.get_total_flops() / 2e9, 3) == meta["_ops"], variant


@pytest.mark.parametrize("include_top", [True, False], ids=["top", "base"])
@pytest.mark.parametrize("variant", VARIANTS)
def test_keras_counts_equal_catalog(keras_models, variant, include_top):
    """Trainable = torch's parameters; the total adds the BN moving statistics."""
    spec = get("inception_v3").variant(variant)
    expected = (
        (spec.keras_params, spec.params)
        if include_top
        else (spec.base_keras_params, spec.base_params)
    )
    assert keras_counts(keras_models(variant, include_top)) == tuple(f.value for f in expected)


def test_catalog_keras_counts_are_keras_applications(keras_applications):
    keras = pytest.importorskip("keras")

    spec = get("inception_v3").variant("keras")
    assert keras_counts(keras_applications) == (spec.keras_params.value, spec.params.value)
    base = keras.applications.InceptionV3(weights=None, include_top=False, input_shape=(75, 75, 3))
    assert keras_counts(base) == (spec.base_keras_params.value, spec.base_params.value)


@pytest.mark.parametrize("variant", ["aux", "keras"])
def test_keras_weighted_layers_are_named_and_shaped_as_their_torch_twins(keras_models, variant):
    """The porting contract: one Keras layer per torch module with weights, same name and shape;
    in the keras layout neither framework's BatchNorm has a scale."""
    with torch.device("meta"):
        model = build("inception_v3", "torch", variant=variant, input_size=_size(variant))
    torch_modules = {
        name: module
        for name, module in model.named_modules()
        if next(module.parameters(recurse=False), None) is not None
    }
    keras_layers = {layer.name: layer for layer in keras_models(variant).layers if layer.weights}
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
            assert layer.scale == (module.weight is not None) == (variant != "keras")
            assert tuple(layer.beta.shape) == tuple(module.bias.shape)


# ---------------------------------------------------------------------------------------- shapes


@pytest.mark.parametrize("variant", ["default", "keras"])
def test_torch_stage_shapes(variant):
    with torch.device("meta"):
        model = build("inception_v3", "torch", variant=variant).eval()
        shapes, logits = torch_output_shapes(model, torch.empty(2, 3, 299, 299), STAGES_299)
        base = build("inception_v3", "torch", variant=variant, include_top=False)
        features = base(torch.empty(2, 3, 299, 299))
    assert shapes == {name: (2, c, side, side) for name, (c, side) in STAGES_299.items()}
    assert tuple(logits.shape) == (2, 1000)
    spec = get("inception_v3")
    assert tuple(features.shape) == (2, spec.base_channels, spec.base_side, spec.base_side)


def test_torch_aux_output_only_in_training_mode():
    """torchvision's convention: InceptionOutputs(logits, aux_logits) in training mode only."""
    with torch.device("meta"):
        model = build("inception_v3", "torch", 10, variant="aux")
        x = torch.empty(2, 3, 299, 299)
        train_out = model.train()(x)
        eval_out = model.eval()(x)
    assert train_out._fields == ("logits", "aux_logits")
    assert [tuple(t.shape) for t in train_out] == [(2, 10), (2, 10)]
    assert isinstance(eval_out, torch.Tensor) and tuple(eval_out.shape) == (2, 10)


def test_keras_stage_shapes_and_aux_outputs(keras_models):
    model = keras_models("aux")
    for name, (channels, side) in STAGES_299.items():
        layer = name if name.startswith("maxpool") else f"{name}.cat"
        layer = f"{name}.relu" if name.startswith("Conv2d") else layer
        assert tuple(model.get_layer(layer).output.shape) == (None, side, side, channels), name
    assert [t._keras_history.operation.name for t in model.outputs] == ["fc", "AuxLogits.fc"]
    assert [tuple(t.shape) for t in model.outputs] == [(None, 1000), (None, 1000)]
    # torchvision's InceptionAux comments: 17x17x768 -> 5x5x768 -> 5x5x128 -> 1x1x768
    assert tuple(model.get_layer("AuxLogits.avgpool").output.shape) == (None, 5, 5, 768)
    assert tuple(model.get_layer("AuxLogits.conv1.relu").output.shape) == (None, 1, 1, 768)
    spec = get("inception_v3")
    base = keras_models("aux", include_top=False)
    assert len(base.outputs) == 1  # include_top=False drops the auxiliary classifier too
    assert tuple(base.output.shape) == (None, spec.base_side, spec.base_side, spec.base_channels)


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


def _torchvision_and_ours(variant, side, generator):
    """torchvision's random Inception v3 (dropout 0, so training mode is deterministic) and ours
    holding a copy of its state_dict, loaded strictly."""
    torch.manual_seed(0)
    theirs = torchvision.models.inception_v3(
        weights=None, aux_logits=variant == "aux", init_weights=True, dropout=0.0
    )
    assert torch_count(theirs) == get("inception_v3").variant(variant).params.value
    with torch.device("meta"):  # no init: every tensor comes from torchvision's
        ours = build("inception_v3", "torch", variant=variant, input_size=side, dropout=0.0)
    return theirs, ours


def _load(ours, theirs):
    state = {key: value.clone() for key, value in theirs.state_dict().items()}
    ours.load_state_dict(state, strict=True, assign=True)


def _assert_same_running_statistics(ours, theirs):
    reference = theirs.state_dict()
    for key, value in ours.state_dict().items():
        if "running" in key:
            assert_close(value, reference[key])


def test_torch_equals_torchvision():
    """Same outputs in eval mode, and in training mode (batch statistics, batch of 2), where the
    running statistics must move alike (same momentum)."""
    generator = torch.Generator().manual_seed(0)
    theirs, ours = _torchvision_and_ours("default", SMALL, generator)
    _calibrate_batch_norm(theirs, torch.randn(2, 3, SMALL, SMALL, generator=generator), generator)
    _load(ours, theirs)
    x = torch.randn(2, 3, SMALL, SMALL, generator=generator)
    with torch.no_grad():
        assert_close(ours.eval()(x), theirs.eval()(x))
        assert_close(ours.train()(x), theirs.train()(x))
    _assert_same_running_statistics(ours, theirs)


def test_torch_aux_outputs_equal_torchvision_in_training_mode():
    """With AuxLogits (299x299, the smallest input it takes): InceptionOutputs field for field.
    Eval mode skips AuxLogits and is the default layout's path, compared above."""
    generator = torch.Generator().manual_seed(1)
    theirs, ours = _torchvision_and_ours("aux", 299, generator)
    with torch.no_grad():  # batch statistics in training mode: only gamma and beta matter
        for module in theirs.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5, generator=generator)
                module.bias.uniform_(-0.2, 0.2, generator=generator)
    _load(ours, theirs)
    x = torch.randn(2, 3, 299, 299, generator=generator)
    with torch.no_grad():
        ours_out, theirs_out = ours.train()(x), theirs.train()(x)
    assert type(ours_out).__name__ == type(theirs_out).__name__ == "InceptionOutputs"
    assert ours_out._fields == theirs_out._fields
    for mine, reference in zip(ours_out, theirs_out, strict=True):
        assert_close(mine, reference)
    _assert_same_running_statistics(ours, theirs)


_TRANSPARENT = ("ZeroPadding2D", "ConstantPad2D", "ReLU", "Activation", "Dropout")


def _producers(layer):
    node = layer._inbound_nodes[0]
    return [tensor._keras_history.operation for tensor in node.input_tensors]


def _skip_transparent(layer):
    while type(layer).__name__ in _TRANSPARENT:
        (layer,) = _producers(layer)
    return layer


def pair_layers(theirs, ours):
    """Walk both functional graphs back from the output in step, pairing layer with layer.

    Padding, activation and dropout layers are stepped over (keras.applications pads inside a
    'same' conv, we pad before a 'valid' one); every other pair must be of one class, and a
    layer's inputs pair in order, so a concatenation's branches pair branch by branch.
    """
    pairs = {}
    stack = [
        tuple(_skip_transparent(m.outputs[0]._keras_history.operation) for m in (theirs, ours))
    ]
    while stack:
        a, b = stack.pop()
        if a.name in pairs:
            assert pairs[a.name] == b.name, (a.name, b.name)
            continue
        assert type(a) is type(b), (a.name, b.name)
        if hasattr(a, "kernel_size"):
            assert (a.kernel_size, a.strides) == (b.kernel_size, b.strides), (a.name, b.name)
        pairs[a.name] = b.name
        inputs_a, inputs_b = _producers(a), _producers(b)
        assert len(inputs_a) == len(inputs_b), (a.name, b.name)
        stack.extend(
            zip(map(_skip_transparent, inputs_a), map(_skip_transparent, inputs_b), strict=True)
        )
    return pairs


def test_keras_layout_equals_keras_applications(keras_models, keras_applications):
    """Weights copied layer by layer through a structural pairing of the two graphs give the same
    outputs in inference and training mode (batch statistics)."""
    theirs, ours = keras_applications, keras_models("keras")
    pairs = pair_layers(theirs, ours)
    for block, name in KERAS_APPLICATIONS_BLOCKS.items():
        assert pairs[block] == f"{name}.cat"
    assert pairs["predictions"] == "fc"
    weighted = {layer.name for layer in theirs.layers if layer.weights}
    assert weighted <= set(pairs)
    assert {pairs[name] for name in weighted} == {
        layer.name for layer in ours.layers if layer.weights
    }
    for name in weighted:
        source = {v.name: v for v in theirs.get_layer(name).weights}
        target = {v.name: v for v in ours.get_layer(pairs[name]).weights}
        assert set(source) == set(target), name
        for key, variable in target.items():
            variable.assign(source[key])
    for name, other in pairs.items():
        assert tuple(ours.get_layer(other).output.shape) == tuple(
            theirs.get_layer(name).output.shape
        )
    x = np.random.default_rng(2).normal(size=(2, SMALL, SMALL, 3)).astype("float32")
    assert_close(ours(x, training=False), theirs(x, training=False))
    assert_close(ours(x, training=True), theirs(x, training=True))
    final = theirs.get_layer("mixed10").output.shape
    assert final[1] == inception_v3_sides(SMALL)[1]


def test_torch_keras_layout_matches_keras_applications_layer_for_layer(
    keras_models, keras_applications
):
    """Each keras.applications layer's torch twin (by our names): kernel, stride, padding, BN
    epsilon and momentum, no gamma. Numerical torch <-> Keras identity needs weight porting
    (``cnnlab.reference.porting``), which the porting tests run on this variant."""
    keras = pytest.importorskip("keras")

    pairs = pair_layers(keras_applications, keras_models("keras"))
    with torch.device("meta"):
        model = build("inception_v3", "torch", variant="keras", input_size=SMALL)
        modules = dict(model.named_modules())
        out = model.eval()(torch.empty(1, 3, SMALL, SMALL))
        base = build("inception_v3", "torch", variant="keras", include_top=False, input_size=SMALL)
        features = base(torch.empty(1, 3, SMALL, SMALL))
    final = keras_applications.get_layer("mixed10").output.shape
    assert tuple(features.shape) == (1, final[3], final[1], final[2])
    assert tuple(out.shape) == (1, 1000)
    for layer in keras_applications.layers:
        if not layer.weights:
            continue
        module = modules[pairs[layer.name]]
        if isinstance(layer, keras.layers.BatchNormalization):
            assert module.weight is None and not layer.scale
            assert (module.eps, module.momentum) == (
                layer.epsilon,
                pytest.approx(1 - layer.momentum),
            )
        elif isinstance(layer, keras.layers.Conv2D):
            kh, kw, cin, cout = layer.kernel.shape
            assert tuple(module.weight.shape) == (cout, cin, kh, kw), layer.name
            assert module.stride == tuple(layer.strides), layer.name
            same = layer.padding == "same"
            assert module.padding == ((kh // 2, kw // 2) if same else (0, 0)), layer.name
    pools = [m for m in model.modules() if isinstance(m, nn.AvgPool2d)]
    assert len(pools) == 9 and not any(pool.count_include_pad for pool in pools)


def test_torch_scaleless_batch_norm_equals_keras_scale_false():
    """The torch keras layout's BatchNorm against Keras' BatchNormalization(scale=False)."""
    keras = pytest.importorskip("keras")

    from cnnlab.reference.torch_models.inception import scaleless_batch_norm2d

    rng = np.random.default_rng(0)
    x = rng.normal(1.0, 2.0, size=(4, 5, 5, 6)).astype("float32")
    beta, mean = (rng.uniform(-1, 1, 6).astype("float32") for _ in range(2))
    var = rng.uniform(0.5, 2, 6).astype("float32")
    theirs = keras.layers.BatchNormalization(scale=False)  # epsilon 1e-3, momentum 0.99
    theirs.build(x.shape)
    theirs.set_weights([beta, mean, var])
    ours = scaleless_batch_norm2d(6, eps=1e-3, momentum=0.01)
    assert ours.weight is None and [name for name, _ in ours.named_parameters()] == ["bias"]
    with torch.no_grad():
        ours.bias.copy_(torch.from_numpy(beta))
        ours.running_mean.copy_(torch.from_numpy(mean))
        ours.running_var.copy_(torch.from_numpy(var))
    nchw = torch.from_numpy(x).permute(0, 3, 1, 2)
    with torch.no_grad():
        assert_close(ours.eval()(nchw).permute(0, 2, 3, 1), theirs(x, training=False))
        assert_close(ours.train()(nchw).permute(0, 2, 3, 1), theirs(x, training=True))
    # both moved their running means by 1% toward the batch mean
    assert_close(ours.running_mean, theirs.moving_mean)


def test_torch_branch_pools_equal_their_libraries():
    """The keras layout's pool is Keras' 'same' average pooling (the border averages only real
    pixels); torchvision's layout's is torch's ``avg_pool2d(padding=1)`` (the zeros count)."""
    keras = pytest.importorskip("keras")

    from cnnlab.reference.catalog.inception import LAYOUTS
    from cnnlab.reference.torch_models.inception import _branch_pool

    x = np.random.default_rng(0).normal(size=(2, 7, 6, 3)).astype("float32")
    nchw = torch.from_numpy(x).permute(0, 3, 1, 2)
    keras_same = keras.layers.AveragePooling2D(3, strides=1, padding="same")(x)
    ours_keras = _branch_pool(LAYOUTS["keras"])(nchw).permute(0, 2, 3, 1)
    assert_close(ours_keras, keras_same)
    ours_torchvision = _branch_pool(LAYOUTS["torchvision"])(nchw)
    assert_close(ours_torchvision, nn.functional.avg_pool2d(nchw, 3, stride=1, padding=1))
    assert not np.allclose(as_numpy(ours_torchvision.permute(0, 2, 3, 1)), as_numpy(keras_same))


# ---------------------------------------------------------------------------------------- errors


@pytest.mark.parametrize("framework", ["torch", "keras"])
@pytest.mark.parametrize(
    "options,message",
    [
        pytest.param({"layout": "tf"}, "layout must be one of 'torchvision', 'keras'", id="layout"),
        pytest.param(
            {"layout": "keras", "aux_logits": True},
            "aux_logits=True needs layout='torchvision'",
            id="keras-aux",
        ),
        pytest.param(
            {"aux_logits": True, "input_size": (299, 139)},
            "aux_logits=True needs input_size of at least 299x299",
            id="aux-small",
        ),
        pytest.param({"aux_logits": 1}, "aux_logits must be True or False", id="aux-type"),
        pytest.param({"dropout": 1.5}, "dropout must be a number in [0, 1)", id="dropout"),
        pytest.param({"input_size": (74, 299)}, "each at least 75", id="input-size"),
        pytest.param({"num_classes": 0}, "num_classes must be a positive int", id="classes"),
    ],
)
def test_builder_rejects_bad_options(framework, options, message):
    module = importlib.import_module(f"cnnlab.reference.{framework}_models.inception")
    with pytest.raises(ValueError, match=re.escape(message)):
        module.inception_v3(**options)


def test_smallest_input_for_the_aux_classifier_is_299():
    """torchvision's AuxLogits runs on 299x299 and fails on 298x298 (its 5x5 conv meets a 4x4
    map), so our builders refuse aux_logits below 299 instead of failing in a training step."""
    with torch.device("meta"):
        theirs = torchvision.models.inception_v3(weights=None, aux_logits=True, init_weights=False)
        assert len(theirs.train()(torch.empty(2, 3, 299, 299))) == 2
        with pytest.raises(RuntimeError, match="Kernel size can't be greater"):
            theirs(torch.empty(2, 3, 298, 298))
        assert (
            len(build("inception_v3", "torch", variant="aux").train()(torch.empty(2, 3, 299, 299)))
            == 2
        )
    assert inception_v3_sides(299) == (17, 8)  # torchvision's comments: 17x17 and 8x8 maps


@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_builders_refuse_aux_logits_below_299(framework):
    with pytest.raises(ValueError, match="at least 299x299"):
        build("inception_v3", framework, variant="aux", input_size=298)
