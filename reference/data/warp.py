"""Bilinear resampling of image batches in numpy: resizing and affine warps.

Coordinates are pixel centres (pixel ``i`` covers ``[i - 0.5, i + 0.5]``), the convention of
``torch.nn.functional.interpolate(..., align_corners=False)`` and of TensorFlow's
``half_pixel_centers``. Outside the image a warp reads what its ``fill_mode`` says, Keras' names:

========  ==========================================================================================
constant  ``cval`` (zeros by default); a pixel near the border blends with it, as ``scipy.ndimage``'s
          ``"grid-constant"`` mode does
nearest   the nearest border pixel (``aaaa|abcd|dddd``)
reflect   the image mirrored about its edge, the edge pixel repeated (``dcba|abcd|dcba``)
wrap      the image repeated (``abcd|abcd|abcd``)
========  ==========================================================================================

Resizing clamps to the border, as torch and TensorFlow do.
"""

from __future__ import annotations

import numpy as np

from cnnlab.errors import UsageError

from .._validation import check_pair

__all__ = ["sample_bilinear", "resize", "affine_matrix", "warp_affine", "FILL_MODES"]

#: Keras' ``fill_mode`` names (ImageDataGenerator, ``keras.layers.Random*``).
FILL_MODES = ("constant", "nearest", "reflect", "wrap")


def _fold(index: np.ndarray, size: int, fill_mode: str) -> np.ndarray:
    """Integer pixel indices outside ``[0, size)`` mapped inside by ``fill_mode``."""
    if fill_mode == "wrap":
        return np.mod(index, size)
    if fill_mode == "reflect":
        period = np.mod(index, 2 * size)
        return np.where(period < size, period, 2 * size - 1 - period)
    return np.clip(index, 0, size - 1)


def sample_bilinear(images: np.ndarray, rows: np.ndarray, cols: np.ndarray, *,
                    clamp: bool | None = None, fill_mode: str = "constant",
                    cval: float = 0.0) -> np.ndarray:
    """Read ``images`` (N, H, W, C) at fractional ``rows`` and ``cols``, (N, h, w) each.

    ``fill_mode`` (one of :data:`FILL_MODES`) says what lies beyond the edge; ``clamp=True`` is
    ``fill_mode="nearest"`` and ``clamp=False`` ``fill_mode="constant"`` with zeros.
    """
    if clamp is not None:
        fill_mode, cval = ("nearest", 0.0) if clamp else ("constant", 0.0)
    if fill_mode not in FILL_MODES:
        raise UsageError(f"fill_mode must be one of {', '.join(map(repr, FILL_MODES))}; got {fill_mode!r}")
    n, height, width, _ = images.shape
    r0, c0 = np.floor(rows).astype(np.int64), np.floor(cols).astype(np.int64)
    wr, wc = (rows - r0)[..., None], (cols - c0)[..., None]
    batch = np.arange(n)[:, None, None]
    out = 0.0
    for dr, dc, weight in ((0, 0, (1 - wr) * (1 - wc)), (0, 1, (1 - wr) * wc),
                           (1, 0, wr * (1 - wc)), (1, 1, wr * wc)):
        r, c = r0 + dr, c0 + dc
        value = images[batch, _fold(r, height, fill_mode), _fold(c, width, fill_mode)]
        if fill_mode == "constant":
            inside = ((r >= 0) & (r < height) & (c >= 0) & (c < width))[..., None]
            value = np.where(inside, value, cval)
        out = out + weight * value
    return np.asarray(out, dtype=images.dtype)


def resize(images: np.ndarray, size) -> np.ndarray:
    """Bilinear resize of a batch (N, H, W, C) to ``size`` (an int or (height, width)).

    Equal to ``torch.nn.functional.interpolate(mode="bilinear", align_corners=False)`` without
    antialiasing, and to ``tf.image.resize(method="bilinear", antialias=False)``.
    """
    height, width = check_pair(size, name="size", low=1)
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 4:
        raise UsageError(f"images must be a batch (N, H, W, C), got shape {images.shape}")
    n, h, w, _ = images.shape

    def source(out_size, in_size):
        # output pixel centre -> input coordinate; torch clamps negative ones to 0
        return np.maximum((np.arange(out_size) + 0.5) * in_size / out_size - 0.5, 0.0)

    rows = np.broadcast_to(source(height, h)[None, :, None], (n, height, width))
    cols = np.broadcast_to(source(width, w)[None, None, :], (n, height, width))
    return sample_bilinear(images, rows, cols, clamp=True)


def affine_matrix(*, height: int, width: int, angle: float = 0.0, scale=1.0,
                  shift=(0.0, 0.0), flip: bool = False, vertical_flip: bool = False,
                  shear: float = 0.0) -> np.ndarray:
    """The 2x3 matrix that maps an output pixel (row, col, 1) to the input pixel it shows.

    The output is the input mirrored left-right (``flip``) and top-bottom (``vertical_flip``),
    scaled by ``scale`` (one factor, or (rows, cols) factors), sheared by ``shear`` degrees
    (a column ``c`` moves by ``tan(shear)`` times the row's distance from the centre), rotated
    counter-clockwise by ``angle`` degrees, all about the image centre, then moved by ``shift``
    (rows, cols) pixels.
    """
    centre = np.array([(height - 1) / 2, (width - 1) / 2])
    theta = np.deg2rad(angle)
    # Forward map on (row, col): with rows pointing down this turns the picture
    # counter-clockwise on screen, as np.rot90 does.
    rotate = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    scale_rows, scale_cols = (scale, scale) if np.ndim(scale) == 0 else scale
    shear_map = np.array([[1.0, 0.0], [np.tan(np.deg2rad(shear)), 1.0]])
    forward = rotate @ shear_map @ np.diag([float(scale_rows), float(scale_cols)])
    if flip:
        forward = forward @ np.array([[1.0, 0.0], [0.0, -1.0]])
    if vertical_flip:
        forward = forward @ np.array([[-1.0, 0.0], [0.0, 1.0]])
    inverse = np.linalg.inv(forward)
    offset = centre - inverse @ (centre + np.asarray(shift, dtype=np.float64))
    return np.hstack([inverse, offset[:, None]])


def warp_affine(images: np.ndarray, matrices: np.ndarray, *, fill_mode: str = "constant",
                cval: float = 0.0) -> np.ndarray:
    """Warp each image (N, H, W, C) by its 2x3 matrix (N, 2, 3) from :func:`affine_matrix`;
    outside the input reads what ``fill_mode`` says (zeros by default)."""
    n, height, width, _ = images.shape
    grid_r, grid_c = np.meshgrid(np.arange(height, dtype=np.float64),
                                 np.arange(width, dtype=np.float64), indexing="ij")
    m = np.asarray(matrices, dtype=np.float64)
    rows = m[:, 0, 0, None, None] * grid_r + m[:, 0, 1, None, None] * grid_c + m[:, 0, 2, None, None]
    cols = m[:, 1, 0, None, None] * grid_r + m[:, 1, 1, None, None] * grid_c + m[:, 1, 2, None, None]
    return sample_bilinear(images, rows, cols, fill_mode=fill_mode, cval=cval)
