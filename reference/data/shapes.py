"""A synthetic dataset that says where the object is: one shape per image, at a random place.

The class of an image is the shape it shows, so a classifier has to find the shape to name it,
and the bounding box that comes with every image tells whether an explanation (CAM, Grad-CAM)
points at the right place. Generated from a seed, in numpy: nothing is downloaded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnlab.errors import UsageError

from .._validation import check_choice, check_int

__all__ = ["SHAPES", "ShapesDataset", "make_shapes"]

#: The shapes that can be drawn; a dataset's classes are some of them, in this order.
SHAPES = ("square", "circle", "triangle", "cross")


@dataclass(frozen=True)
class ShapesDataset:
    """Images with one shape each.

    Attributes
    ----------
    images : ndarray of float32, (N, H, W, C) or (N, C, H, W)
        Values in [0, 1].
    labels : ndarray of int64, (N,)
        Index into ``class_names``.
    boxes : ndarray of int64, (N, 4)
        The shape's tight bounding box as ``(top, left, bottom, right)``; bottom and right are
        exclusive, so the object is ``image[top:bottom, left:right]``.
    class_names : tuple of str
    """

    images: np.ndarray
    labels: np.ndarray
    boxes: np.ndarray
    class_names: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.labels)


def _mask(shape: str, size: int) -> np.ndarray:
    """A boolean ``size x size`` drawing of ``shape``."""
    centre = (size - 1) / 2
    y, x = np.mgrid[0:size, 0:size]
    if shape == "square":
        return np.ones((size, size), dtype=bool)
    if shape == "circle":
        return (y - centre) ** 2 + (x - centre) ** 2 <= (size / 2) ** 2
    if shape == "triangle":  # apex at the top, base along the bottom row
        half_width = (y + 1) / size * size / 2
        return np.abs(x - centre) <= half_width
    arm = max(1, size // 3)  # cross: a bar of width ``arm`` each way
    lo = (size - arm) // 2
    band = (np.arange(size) >= lo) & (np.arange(size) < lo + arm)
    return band[:, None] | band[None, :]


def make_shapes(n: int, *, image_size: int = 32, classes=SHAPES, min_size: int = 8,
                max_size: int = 14, noise: float = 0.05, channels: int = 1,
                layout: str = "nhwc", seed: int = 0) -> ShapesDataset:
    """Draw ``n`` images, each with one shape of random size, brightness and position.

    Parameters
    ----------
    n : int
        Number of images; the classes are balanced (they differ by at most one image).
    image_size : int, default=32
        Side of the square images.
    classes : sequence of str, default=SHAPES
        Which shapes to draw; label ``i`` is ``classes[i]``.
    min_size, max_size : int, default=8 and 14
        Range of the shape's side in pixels.
    noise : float, default=0.05
        Standard deviation of the Gaussian pixel noise.
    channels : {1, 3}, default=1
        Grey-scale, or colour (the shape and background get random colours).
    layout : {"nhwc", "nchw"}, default="nhwc"
        Channels last (Keras, images) or first (torch).
    seed : int, default=0
        The same seed gives the same dataset.

    Returns
    -------
    ShapesDataset
    """
    n = check_int(n, name="n", low=1)
    image_size = check_int(image_size, name="image_size", low=4)
    min_size = check_int(min_size, name="min_size", low=3)
    max_size = check_int(max_size, name="max_size", low=min_size)
    if max_size > image_size:
        raise UsageError(f"max_size ({max_size}) must fit in image_size ({image_size})")
    classes = tuple(classes)
    if not classes or len(set(classes)) != len(classes):
        raise UsageError(f"classes must be distinct names from {', '.join(SHAPES)}; got {classes!r}")
    for name in classes:
        check_choice(name, name="classes", choices=SHAPES)
    channels = int(check_choice(channels, name="channels", choices=(1, 3)))
    check_choice(layout, name="layout", choices=("nhwc", "nchw"))
    if not 0 <= noise < 1:
        raise UsageError(f"noise must be in [0, 1), got {noise!r}")

    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n) % len(classes))
    images = np.empty((n, image_size, image_size, channels), dtype=np.float32)
    boxes = np.empty((n, 4), dtype=np.int64)
    for i, label in enumerate(labels):
        size = int(rng.integers(min_size, max_size + 1))
        top, left = (int(v) for v in rng.integers(0, image_size - size + 1, size=2))
        mask = np.zeros((image_size, image_size), dtype=bool)
        mask[top:top + size, left:left + size] = _mask(classes[label], size)
        # dark background, bright object, so the object is visible in every channel
        background = rng.uniform(0.0, 0.3, size=channels)
        foreground = rng.uniform(0.6, 1.0, size=channels)
        picture = np.where(mask[..., None], foreground, background)
        picture += rng.normal(0.0, noise, size=picture.shape)
        images[i] = np.clip(picture, 0.0, 1.0)
        rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
        boxes[i] = rows[0], cols[0], rows[-1] + 1, cols[-1] + 1
    if layout == "nchw":
        images = np.ascontiguousarray(images.transpose(0, 3, 1, 2))
    return ShapesDataset(images, labels.astype(np.int64), boxes, classes)
