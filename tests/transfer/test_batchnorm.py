"""BatchNorm under freezing, in both frameworks, after real optimizer steps.

Torch: ``requires_grad=False`` alone would not stop BatchNorm from normalising with batch
statistics and moving its running averages in ``model.train()`` (the control case below shows
it); frozen BatchNorms must stay in eval mode. Keras: a non-trainable BatchNormalization runs in
inference mode. Either way a frozen base must come out of training bit for bit unchanged, its
statistics included, while the trainable layers change.
"""

import copy

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn

# isort: split
# keras (TensorFlow) after torch: see the import order trap in docs/CONVENTIONS.md
keras = pytest.importorskip("keras")

from cnnlab.reference import build
from cnnlab.reference.transfer import freeze, linear_head, unfreeze

# resnet18's last four layers (weights or pooling): the second block of layer4 without shortcut
LAST_FOUR = ("layer4.1.conv1", "layer4.1.bn1", "layer4.1.conv2", "layer4.1.bn2")


def torch_model(seed=0):
    torch.manual_seed(seed)
    base = build("resnet18", "torch", include_top=False, input_size=32)
    return base, linear_head(base, 3)


def torch_steps(model, steps=2):
    """SGD with momentum on one random batch, in training mode, as a training loop does."""
    gen = torch.Generator().manual_seed(1)
    x, y = torch.randn(8, 3, 32, 32, generator=gen), torch.randint(0, 3, (8,), generator=gen)
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1, momentum=0.9)
    model.train()
    for _ in range(steps):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()


def snapshot(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def changed(before, after):
    return {k for k in before if not torch.equal(before[k], after[k])}


def test_torch_frozen_base_is_unchanged_bit_for_bit():
    base, model = torch_model()
    freeze(base)
    before = snapshot(model)
    model.train()
    assert all(not m.training for m in base.modules() if isinstance(m, nn.BatchNorm2d))
    assert model.head.training
    torch_steps(model)
    moved = changed(before, snapshot(model))
    assert moved == {"head.2.weight", "head.2.bias"}  # only the head; running stats included


def test_torch_requires_grad_alone_moves_the_statistics():
    """The control: without the eval lock, BatchNorm's running averages move in training."""
    base, model = torch_model()
    base.requires_grad_(False)
    before = snapshot(model)
    torch_steps(model)
    moved = changed(before, snapshot(model))
    assert "base.bn1.running_mean" in moved and "base.layer4.1.bn2.running_var" in moved
    assert not any(k.endswith(("weight", "bias")) and k.startswith("base.") for k in moved)


def test_torch_unfrozen_layers_train_and_the_rest_stays():
    base, model = torch_model()
    freeze(base)
    unfreeze(base, last=4)
    before = snapshot(model)
    torch_steps(model)
    moved = changed(before, snapshot(model))
    expected = {f"base.{layer}.{name}" for layer in LAST_FOUR
                for name in (("weight",) if "conv" in layer else
                             ("weight", "bias", "running_mean", "running_var", "num_batches_tracked"))}
    assert moved == expected | {"head.2.weight", "head.2.bias"}


def test_torch_frozen_base_runs_in_inference_mode():
    base, model = torch_model()
    freeze(base)
    x = torch.randn(4, 3, 32, 32, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        model.train()
        in_training = base(x)
        model.eval()
        in_eval = base(x)
    assert torch.equal(in_training, in_eval)


def test_torch_lock_survives_deepcopy_and_unfreeze_lifts_it():
    base, model = torch_model()
    freeze(base)
    clone = copy.deepcopy(model).train()
    assert not clone.base.bn1.training
    unfreeze(clone.base)
    clone.train()
    assert clone.base.bn1.training and all(p.requires_grad for p in clone.parameters())
    assert not model.train().base.bn1.training  # the original keeps its lock


@pytest.fixture(scope="module")
def keras_base():
    keras.utils.set_random_seed(0)
    return build("resnet18", "keras", include_top=False, input_size=32)


def keras_weights(model):
    return {(layer.name, i): np.array(w.numpy()) for layer in model.layers for i, w in enumerate(layer.weights)}


def keras_steps(model, steps=2):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((8, 32, 32, 3)).astype(np.float32)
    y = rng.integers(0, 3, 8)
    # eagerly: tracing a graph would cost more than these two steps
    model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9),
                  loss="sparse_categorical_crossentropy", run_eagerly=True)
    for _ in range(steps):
        model.train_on_batch(x, y)


def keras_changed(before, after):
    return {key for key in before if not np.array_equal(before[key], after[key])}


def test_keras_frozen_base_is_unchanged_bit_for_bit(keras_base):
    model = linear_head(keras_base, 3)
    freeze(keras_base)
    before = keras_weights(model)
    keras_steps(model)
    moved = keras_changed(before, keras_weights(model))
    assert moved == {("head.2", 0), ("head.2", 1)}  # moving mean and variance included


def test_keras_unfrozen_layers_train_and_the_rest_stays(keras_base):
    model = linear_head(keras_base, 3)
    freeze(keras_base)
    unfreeze(keras_base, last=4)
    before = keras_weights(model)
    keras_steps(model)
    moved = keras_changed(before, keras_weights(model))
    # convolutions have a kernel (no bias); BatchNorm gamma, beta, moving mean, moving variance
    expected = {(layer, i) for layer in LAST_FOUR for i in range(1 if "conv" in layer else 4)}
    assert moved == expected | {("head.2", 0), ("head.2", 1)}


def test_keras_frozen_base_runs_in_inference_mode(keras_base):
    freeze(keras_base)
    x = np.random.default_rng(2).standard_normal((4, 32, 32, 3)).astype(np.float32)
    np.testing.assert_array_equal(np.asarray(keras_base(x, training=True)),
                                  np.asarray(keras_base(x, training=False)))
    unfreeze(keras_base)
    assert not np.array_equal(np.asarray(keras_base(x, training=True)),
                              np.asarray(keras_base(x, training=False)))
