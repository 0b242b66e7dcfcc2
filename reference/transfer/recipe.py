"""The two-phase transfer recipe: feature extraction, then fine-tuning, with early stopping.

Phase ``"extract"``: the base is frozen and only the head trains (Adam, learning rate 1e-4).
Phase ``"finetune"``: the base's last layers are unfrozen and everything trainable continues at a
ten times smaller rate (1e-5), so the pretrained features are adjusted, not overwritten. Which
"last 4 layers" is a named choice, :attr:`Recipe.finetune_count`: ``"layers"`` (the default,
Keras' ``base.layers[-4:]``, pooling counted: 7,079,424 trainable on VGG16) or ``"convs"`` (the
last 4 convolution layers, as the Advance CNN lecture's fine-tuning recipe says: 9,439,232). Each
phase stops when the validation loss has not improved for ``patience`` epochs and ends with the
weights of its best epoch (kept in memory, and written to ``checkpoint_dir`` if given).

Data are ``(images, labels)`` pairs of numpy arrays in the framework's layout: torch
``(N, C, H, W)``, Keras ``(N, H, W, C)``; labels are class indices.
"""

from __future__ import annotations

import importlib
from dataclasses import asdict, dataclass, field
from pathlib import Path

from cnnlab.errors import UsageError

from ..frameworks import framework_of
from .callbacks import ReduceLROnPlateau
from .freezing import freeze, unfreeze

__all__ = ["Recipe", "EpochRecord", "TransferHistory", "fit", "two_phase", "evaluate", "predict",
           "FINETUNE_COUNTS"]

#: What ``Recipe.finetune_last`` counts: the two readings of "unfreeze the last 4 layers".
FINETUNE_COUNTS = {
    "layers": "layers with weights and pooling layers, as Keras' base.layers[-N:] (the default)",
    "convs": "convolution layers only (the Advance CNN lecture's 'last 4 Conv layers')",
}

_CHECKPOINT_SUFFIX = {"torch": ".pt", "keras": ".weights.h5"}


def _positive(value, name: str, kind=(int,)) -> None:
    if isinstance(value, bool) or not isinstance(value, kind) or value <= 0:
        raise UsageError(f"{name} must be a positive number, got {value!r}")


@dataclass(frozen=True)
class Recipe:
    """Settings of :func:`two_phase`. The learning rates, patience and batch size are the
    lectures'; :meth:`lecture` also takes the Advance CNN lecture's 15 epochs, last 4 conv layers
    and learning-rate reduction.

    Attributes
    ----------
    extract_lr : float, default=1e-4
        Adam's learning rate while the base is frozen.
    finetune_lr : float, default=1e-5
        Adam's learning rate once the last layers are unfrozen.
    finetune_last : int, default=4
        Layers to unfreeze; 0 skips the fine-tuning phase.
    finetune_count : {"layers", "convs"}, default="layers"
        What ``finetune_last`` counts (see :data:`FINETUNE_COUNTS`): ``"layers"`` counts layers
        with weights and pooling layers (VGG16: block 5's three convolutions and its pooling,
        7,079,424 trainable); ``"convs"`` counts convolutions (VGG16: ``block4_conv3`` and
        block 5's three, 9,439,232 trainable).
    max_epochs : int, default=30
        Upper bound of each phase.
    patience : int, default=3
        Epochs without a lower validation loss before a phase stops.
    batch_size : int, default=32
    lr_factor : float or None, default=None
        Multiply the learning rate by this after ``lr_patience`` epochs without a lower
        validation loss (:class:`~cnnlab.reference.transfer.callbacks.ReduceLROnPlateau`);
        None keeps it constant.
    lr_patience : int, default=2
    min_lr : float, default=1e-7
    finetune_epochs : int or None, default=None
        Upper bound of the fine-tuning phase; None takes ``max_epochs``.

    :meth:`lecture` gives the Advance CNN lecture's settings.
    """

    extract_lr: float = 1e-4
    finetune_lr: float = 1e-5
    finetune_last: int = 4
    finetune_count: str = "layers"
    max_epochs: int = 30
    patience: int = 3
    batch_size: int = 32
    lr_factor: float | None = None
    lr_patience: int = 2
    min_lr: float = 1e-7
    finetune_epochs: int | None = None

    @classmethod
    def lecture(cls, **changes) -> Recipe:
        """The Advance CNN lecture's recipe: Adam 1e-4 then 1e-5, 15 epochs of feature
        extraction and up to 15 of fine-tuning, early stopping with patience 3, the last 4
        *convolution* layers unfrozen, and the learning rate divided by 5 after 2 epochs
        without improvement (ReduceLROnPlateau, which the lecture names without settings)."""
        settings = dict(extract_lr=1e-4, finetune_lr=1e-5, finetune_last=4, finetune_count="convs",
                        max_epochs=15, finetune_epochs=15, patience=3, batch_size=32,
                        lr_factor=0.2, lr_patience=2)
        return cls(**{**settings, **changes})

    def reduce_lr(self) -> ReduceLROnPlateau | None:
        """A fresh plateau rule for one phase, or None without ``lr_factor``."""
        if self.lr_factor is None:
            return None
        return ReduceLROnPlateau(factor=self.lr_factor, patience=self.lr_patience,
                                 min_lr=self.min_lr)

    def __post_init__(self):
        _positive(self.extract_lr, "extract_lr", (int, float))
        _positive(self.finetune_lr, "finetune_lr", (int, float))
        _positive(self.max_epochs, "max_epochs")
        _positive(self.patience, "patience")
        _positive(self.batch_size, "batch_size")
        if isinstance(self.finetune_last, bool) or not isinstance(self.finetune_last, int) \
                or self.finetune_last < 0:
            raise UsageError(f"finetune_last must be an int >= 0, got {self.finetune_last!r}")
        if self.finetune_epochs is not None:
            _positive(self.finetune_epochs, "finetune_epochs")
        _positive(self.lr_patience, "lr_patience")
        if self.lr_factor is not None:
            ReduceLROnPlateau(factor=self.lr_factor, patience=self.lr_patience, min_lr=self.min_lr)
        if self.finetune_count not in FINETUNE_COUNTS:
            raise UsageError(f"finetune_count must be one of {', '.join(map(repr, FINETUNE_COUNTS))}; "
                             f"got {self.finetune_count!r}")

    def unfreeze_base(self, base):
        """Unfreeze the layers of ``base`` that the fine-tuning phase trains (in place)."""
        if self.finetune_count == "convs":
            return unfreeze(base, last_convs=self.finetune_last)
        return unfreeze(base, last=self.finetune_last)


