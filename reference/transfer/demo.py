"""The offline transfer-learning demonstration: digits 0-4 teach a CNN what digits 5-9 need.

A reference CNN (LeNet-5 by default) is pretrained on scikit-learn's digits 0-4, upsampled to
32x32. The task is then digits 5-9 with a few labels per class, and three strategies are compared
on a held-out test set of 5-9, over several seeds (each seed draws other labelled examples):

* ``scratch``: the same network from a random start, everything trainable;
* ``extract``: the pretrained base frozen, a new head trained (phase 1 of the recipe);
* ``finetune``: then the base's last layers unfrozen at a ten times smaller rate (phase 2).

The 8x8 digits are very regular (centred, size-normalised), so regular that a random LeNet with a
trained head separates them nearly as well as a pretrained one (measured, see the README's transfer-learning section).
Handwriting varies more, so by default each image is turned, moved and scaled once, at random
(``variation``: rotation 15°, shift 10 % and zoom 10 % times the variation); the same images serve
every strategy and seed. Normalisation statistics come from the pretraining split only.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np

from cnnlab.errors import UsageError

from ..data.augment import Augmentation, augment
from ..data.digits import load_digits
from ..data.labeled import LabeledImages, to_layout
from ..data.normalize import fit_channel_stats, normalize
from ..data.splits import per_class_indices, split_indices
from .heads import with_head
from .recipe import Recipe, TransferHistory, evaluate, fit, two_phase

__all__ = ["STRATEGIES", "DemoConfig", "DemoResult", "run_demo"]

STRATEGIES = ("scratch", "extract", "finetune")


@dataclass(frozen=True)
class DemoConfig:
    """Settings of :func:`run_demo`.

    Attributes
    ----------
    arch : str, default="lenet5"
        A reference architecture, built with ``include_top=False``, 1 input channel.
    size : int, default=32
        Side the 8x8 digits are upsampled to.
    labels_per_class : int, default=5
        Labelled training examples of each target digit.
    val_per_class : int, default=5
        Labelled validation examples of each target digit (early stopping).
    test_fraction : float, default=0.5
        Share of the target digits held out for testing (the same for every seed).
    variation : float, default=1.5
        Strength of the one-off random pose change of every image; 0 keeps the digits as shipped.
    seeds : int, default=5
    pretrain_epochs : int, default=30
    max_epochs : int, default=200
        Upper bound of each training phase on the target.
    patience : int, default=15
    lr : float, default=1e-3
        Adam's rate for pretraining and for training from scratch.
    extract_lr, finetune_lr : float, default=1e-3 and 1e-4
        The recipe's rates: the lecture's (1e-4, 1e-5) ten times larger, for a network that
        trains for seconds, not days.
    finetune_last : int, default=2
        Layers unfrozen for fine-tuning (LeNet's second convolution and its pooling).
    batch_size : int, default=16
    head : {"linear", "lecture"}, default="linear"
    pooling : {"flatten", "avg"}, default="flatten"
    """

    arch: str = "lenet5"
    size: int = 32
    labels_per_class: int = 5
    val_per_class: int = 5
    test_fraction: float = 0.5
    variation: float = 1.5
    seeds: int = 5
    pretrain_epochs: int = 30
    max_epochs: int = 200
    patience: int = 15
    lr: float = 1e-3
    extract_lr: float = 1e-3
    finetune_lr: float = 1e-4
    finetune_last: int = 2
    batch_size: int = 16
    head: str = "linear"
    pooling: str = "flatten"

    def __post_init__(self):
        for name in ("labels_per_class", "val_per_class", "seeds", "pretrain_epochs", "max_epochs",
                     "patience", "batch_size", "finetune_last"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise UsageError(f"{name} must be a positive int, got {value!r}")
        if not 0 < self.test_fraction < 1:
            raise UsageError(f"test_fraction must be in (0, 1), got {self.test_fraction!r}")
        if isinstance(self.variation, bool) or not isinstance(self.variation, (int, float)) \
                or not 0 <= self.variation <= 3:
            raise UsageError(f"variation must be a number from 0 to 3, got {self.variation!r}")
        if isinstance(self.lr, bool) or not isinstance(self.lr, (int, float)) or self.lr <= 0:
            raise UsageError(f"lr must be a positive number, got {self.lr!r}")
        _ = self.recipe  # building it validates the recipe's settings

    @property
    def recipe(self) -> Recipe:
        """The two-phase recipe these settings make."""
        return Recipe(extract_lr=self.extract_lr, finetune_lr=self.finetune_lr,
                      finetune_last=self.finetune_last, max_epochs=self.max_epochs,
                      patience=self.patience, batch_size=self.batch_size)


@dataclass
class DemoResult:
    """What :func:`run_demo` measured: one record per (strategy, seed), the learning curves and
    the pretraining."""

    framework: str
    config: DemoConfig
    pretrain: dict
    runs: list[dict]
    curves: list[dict]
    seconds: float

    def summary(self) -> list[dict]:
        """Per strategy: mean and std (population) of the test accuracy over seeds, the per-seed
        values and the mean number of epochs trained."""
        rows = []
        for strategy in STRATEGIES:
            runs = [r for r in self.runs if r["strategy"] == strategy]
            accuracy = np.array([r["test_accuracy"] for r in runs])
            rows.append({"strategy": strategy, "mean": float(accuracy.mean()),
                         "std": float(accuracy.std()), "accuracies": accuracy.tolist(),
                         "epochs": float(np.mean([r["epochs"] for r in runs]))})
        return rows

    def as_dict(self) -> dict:
        return {"framework": self.framework, "config": asdict(self.config),
                "pretrain": self.pretrain, "runs": self.runs, "curves": self.curves,
                "summary": self.summary(), "seconds": self.seconds}


def _digits(config: DemoConfig) -> LabeledImages:
    data = load_digits(size=config.size)
    if config.variation:
        v = config.variation
        pose = Augmentation(rotation=15 * v, shift=min(0.1 * v, 0.9), zoom=min(0.1 * v, 0.9))
        data = LabeledImages(augment(data.images, pose, 2024), data.labels, data.class_names)
    return data


def _seed(framework: str, seed: int) -> None:
    if framework == "torch":
        import torch

        torch.manual_seed(seed)
    else:
        import keras

        keras.utils.set_random_seed(seed)


def _base(config: DemoConfig, framework: str, seed: int):
    from .. import build

    _seed(framework, seed)
    return build(config.arch, framework, include_top=False, input_size=config.size, in_channels=1)


def _copy_weights(source, target, framework: str) -> None:
    if framework == "torch":
        target.load_state_dict(source.state_dict())
    else:
        target.set_weights(source.get_weights())


def run_demo(config: DemoConfig = DemoConfig(), *, framework: str = "torch",
             progress=None) -> DemoResult:
    """Pretrain on digits 0-4, then compare the strategies on digits 5-9.

    Parameters
    ----------
    config : DemoConfig
    framework : {"torch", "keras"}
    progress : callable, optional
        Called with a short description after each step (pretraining, then each strategy and
        seed): ``1 + 2 * config.seeds`` calls.

    Returns
    -------
    DemoResult
    """
    from .. import check_framework

    check_framework(framework)
    if framework == "torch":
        import torch

        # LeNet on a handful of images: thread hand-offs cost more than the arithmetic
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return _run(config, framework, progress)
        finally:
            torch.set_num_threads(threads)
    return _run(config, framework, progress)


def _run(config: DemoConfig, framework: str, progress) -> DemoResult:
    started = time.perf_counter()
    note = progress or (lambda _text: None)
    data = _digits(config)
    source = data.subset(data.labels < 5)
    target = data.subset(data.labels >= 5)
    target = LabeledImages(target.images, target.labels - 5, ("5", "6", "7", "8", "9"))

    src_train, src_val, _ = split_indices(source.labels, val=0.15, test=0.0, seed=0)
    stats = fit_channel_stats(source.images[src_train])  # the pretraining split only
    layout = "nchw" if framework == "torch" else "nhwc"

    def prepared(images):
        return to_layout(normalize(images, stats), layout)

    head = dict(head=config.head, pooling=config.pooling, input_size=config.size)
    pre_base = _base(config, framework, seed=10_000)
    pretrained = with_head(pre_base, 5, **head)
    begun = time.perf_counter()
    history = fit(pretrained, (prepared(source.images[src_train]), source.labels[src_train]),
                  (prepared(source.images[src_val]), source.labels[src_val]), lr=config.lr,
                  max_epochs=config.pretrain_epochs, patience=config.patience,
                  batch_size=config.batch_size, seed=0, phase="pretrain")
    best = history.records[history.best_epochs["pretrain"]]
    pretrain = {"epochs": len(history.records), "val_accuracy": best.val_accuracy,
                "seconds": time.perf_counter() - begun}
    note(f"pretrained on 0-4: val accuracy {best.val_accuracy:.3f}")

    pool, _, test = split_indices(target.labels, val=0.0, test=config.test_fraction, seed=0)
    test_data = (prepared(target.images[test]), target.labels[test])
    runs, curves = [], []

    def record(strategy, seed, hist, seconds, accuracy):
        runs.append({"strategy": strategy, "seed": seed, "test_accuracy": accuracy,
                     "epochs": len(hist.records), "seconds": seconds})
        for step, r in enumerate(hist.records):
            curves.append({"strategy": strategy, "seed": seed, "step": step, "phase": r.phase,
                           "val_loss": r.val_loss, "val_accuracy": r.val_accuracy})

    for seed in range(config.seeds):
        train_idx = pool[per_class_indices(target.labels[pool], n=config.labels_per_class, seed=seed)]
        rest = np.setdiff1d(pool, train_idx)
        val_idx = rest[per_class_indices(target.labels[rest], n=config.val_per_class, seed=seed + 1)]
        train = (prepared(target.images[train_idx]), target.labels[train_idx])
        val = (prepared(target.images[val_idx]), target.labels[val_idx])

        begun = time.perf_counter()
        model = with_head(_base(config, framework, seed), 5, **head)
        hist = fit(model, train, val, lr=config.lr, max_epochs=config.max_epochs,
                   patience=config.patience, batch_size=config.batch_size, seed=seed,
                   phase="scratch")
        record("scratch", seed, hist, time.perf_counter() - begun, evaluate(model, test_data)[1])
        note(f"seed {seed}: scratch")

        begun = time.perf_counter()
        base = _base(config, framework, seed)
        _copy_weights(pre_base, base, framework)
        model = with_head(base, 5, **head)
        after = {}

        def phase_done(phase, model=model, begun=begun, after=after):
            after[phase] = (evaluate(model, test_data)[1], time.perf_counter() - begun)

        hist = two_phase(model, base, train, val, recipe=config.recipe, seed=seed,
                         on_phase_end=phase_done)
        extract = TransferHistory(hist.phase("extract"), {})
        record("extract", seed, extract, after["extract"][1], after["extract"][0])
        record("finetune", seed, hist, after["finetune"][1], after["finetune"][0])
        note(f"seed {seed}: extract and finetune")
    return DemoResult(framework, config, pretrain, runs, curves, time.perf_counter() - started)
