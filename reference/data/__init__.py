"""Datasets generated or shipped locally; nothing here downloads.

Each dataset lives in a module of its own: :mod:`cnnlab.reference.data.shapes` draws one shape per image
at a random place, with its bounding box. :mod:`~cnnlab.reference.data.digits` turns scikit-learn's
handwritten digits into images; :mod:`~cnnlab.reference.data.mnist` and :mod:`~cnnlab.reference.data.cifar`
read MNIST (IDX files) and CIFAR-10 (python batches) from a local folder. Splits, per-channel
normalisation fitted on the training split, seeded augmentation and mini-batches for torch and
Keras are in :mod:`~cnnlab.reference.data.splits`, :mod:`~cnnlab.reference.data.normalize`,
:mod:`~cnnlab.reference.data.augment` and :mod:`~cnnlab.reference.data.loaders`.
"""

from __future__ import annotations

from .augment import Augmentation, augment
from .cifar import load_cifar10
from .digits import load_digits
from .image_folder import (
    FolderBatches,
    ImageFolder,
    class_distribution,
    distribution_report,
    make_image_folder,
    read_images,
    scan_image_folder,
    split_folder,
)
from .labeled import LabeledImages, to_layout
from .loaders import ArrayBatches, loader
from .mnist import load_mnist, read_idx
from .normalize import ChannelRange, ChannelStats, fit_channel_range, fit_channel_stats, normalize
from .shapes import SHAPES, ShapesDataset, make_shapes
from .splits import Split, per_class_indices, split_indices, train_val_test_split
from .warp import resize

__all__ = ["SHAPES", "ShapesDataset", "make_shapes"]
# real and local datasets, splits, normalisation, augmentation, batches (transfer learning)
__all__ += [
    "ArrayBatches", "Augmentation", "ChannelRange", "ChannelStats", "LabeledImages", "Split", "augment",
    "fit_channel_range", "fit_channel_stats", "load_cifar10", "load_digits", "load_mnist", "loader", "normalize",
    "per_class_indices", "read_idx", "resize", "split_indices", "to_layout", "train_val_test_split",
]
# image folders (root/<class>/*.jpg|png), as the lectures' transfer-learning pipeline reads them
__all__ += [
    "FolderBatches", "ImageFolder", "class_distribution", "distribution_report",
    "make_image_folder", "read_images", "scan_image_folder", "split_folder",
]
