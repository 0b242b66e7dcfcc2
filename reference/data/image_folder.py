"""Image folders laid out as ``root/<class>/<image>.jpg|png`` (the flowers dataset's layout, and
what ``keras.utils.image_dataset_from_directory``, ImageDataGenerator's ``flow_from_directory``
and torchvision's ``ImageFolder`` read): scanning, a stratified split of the *files*, the class
distribution, shuffled and augmented batches read from disk on the fly, and a small synthetic
folder to try it all offline.

Classes are the sub-folder names in sorted order (label ``i`` is ``class_names[i]``), as in Keras
and torchvision. Images are read with Pillow, converted to RGB and resized bilinearly to ``size``
(:func:`cnnlab.reference.data.warp.resize`); pixel values stay in [0, 255] until an
:class:`~cnnlab.reference.data.augment.Augmentation` ``rescale`` (for example 1/255) changes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cnnlab.errors import UsageError

from .._validation import check_int, check_pair
from .augment import Augmentation
from .loaders import ArrayBatches
from .splits import split_indices
from .warp import resize

__all__ = ["IMAGE_EXTENSIONS", "ImageFolder", "scan_image_folder", "split_folder",
           "class_distribution", "distribution_report", "read_images", "FolderBatches",
           "make_image_folder"]

#: File endings read as images (case-insensitive).
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png")


@dataclass(frozen=True)
class ImageFolder:
    """The image files of a folder, their labels and the class names.

    Attributes
    ----------
    files : tuple of Path
        In class order, then file-name order.
    labels : ndarray of int64
    class_names : tuple of str
    """

    files: tuple
    labels: np.ndarray
    class_names: tuple

    def __len__(self) -> int:
        return len(self.files)

    def subset(self, indices) -> ImageFolder:
        """The files at ``indices`` (same class names)."""
        indices = np.asarray(indices, dtype=np.int64)
        return ImageFolder(tuple(self.files[i] for i in indices), self.labels[indices],
                           self.class_names)


def scan_image_folder(root, *, extensions=IMAGE_EXTENSIONS) -> ImageFolder:
    """List the images of ``root/<class>/``.

    Parameters
    ----------
    root : str or Path
    extensions : sequence of str, default=IMAGE_EXTENSIONS

    Returns
    -------
    ImageFolder

    Raises
    ------
    FileNotFoundError
        If ``root`` is not a folder.
    ValueError
        If it has no class sub-folders, or a class folder holds no image.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"image folder {str(root)!r} does not exist")
    classes = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not classes:
        raise UsageError(f"{str(root)!r} has no class sub-folders (expected root/<class>/*.jpg)")
    endings = tuple(e.lower() for e in extensions)
    files, labels = [], []
    for label, name in enumerate(classes):
        found = sorted(p for p in (root / name).iterdir()
                       if p.is_file() and p.suffix.lower() in endings)
        if not found:
            raise UsageError(f"class folder {name!r} holds no image ({', '.join(endings)})")
        files += found
        labels += [label] * len(found)
    return ImageFolder(tuple(files), np.asarray(labels, dtype=np.int64), tuple(classes))


def split_folder(folder: ImageFolder, *, val: float = 0.2, seed: int = 0
                 ) -> tuple[ImageFolder, ImageFolder]:
    """Stratified train/validation split of the files (80/20 by default).

    Each class gives ``round(val * count)`` of its files to validation
    (:func:`cnnlab.reference.data.splits.split_indices`), so both parts keep the class
    proportions.

    Returns
    -------
    (train, val) : ImageFolder, ImageFolder
    """
    if not isinstance(folder, ImageFolder):
        raise UsageError(f"folder must be an ImageFolder, got {type(folder).__name__}")
    train, validation, _ = split_indices(folder.labels, val=val, test=0.0, seed=seed)
    return folder.subset(train), folder.subset(validation)


def class_distribution(folder: ImageFolder) -> dict[str, int]:
    """Images per class, by class name, in label order."""
    counts = np.bincount(folder.labels, minlength=len(folder.class_names))
    return {name: int(c) for name, c in zip(folder.class_names, counts, strict=True)}


def distribution_report(**parts: ImageFolder) -> str:
    """A text table of images per class (and share) for named parts, e.g. ``train=..., val=...``.

    Examples
    --------
    >>> print(distribution_report(train=train, val=val))      # doctest: +SKIP
    class     train  share    val  share
    circle       16  33.3%      4  33.3%
    ...
    """
    if not parts:
        raise UsageError("give at least one part, e.g. distribution_report(train=folder)")
    names = next(iter(parts.values())).class_names
    header = f"{'class':<12}" + "".join(f"{p:>8} {'share':>6}" for p in parts)
    lines = [header]
    counts = {p: class_distribution(f) for p, f in parts.items()}
    for name in names:
        line = f"{name:<12}"
        for p, folder in parts.items():
            n = counts[p].get(name, 0)
            line += f"{n:>8} {100 * n / max(len(folder), 1):>5.1f}%"
        lines.append(line)
    lines.append(f"{'total':<12}" + "".join(f"{len(f):>8} {100.0:>5.1f}%" for f in parts.values()))
    return "\n".join(lines)