@dataclass(frozen=True)
class EpochRecord:
    """One epoch: the phase, its epoch number (from 0), the mean training loss over the epoch's
    batches, and the loss and accuracy on the validation data after the epoch."""

    phase: str
    epoch: int
    train_loss: float
    val_loss: float
    val_accuracy: float


@dataclass
class TransferHistory:
    """Epochs of one or more phases, and the best (restored) epoch of each."""

    records: list[EpochRecord] = field(default_factory=list)
    best_epochs: dict[str, int] = field(default_factory=dict)

    def phase(self, name: str) -> list[EpochRecord]:
        return [r for r in self.records if r.phase == name]

    def as_records(self) -> list[dict]:
        return [asdict(r) for r in self.records]

    def extend(self, other: TransferHistory) -> None:
        self.records += other.records
        self.best_epochs.update(other.best_epochs)


def _twin(model):
    framework = framework_of(model)
    return framework, importlib.import_module(f"._{framework}", __package__)


def fit(model, train, val, *, lr: float, max_epochs: int = 30, patience: int = 3,
        batch_size: int = 32, seed: int = 0, phase: str = "train",
        checkpoint: str | Path | None = None, on_epoch=None,
        reduce_lr: ReduceLROnPlateau | None = None) -> TransferHistory:
    """Train the trainable weights of ``model`` with Adam and early stopping on the validation
    loss; end with the best epoch's weights.

    Parameters
    ----------
    model : torch.nn.Module or keras.Model
        Torch models return logits, Keras models probabilities (as ``with_head`` builds them).
    train : (images, labels) or batches
        Numpy arrays in the framework's layout, or an ``ArrayBatches`` / ``FolderBatches``
        (:mod:`cnnlab.reference.data`), whose shuffled, augmented NHWC batches are read epoch by
        epoch (and moved to NCHW for torch); ``batch_size`` is then the batches'.
    val : (images, labels) or FolderBatches
        Arrays in the framework's layout, or batches read once, in order.
    lr : float
        Adam's learning rate.
    max_epochs, patience, batch_size : int
    seed : int
        Seeds the framework's generator (initial dropout masks, shuffling).
    phase : str
        Name written into the records.
    checkpoint : path, optional
        File the best weights are written to at each improvement (``.pt`` state_dict for torch,
        ``.weights.h5`` for Keras).
    on_epoch : callable, optional
        Called as ``on_epoch(EpochRecord)`` after each epoch (for a progress bar).
    reduce_lr : ReduceLROnPlateau, optional
        Lowers the rate on a plateau of the validation loss; its ``rates`` record the rate of
        each epoch.

    Returns
    -------
    TransferHistory

    Raises
    ------
    ValueError
        For malformed data, or a model with nothing to train.
    """
    for value, name in ((max_epochs, "max_epochs"), (patience, "patience"), (batch_size, "batch_size")):
        _positive(value, name)
    _positive(lr, "lr", (int, float))
    framework, twin = _twin(model)
    if checkpoint is not None and not str(checkpoint).endswith(_CHECKPOINT_SUFFIX[framework]):
        raise UsageError(f"a {framework} checkpoint file must end in "
                         f"{_CHECKPOINT_SUFFIX[framework]!r}, got {str(checkpoint)!r}")

    def report(epoch, row):
        if on_epoch is not None:
            on_epoch(EpochRecord(phase, epoch, *row))

    val = _as_arrays(val, framework)
    rows, best = twin.fit(model, train, val, lr=lr, max_epochs=max_epochs, patience=patience,
                          batch_size=batch_size, seed=seed, checkpoint=checkpoint, on_epoch=report,
                          reduce_lr=reduce_lr)
    return TransferHistory([EpochRecord(phase, i, *row) for i, row in enumerate(rows)], {phase: best})


