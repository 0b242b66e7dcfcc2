"""Datasets generated or shipped locally; nothing here downloads.

Each dataset lives in a module of its own: :mod:`reference.data.shapes` draws one shape per image
at a random place, with its bounding box. :mod:`~reference.data.digits` turns scikit-learn's
handwritten digits into images; :mod:`~reference.data.mnist` and :mod:`~reference.data.cifar`
read MNIST (IDX files) and CIFAR-10 (python batches) from a local folder. Splits, per-channel
normalisation fitted on the training split, seeded augmentation and mini-batches for torch and
Keras are in :mod:`~reference.data.splits`, :mod:`~reference.data.normalize`,
:mod:`~reference.data.augment` and :mod:`~reference.data.loaders`.
"""

from __future__ import annotations

from .augment import Augmentation, augment
from .cifar import load_cifar10
from .digits import load_digits
from .labeled import LabeledImages, to_layout
from .loaders import ArrayBatches, loader
from .mnist import load_mnist, read_idx
from .normalize import ChannelStats, fit_channel_stats, normalize
from .shapes import SHAPES, ShapesDataset, make_shapes
from .splits import Split, per_class_indices, split_indices, train_val_test_split
from .warp import resize

__all__ = ["SHAPES", "ShapesDataset", "make_shapes"]
# real and local datasets, splits, normalisation, augmentation, batches (transfer learning)
__all__ += [
    "ArrayBatches", "Augmentation", "ChannelStats", "LabeledImages", "Split", "augment",
    "fit_channel_stats", "load_cifar10", "load_digits", "load_mnist", "loader", "normalize",
    "per_class_indices", "read_idx", "resize", "split_indices", "to_layout", "train_val_test_split",
]