def read_images(files, *, size) -> np.ndarray:
    """Read image files as float32 RGB ``(N, H, W, 3)`` in [0, 255], resized to ``size``."""
    from PIL import Image

    height, width = check_pair(size, name="size", low=1)
    out = np.empty((len(files), height, width, 3), dtype=np.float32)
    for i, path in enumerate(files):
        with Image.open(path) as image:
            pixels = np.asarray(image.convert("RGB"), dtype=np.float32)
        if pixels.shape[:2] != (height, width):
            pixels = resize(pixels[None], (height, width))[0]
        out[i] = pixels
    return out


class FolderBatches(ArrayBatches):
    """Shuffled, augmented mini-batches read from an :class:`ImageFolder` on the fly.

    The same interface as :class:`cnnlab.reference.data.loaders.ArrayBatches` (batch ``i`` of
    epoch ``e`` depends on ``(seed, e, i)`` only), so :func:`cnnlab.reference.data.loader` turns it
    into a torch iterable or a Keras ``PyDataset``. Only one batch of images is in memory at a
    time.

    Parameters
    ----------
    folder : ImageFolder
    size : int or (int, int)
        Height and width images are resized to (224 in the lectures).
    batch_size : int, default=32
    shuffle : bool, default=True
        A new order each epoch (True for training, False for validation, as in the lectures).
    augmentation : Augmentation, optional
        Applied to every batch; its ``rescale`` (e.g. 1/255) maps [0, 255] to [0, 1].
    seed : int, default=0
    """

    def __init__(self, folder: ImageFolder, *, size, batch_size: int = 32, shuffle: bool = True,
                 augmentation: Augmentation | None = None, seed: int = 0):
        if not isinstance(folder, ImageFolder) or len(folder) == 0:
            raise UsageError("folder must be a non-empty ImageFolder")
        if augmentation is not None and not isinstance(augmentation, Augmentation):
            raise UsageError(f"augmentation must be an Augmentation or None, got {type(augmentation).__name__}")
        self.folder, self.size = folder, check_pair(size, name="size", low=1)
        self.labels = folder.labels
        self.batch_size = check_int(batch_size, name="batch_size", low=1)
        self.shuffle, self.augmentation = bool(shuffle), augmentation
        self.seed = check_int(seed, name="seed")

    def images_at(self, picked: np.ndarray) -> np.ndarray:
        """The files ``picked``, read from disk and resized (the batching is ArrayBatches')."""
        return read_images([self.folder.files[i] for i in picked], size=self.size)

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Every image of epoch 0 in one array (for evaluation)."""
        parts = list(self.epoch(0))
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def make_image_folder(root, *, classes=("circle", "square", "triangle"), per_class: int = 20,
                      size: int = 64, seed: int = 0) -> ImageFolder:
    """Write a small synthetic flowers-style folder, ``root/<class>/<class>_<i>.png|jpg``.

    Each image is a colour shape on a colour background (:func:`cnnlab.reference.data.make_shapes`);
    even-numbered files are PNG, odd-numbered JPEG, so both readers are exercised.

    Parameters
    ----------
    root : str or Path
        Created if missing; existing class folders are written into.
    classes : sequence of str, default=("circle", "square", "triangle")
        Names from ``cnnlab.reference.data.SHAPES``.
    per_class : int, default=20
    size : int, default=64
    seed : int, default=0

    Returns
    -------
    ImageFolder
        The folder as :func:`scan_image_folder` reads it.
    """
    from PIL import Image

    from .shapes import make_shapes

    per_class = check_int(per_class, name="per_class", low=1)
    classes = tuple(classes)
    data = make_shapes(per_class * len(classes), image_size=size, classes=classes, channels=3,
                       min_size=size // 4, max_size=size // 2, seed=seed)
    root = Path(root)
    written = {name: 0 for name in classes}
    for image, label in zip(data.images, data.labels, strict=True):
        name = classes[int(label)]
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        i = written[name]
        written[name] += 1
        pixels = Image.fromarray(np.clip(image * 255 + 0.5, 0, 255).astype(np.uint8))
        if i % 2:
            pixels.save(folder / f"{name}_{i:03d}.jpg", quality=95)
        else:
            pixels.save(folder / f"{name}_{i:03d}.png")
    return scan_image_folder(root)
