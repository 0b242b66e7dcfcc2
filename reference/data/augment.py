"""Random augmentation of image batches, in numpy, from a seed.

One implementation serves both frameworks (see :mod:`cnnlab.reference.data.loaders`), so a seed gives
the same augmented batch in torch and in Keras. Geometric changes (flips, rotation, shear, shift,
zoom) are composed into one affine map per image and applied with a single bilinear resampling
(what lies outside the image is ``fill_mode``'s, see :mod:`cnnlab.reference.data.warp`); then
rescale, random crop, brightness, contrast, noise and cutout.

============== ================================================================================
flip           mirror left-right with probability 1/2 (ImageDataGenerator's horizontal_flip)
vertical_flip  mirror top-bottom with probability 1/2
rotation       turn by an angle drawn from U(-rotation, rotation) degrees, about the centre
shear          shear by an angle drawn from U(-shear, shear) degrees (ImageDataGenerator's
               shear_range, also in degrees)
shift          move by U(-shift, shift) times the height (rows) and the width (columns)
width_shift,   the same per axis (ImageDataGenerator's width_shift_range and height_shift_range);
height_shift   None takes ``shift``
zoom           scale by U(1 - zoom, 1 + zoom) about the centre (above 1 zooms in); with
               ``zoom_per_axis`` rows and columns draw their factors independently, as
               ImageDataGenerator's zoom_range does
fill_mode      what the warp reads outside the image: constant (``cval``), nearest, reflect, wrap
rescale        multiply every pixel by ``rescale`` after the warp (ImageDataGenerator's rescale,
               e.g. 1/255); None for none
crop           cut a random (height, width) window out of the warped image (AlexNet's crops)
brightness     add U(-brightness, brightness) to every pixel
contrast       scale each channel's deviation from its mean by U(1 - contrast, 1 + contrast), as
               ``tf.image.adjust_contrast`` does
noise          add Gaussian noise of standard deviation ``noise``
cutout         set a ``cutout`` x ``cutout`` square at a random centre to 0 (clipped at the border)
============== ================================================================================

:meth:`Augmentation.from_keras` takes ImageDataGenerator's argument names.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from cnnlab.errors import UsageError

from .._validation import check_int, rng_from
from .warp import FILL_MODES, affine_matrix, warp_affine

__all__ = ["Augmentation", "augment"]


def _amount(value, name: str, upper: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or value < 0 or (
            upper is not None and value >= upper):
        bound = f"in [0, {upper:g})" if upper is not None else ">= 0"
        raise UsageError(f"{name} must be a number {bound}, got {value!r}")
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
    vertical_flip : bool
    shear : float
        Largest shear angle, degrees.
    width_shift, height_shift : float or None
        Largest move per axis as a fraction of that side; None takes ``shift``.
    zoom_per_axis : bool
        Draw the row and column zoom factors independently.
    fill_mode : {"constant", "nearest", "reflect", "wrap"}, default="constant"
    cval : float, default=0.0
        The value ``fill_mode="constant"`` reads outside the image.
    rescale : float or None
        Factor applied after the warp.
    crop : (int, int) or None
        Height and width of a random crop.
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
    vertical_flip: bool = False
    shear: float = 0.0
    width_shift: float | None = None
    height_shift: float | None = None
    zoom_per_axis: bool = False
    fill_mode: str = "constant"
    cval: float = 0.0
    rescale: float | None = None
    crop: tuple[int, int] | None = None

    def __post_init__(self):
        if not isinstance(self.flip, bool):
            raise UsageError(f"flip must be True or False, got {self.flip!r}")
        _amount(self.rotation, "rotation", 360.0)
        _amount(self.shift, "shift", 1.0)
        _amount(self.zoom, "zoom", 1.0)
        _amount(self.brightness, "brightness")
        _amount(self.contrast, "contrast", 1.0)
        _amount(self.noise, "noise")
        check_int(self.cutout, name="cutout")
        if self.clip is not None and (len(self.clip) != 2 or not self.clip[0] < self.clip[1]):
            raise UsageError(f"clip must be None or (low, high) with low < high, got {self.clip!r}")
        for name in ("vertical_flip", "zoom_per_axis"):
            if not isinstance(getattr(self, name), bool):
                raise UsageError(f"{name} must be True or False, got {getattr(self, name)!r}")
        _amount(self.shear, "shear", 90.0)
        for name in ("width_shift", "height_shift"):
            if getattr(self, name) is not None:
                _amount(getattr(self, name), name, 1.0)
        if self.fill_mode not in FILL_MODES:
            raise UsageError(f"fill_mode must be one of {', '.join(map(repr, FILL_MODES))}; "
                             f"got {self.fill_mode!r}")
        if isinstance(self.cval, bool) or not isinstance(self.cval, numbers.Real):
            raise UsageError(f"cval must be a number, got {self.cval!r}")
        if self.rescale is not None and (isinstance(self.rescale, bool)
                                         or not isinstance(self.rescale, numbers.Real)):
            raise UsageError(f"rescale must be a number or None, got {self.rescale!r}")
        if self.crop is not None:
            if not isinstance(self.crop, (tuple, list)) or len(self.crop) != 2:
                raise UsageError(f"crop must be None or (height, width), got {self.crop!r}")
            for side in self.crop:
                check_int(side, name="crop", low=1)

    @classmethod
    def from_keras(cls, *, rotation_range=0.0, width_shift_range=0.0, height_shift_range=0.0,
                   shear_range=0.0, zoom_range=0.0, horizontal_flip=False, vertical_flip=False,
                   fill_mode="nearest", cval=0.0, rescale=None, **others) -> Augmentation:
        """An Augmentation from ImageDataGenerator's argument names and defaults.

        ``fill_mode`` defaults to ``"nearest"`` and ``zoom_range`` draws a factor per axis, as in
        Keras; ``clip`` is off (Keras does not clip). Other :class:`Augmentation` fields
        (``crop``, ``brightness`` ...) pass through ``others``.

        Examples
        --------
        >>> Augmentation.from_keras(rotation_range=20, width_shift_range=0.2, shear_range=0.2,
        ...                         zoom_range=0.2, horizontal_flip=True).fill_mode
        'nearest'
        """
        return cls(flip=horizontal_flip, vertical_flip=vertical_flip, rotation=rotation_range,
                   width_shift=width_shift_range, height_shift=height_shift_range,
                   shear=shear_range, zoom=zoom_range, zoom_per_axis=True, fill_mode=fill_mode,
                   cval=cval, rescale=rescale, clip=others.pop("clip", None), **others)

    @property
    def geometric(self) -> bool:
        return self.flip or self.vertical_flip or bool(
            self.rotation or self.shift or self.zoom or self.shear or self.width_shift
            or self.height_shift)

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
        raise UsageError(f"spec must be an Augmentation, got {type(spec).__name__}")
    rng = rng_from(rng)
    out = np.array(images, dtype=np.float32)
    if out.ndim != 4:
        raise UsageError(f"images must be a batch (N, H, W, C), got shape {out.shape}")
    n, height, width, _ = out.shape
    if spec.geometric:
        flips = rng.random(n) < 0.5 if spec.flip else np.zeros(n, dtype=bool)
        angles = rng.uniform(-spec.rotation, spec.rotation, n)
        if spec.width_shift is None and spec.height_shift is None:
            shifts = rng.uniform(-spec.shift, spec.shift, (n, 2)) * (height, width)
        else:
            rows_frac = spec.shift if spec.height_shift is None else spec.height_shift
            cols_frac = spec.shift if spec.width_shift is None else spec.width_shift
            shifts = rng.uniform(-1.0, 1.0, (n, 2)) * (rows_frac * height, cols_frac * width)
        scales = rng.uniform(1 - spec.zoom, 1 + spec.zoom, n)
        # the fields added for ImageDataGenerator draw after the original ones, so a seed gives
        # the same batch as before for an Augmentation that does not use them
        col_scales = rng.uniform(1 - spec.zoom, 1 + spec.zoom, n) if spec.zoom_per_axis else scales
        vflips = rng.random(n) < 0.5 if spec.vertical_flip else np.zeros(n, dtype=bool)
        shears = rng.uniform(-spec.shear, spec.shear, n) if spec.shear else np.zeros(n)
        matrices = np.stack([
            affine_matrix(height=height, width=width, angle=a, scale=(s, sc), shift=d,
                          flip=bool(f), vertical_flip=bool(v), shear=h)
            for a, s, sc, d, f, v, h in zip(angles, scales, col_scales, shifts, flips, vflips,
                                             shears, strict=True)
        ])
        out = warp_affine(out, matrices, fill_mode=spec.fill_mode, cval=spec.cval)
    if spec.rescale is not None:
        out *= np.float32(spec.rescale)
    if spec.crop is not None:
        crop_h, crop_w = spec.crop
        if crop_h > height or crop_w > width:
            raise UsageError(f"crop {crop_h}x{crop_w} is larger than the {height}x{width} images")
        tops = rng.integers(0, height - crop_h + 1, n)
        lefts = rng.integers(0, width - crop_w + 1, n)
        out = np.stack([image[t:t + crop_h, c:c + crop_w] for image, t, c in
                        zip(out, tops, lefts, strict=True)])
        height, width = crop_h, crop_w
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
