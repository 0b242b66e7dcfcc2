"""The two-phase recipe and its training loop, in both frameworks: what each phase trains, the
best weights restored and checkpointed, early stopping, and clear errors."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

# isort: split
# keras (TensorFlow) after torch: see the import order trap in docs/CONVENTIONS.md
keras = pytest.importorskip("keras")

from cnnlab.reference import build
from cnnlab.reference.transfer import Recipe, evaluate, fit, freeze, linear_head, two_phase

# (framework, arch, layers unfrozen in phase 2, a weight of theirs that must train). Torch runs a
# BatchNorm network; the Keras twin a small one, because tracing ResNet-18's training step twice
# would cost Keras more than the rest of these tests (its BatchNorm is in test_batchnorm.py).
CASES = [
    ("torch", "resnet18", ("layer4.1.conv1", "layer4.1.bn1", "layer4.1.conv2", "layer4.1.bn2"),
     "base.layer4.1.bn2.running_mean"),
    ("keras", "lenet5", ("features.3", "features.5"), ("features.3", 0)),
]


def toy_data(layout, n, seed):
    """Three classes told apart by the brightness of one image quarter."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 3
    images = rng.normal(0, 0.3, (n, 32, 32, 3)).astype(np.float32)
    for i, label in enumerate(labels):
        images[i, 16 * (label // 2):16 * (label // 2) + 16, 16 * (label % 2):16 * (label % 2) + 16] += 1.0
    if layout == "nchw":
        images = np.ascontiguousarray(images.transpose(0, 3, 1, 2))
    return images, labels


def frozen_part(state, framework, unfrozen):
    """The entries of the base that phase 2 leaves frozen."""
    if framework == "torch":
        return {k: v for k, v in state.items()
                if k.startswith("base.") and not k[len("base."):].startswith(unfrozen)}
    return {k: v for k, v in state.items() if not k[0].startswith(unfrozen + ("head",))}


def torch_state(model):
    return {k: v.detach().clone().numpy() for k, v in model.state_dict().items()}


def keras_state(model):
    return {(layer.name, i): np.array(w.numpy()) for layer in model.layers for i, w in enumerate(layer.weights)}


@pytest.mark.parametrize("framework, arch, unfrozen, trained", CASES)
def test_two_phase_trains_what_each_phase_should(framework, arch, unfrozen, trained, tmp_path):
    layout = "nchw" if framework == "torch" else "nhwc"
    channels = 3 if arch == "resnet18" else 1
    train, val = (toy_data(layout, n, seed) for n, seed in ((24, 0), (12, 1)))
    axis = 1 if layout == "nchw" else 3
    train, val = ((x.take(range(channels), axis=axis), y) for x, y in (train, val))
    if framework == "torch":
        torch.manual_seed(0)
    else:
        keras.utils.set_random_seed(0)

    def make_base():
        return build(arch, framework, include_top=False, input_size=32, in_channels=channels)

    base = make_base()
    model = linear_head(base, 3)
    state = torch_state if framework == "torch" else keras_state
    before = state(model)
    seen = []
    recipe = Recipe(extract_lr=1e-3, finetune_lr=1e-4, finetune_last=len(unfrozen), max_epochs=3,
                    patience=2, batch_size=24)
    history = two_phase(model, base, train, val, recipe=recipe, seed=0, checkpoint_dir=tmp_path,
                        on_epoch=seen.append, on_phase_end=lambda phase: seen.append(phase))
    after = state(model)

    phases = [r.phase for r in history.records]
    assert phases == sorted(phases, key=("extract", "finetune").index) and set(phases) == {"extract", "finetune"}
    assert len(history.phase("extract")) <= 3 and len(history.phase("finetune")) <= 3
    assert seen[len(history.phase("extract"))] == "extract" and seen[-1] == "finetune"
    # the base outside its last four layers never moved, BatchNorm statistics included
    frozen_before = frozen_part(before, framework, unfrozen)
    frozen_after = frozen_part(after, framework, unfrozen)
    assert frozen_before and all(np.array_equal(frozen_before[k], frozen_after[k]) for k in frozen_before)
    assert not np.array_equal(before[trained], after[trained])  # the unfrozen layers trained
    # the model ends with the best epoch of phase 2, which is also what the checkpoint holds
    finetune = history.phase("finetune")
    best = finetune[history.best_epochs["finetune"]]
    assert evaluate(model, val)[0] == pytest.approx(best.val_loss, rel=1e-5)
    suffix = ".pt" if framework == "torch" else ".weights.h5"
    assert (tmp_path / f"extract.best{suffix}").is_file()
    clone = linear_head(make_base(), 3)
    if framework == "torch":
        clone.load_state_dict(torch.load(tmp_path / f"finetune.best{suffix}", weights_only=True))
    else:
        clone.load_weights(str(tmp_path / f"finetune.best{suffix}"))
    assert all(np.array_equal(state(clone)[k], after[k]) for k in after)


@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_early_stopping_keeps_the_best_epoch(framework):
    """Random labels and a large rate: the validation loss rises after the first epochs, so
    training stops ``patience`` epochs after its best and returns to it."""
    layout = "nchw" if framework == "torch" else "nhwc"
    rng = np.random.default_rng(3)
    train = (toy_data(layout, 32, 0)[0], rng.integers(0, 3, 32))
    val = (toy_data(layout, 32, 1)[0], rng.integers(0, 3, 32))
    if framework == "torch":
        torch.manual_seed(0)
    else:
        keras.utils.set_random_seed(0)
    model = linear_head(build("course_cifar", framework, include_top=False), 3, pooling="flatten",
                        input_size=32)
    history = fit(model, train, val, lr=0.01, max_epochs=40, patience=2, batch_size=8, seed=0)
    best = history.best_epochs["train"]
    assert len(history.records) == best + 2 + 1 < 40
    assert min(r.val_loss for r in history.records) == history.records[best].val_loss
    assert evaluate(model, val)[0] == pytest.approx(history.records[best].val_loss, rel=1e-5)


def test_bad_settings_are_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="extract_lr must be a positive number"):
        Recipe(extract_lr=0)
    with pytest.raises(ValueError, match="finetune_last must be an int >= 0"):
        Recipe(finetune_last=-1)
    model = linear_head(build("course_cifar", "torch", include_top=False), 3)
    data = toy_data("nchw", 6, 0)
    with pytest.raises(ValueError, match="must end in '.pt'"):
        fit(model, data, data, lr=1e-3, max_epochs=1, checkpoint=tmp_path / "best.h5")
    with pytest.raises(ValueError, match=r"train: expected images \(N, C, H, W\) and N labels"):
        fit(model, (data[0][:, 0], data[1]), data, lr=1e-3, max_epochs=1)
    with pytest.raises(ValueError, match="val must be a pair"):
        fit(model, data, data[0], lr=1e-3, max_epochs=1)
    freeze(model)
    with pytest.raises(ValueError, match="nothing to train: every parameter of the model is frozen"):
        fit(model, data, data, lr=1e-3, max_epochs=1)
