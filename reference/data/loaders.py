"""Mini-batches from numpy arrays, shuffled and augmented from a seed, for torch and Keras alike.

:class:`ArrayBatches` decides everything in numpy: batch ``i`` of epoch ``e`` is a function of
``(seed, e, i)`` only, so it can be read in any order (Keras' ``PyDataset`` asks by index) and is
the same batch in both frameworks. :func:`loader` wraps it for one framework: torch gets an
iterable of ``(N, C, H, W)`` tensors, one epoch per pass; Keras a ``PyDataset`` of
``(N, H, W, C)`` arrays for ``model.fit``.
"""

from __future__ import annotations

import importlib
import math

import numpy as np

from cnnlab.errors import UsageError

from .._validation import check_choice, check_int
from .augment import Augmentation, augment

__all__ = ["ArrayBatches", "loader"]


class ArrayBatches:
    """Deterministic mini-batches of ``(images, labels)``.

    Parameters
    ----------
    images : array (N, H, W, C)
        Channels last; :func:`loader` moves them for torch.
    labels : array (N,)
    batch_size : int, default=32
    shuffle : bool, default=True
        A new order every epoch, drawn from ``(seed, epoch)``.
    augmentation : Augmentation, optional
        Applied to each batch with a generator seeded by ``(seed, epoch, batch)``.
    seed : int, default=0
    """

    def __init__(self, images, labels, *, batch_size: int = 32, shuffle: bool = True,
                 augmentation: Augmentation | None = None, seed: int = 0):
        self.images = np.asarray(images, dtype=np.float32)
        self.labels = np.asarray(labels)
        if self.images.ndim != 4 or len(self.images) != len(self.labels) or len(self.labels) == 0:
            raise UsageError(f"expected images (N, H, W, C) and N labels, got {self.images.shape} "
                             f"and {self.labels.shape}")
        self.batch_size = check_int(batch_size, name="batch_size", low=1)
        if augmentation is not None and not isinstance(augmentation, Augmentation):
            raise UsageError(f"augmentation must be an Augmentation or None, got {type(augmentation).__name__}")
        self.shuffle, self.augmentation = bool(shuffle), augmentation
        self.seed = check_int(seed, name="seed")

    def __len__(self) -> int:
        return math.ceil(len(self.labels) / self.batch_size)

    def order(self, epoch: int) -> np.ndarray:
        if not self.shuffle:
            return np.arange(len(self.labels))
        return np.random.default_rng([self.seed, epoch]).permutation(len(self.labels))

    def images_at(self, picked: np.ndarray) -> np.ndarray:
        """The images of the examples ``picked`` (float32, channels last)."""
        return self.images[picked]

    def batch(self, epoch: int, index: int) -> tuple[np.ndarray, np.ndarray]:
        """Batch ``index`` of ``epoch``: images (B, H, W, C) float32 and labels."""
        if not 0 <= index < len(self):
            raise IndexError(f"batch {index} of {len(self)}")
        picked = self.order(epoch)[index * self.batch_size:(index + 1) * self.batch_size]
        images = self.images_at(picked)
        if self.augmentation is not None:
            images = augment(images, self.augmentation, np.random.default_rng([self.seed, epoch, index]))
        return images, self.labels[picked]

    def epoch(self, epoch: int):
        """The batches of one epoch, in order."""
        for index in range(len(self)):
            yield self.batch(epoch, index)


def loader(batches: ArrayBatches, framework: str):
    """``batches`` as the framework consumes them.

    Returns
    -------
    torch: an iterable whose every pass is the next epoch of ``(images NCHW, labels)`` tensors.
    keras: a ``keras.utils.PyDataset`` of ``(images NHWC, labels)`` for ``model.fit``.
    """
    if not isinstance(batches, ArrayBatches):  # FolderBatches is one too
        raise UsageError(f"batches must be an ArrayBatches or a FolderBatches, got {type(batches).__name__}")
    check_choice(framework, name="framework", choices=("torch", "keras"))
    return importlib.import_module(f"._{framework}_loader", __package__).loader(batches)