def _as_arrays(data, framework: str):
    """Validation batches (read in order) as arrays in the framework's layout."""
    if not hasattr(data, "epoch"):
        return data
    import numpy as np

    parts = list(data.epoch(0)) if not getattr(data, "shuffle", False) else [
        data.batch(0, i) for i in range(len(data))]
    images = np.concatenate([p[0] for p in parts])
    labels = np.concatenate([p[1] for p in parts])
    return (images.transpose(0, 3, 1, 2) if framework == "torch" else images), labels


def two_phase(model, base, train, val, *, recipe: Recipe = Recipe(), seed: int = 0,
              checkpoint_dir: str | Path | None = None, on_epoch=None,
              on_phase_end=None) -> TransferHistory:
    """Feature extraction, then fine-tuning of the base's last layers.

    Parameters
    ----------
    model : torch.nn.Module or keras.Model
        ``base`` with a head (see :func:`~cnnlab.reference.transfer.with_head`).
    base : torch.nn.Module or keras.Model
        The pretrained part of ``model``; frozen for phase 1, its last
        ``recipe.finetune_last`` layers unfrozen for phase 2.
    train, val : (images, labels)
    recipe : Recipe
    seed : int
    checkpoint_dir : path, optional
        Folder for ``extract.best.*`` and ``finetune.best.*``.
    on_epoch : callable, optional
        As in :func:`fit`.
    on_phase_end : callable, optional
        Called as ``on_phase_end(phase)`` after each phase, once its best weights are back (to
        evaluate the model as each phase leaves it).

    Returns
    -------
    TransferHistory
        Records of phase ``"extract"`` then ``"finetune"``.
    """
    if not isinstance(recipe, Recipe):
        raise UsageError(f"recipe must be a Recipe, got {type(recipe).__name__}")
    framework = framework_of(model)
    if framework_of(base) != framework:
        raise UsageError("model and base must come from the same framework")
    folder = Path(checkpoint_dir) if checkpoint_dir is not None else None
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)

    def checkpoint(phase):
        return None if folder is None else folder / f"{phase}.best{_CHECKPOINT_SUFFIX[framework]}"

    common = dict(patience=recipe.patience, batch_size=recipe.batch_size, seed=seed,
                  on_epoch=on_epoch)
    freeze(base)
    history = fit(model, train, val, lr=recipe.extract_lr, phase="extract",
                  checkpoint=checkpoint("extract"), max_epochs=recipe.max_epochs,
                  reduce_lr=recipe.reduce_lr(), **common)
    if on_phase_end is not None:
        on_phase_end("extract")
    if recipe.finetune_last:
        recipe.unfreeze_base(base)
        history.extend(fit(model, train, val, lr=recipe.finetune_lr, phase="finetune",
                           checkpoint=checkpoint("finetune"),
                           max_epochs=recipe.finetune_epochs or recipe.max_epochs,
                           reduce_lr=recipe.reduce_lr(), **common))
        if on_phase_end is not None:
            on_phase_end("finetune")
    return history


def evaluate(model, data, *, batch_size: int = 256) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of ``model`` on ``(images, labels)``, in inference mode."""
    _, twin = _twin(model)
    return twin.evaluate(model, data, batch_size=batch_size)


def predict(model, images, *, batch_size: int = 256):
    """Class probabilities for ``images``, in inference mode (a numpy array)."""
    _, twin = _twin(model)
    return twin.predict(model, images, batch_size=batch_size)
