"""Random augmentation of image batches, in numpy, from a seed.

One implementation serves both frameworks (see :mod:`cnnlab.reference.data.loaders`), so a seed gives
the same augmented batch in torch and in Keras. Geometric changes (flip, rotation, shift, zoom)
are composed into one affine map per image and applied with a single bilinear resampling (zeros
outside the image, see :mod:`cnnlab.reference.data.warp`); then brightness, contrast, noise and cutout.

=========== ===================================================================================
flip        mirror left-right with probability 1/2
rotation    turn by an angle drawn from U(-rotation, rotation) degrees, about the centre
shift       move by U(-shift, shift) times the height (rows) and the width (columns)
zoom        scale by U(1 - zoom, 1 + zoom) about the centre (above 1 zooms in)
brightness  add U(-brightness, brightness) to every pixel
contrast    scale each channel's deviation from its mean by U(1 - contrast, 1 + contrast), as
            ``tf.image.adjust_contrast`` does
noise       add Gaussian noise of standard deviation ``noise``
cutout      set a ``cutout`` x ``cutout`` square at a random centre to 0 (clipped at the border)
=========== ===================================================================================
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from ..ops._validate import non_negative_int, rng_from
from .warp import affine_matrix, warp_affine

__all__ = ["Augmentation", "augment"]


def _amount(value, name: str, upper: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or value < 0 or (
            upper is not None and value >= upper):
        bound = f"in [0, {upper:g})" if upper is not None else ">= 0"
        raise ValueError(f"{name} must be a number {bound}, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class Augmentation:
    """Which augmentations to apply and how strongly; all off by default.

    Attributes
    ----------
    flip : bool
    rotation : float
        Largest angle, degrees.
    shift : float
        Largest move as a fraction of the image side, in [0, 1).
    zoom : float
        Largest relative change of scale, in [0, 1).
    brightness, contrast, noise : float
    cutout : int
        Side of the erased square in pixels; 0 for none.
    clip : (float, float) or None, default=(0.0, 1.0)
        Value range to clip the result to (None to leave it), for images in [0, 1].
    """

    flip: bool = False
    rotation: float = 0.0
    shift: float = 0.0
    zoom: float = 0.0
    brightness: float = 0.0
    contrast: float = 0.0
    noise: float = 0.0
    cutout: int = 0
    clip: tuple[float, float] | None = (0.0, 1.0)

    def __post_init__(self):
        if not isinstance(self.flip, bool):
            raise ValueError(f"flip must be True or False, got {self.flip!r}")
        _amount(self.rotation, "rotation", 360.0)
        _amount(self.shift, "shift", 1.0)
        _amount(self.zoom, "zoom", 1.0)
        _amount(self.brightness, "brightness")
        _amount(self.contrast, "contrast", 1.0)
        _amount(self.noise, "noise")
        non_negative_int(self.cutout, name="cutout")
        if self.clip is not None and (len(self.clip) != 2 or not self.clip[0] < self.clip[1]):
            raise ValueError(f"clip must be None or (low, high) with low < high, got {self.clip!r}")

    @property
    def geometric(self) -> bool:
        return self.flip or bool(self.rotation or self.shift or self.zoom)

    def __call__(self, images, rng=None) -> np.ndarray:
        return augment(images, self, rng)


def augment(images, spec: Augmentation, rng=None) -> np.ndarray:
    """Augment a batch (N, H, W, C) of float images; a new array.

    Parameters
    ----------
    images : array (N, H, W, C)
    spec : Augmentation
    rng : int, numpy Generator or None
        The same seed (or a Generator in the same state) gives the same result.
    """
    if not isinstance(spec, Augmentation):
        raise ValueError(f"spec must be an Augmentation, got {type(spec).__name__}")
    rng = rng_from(rng)
    out = np.array(images, dtype=np.float32)
    if out.ndim != 4:
        raise ValueError(f"images must be a batch (N, H, W, C), got shape {out.shape}")
    n, height, width, _ = out.shape
    if spec.geometric:
        flips = rng.random(n) < 0.5 if spec.flip else np.zeros(n, dtype=bool)
        angles = rng.uniform(-spec.rotation, spec.rotation, n)
        shifts = rng.uniform(-spec.shift, spec.shift, (n, 2)) * (height, width)
        scales = rng.uniform(1 - spec.zoom, 1 + spec.zoom, n)
        matrices = np.stack([
            affine_matrix(height=height, width=width, angle=a, scale=s, shift=d, flip=bool(f))
            for a, s, d, f in zip(angles, scales, shifts, flips, strict=True)
        ])
        out = warp_affine(out, matrices)
    if spec.brightness:
        out += rng.uniform(-spec.brightness, spec.brightness, (n, 1, 1, 1)).astype(np.float32)
    if spec.contrast:
        mean = out.mean(axis=(1, 2), keepdims=True)
        factor = rng.uniform(1 - spec.contrast, 1 + spec.contrast, (n, 1, 1, 1)).astype(np.float32)
        out = (out - mean) * factor + mean
    if spec.noise:
        out += rng.normal(0.0, spec.noise, out.shape).astype(np.float32)
    if spec.cutout:
        half = spec.cutout // 2
        rows, cols = rng.integers(0, height, n), rng.integers(0, width, n)
        for image, r, c in zip(out, rows, cols, strict=True):
            top, left = max(r - half, 0), max(c - half, 0)
            image[top:r - half + spec.cutout, left:c - half + spec.cutout] = 0.0
    if spec.clip is not None:
        np.clip(out, spec.clip[0], spec.clip[1], out=out)
    return out
