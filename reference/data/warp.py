"""Bilinear resampling of image batches in numpy: resizing and affine warps.

Coordinates are pixel centres (pixel ``i`` covers ``[i - 0.5, i + 0.5]``), the convention of
``torch.nn.functional.interpolate(..., align_corners=False)`` and of TensorFlow's
``half_pixel_centers``. Outside the image a warp reads zeros, and a pixel near the border blends
with them, as ``scipy.ndimage``'s ``"grid-constant"`` mode does; resizing clamps to the border
instead, as torch and TensorFlow do.
"""

from __future__ import annotations

import numpy as np

from ..ops._validate import int_pair

__all__ = ["sample_bilinear", "resize", "affine_matrix", "warp_affine"]


def sample_bilinear(images: np.ndarray, rows: np.ndarray, cols: np.ndarray, *,
                    clamp: bool) -> np.ndarray:
    """Read ``images`` (N, H, W, C) at fractional ``rows`` and ``cols``, (N, h, w) each.

    ``clamp=True`` reads border pixels beyond the edge; ``clamp=False`` reads zeros there.
    """
    n, height, width, _ = images.shape
    r0, c0 = np.floor(rows).astype(np.int64), np.floor(cols).astype(np.int64)
    wr, wc = (rows - r0)[..., None], (cols - c0)[..., None]
    batch = np.arange(n)[:, None, None]
    out = 0.0
    for dr, dc, weight in ((0, 0, (1 - wr) * (1 - wc)), (0, 1, (1 - wr) * wc),
                           (1, 0, wr * (1 - wc)), (1, 1, wr * wc)):
        r, c = r0 + dr, c0 + dc
        if clamp:
            out = out + weight * images[batch, np.clip(r, 0, height - 1), np.clip(c, 0, width - 1)]
            continue
        inside = ((r >= 0) & (r < height) & (c >= 0) & (c < width))[..., None]
        value = images[batch, np.clip(r, 0, height - 1), np.clip(c, 0, width - 1)]
        out = out + weight * np.where(inside, value, 0.0)
    return np.asarray(out, dtype=images.dtype)


def resize(images: np.ndarray, size) -> np.ndarray:
    """Bilinear resize of a batch (N, H, W, C) to ``size`` (an int or (height, width)).

    Equal to ``torch.nn.functional.interpolate(mode="bilinear", align_corners=False)`` without
    antialiasing, and to ``tf.image.resize(method="bilinear", antialias=False)``.
    """
    height, width = int_pair(size, name="size", minimum=1)
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 4:
        raise ValueError(f"images must be a batch (N, H, W, C), got shape {images.shape}")
    n, h, w, _ = images.shape

    def source(out_size, in_size):
        # output pixel centre -> input coordinate; torch clamps negative ones to 0
        return np.maximum((np.arange(out_size) + 0.5) * in_size / out_size - 0.5, 0.0)

    rows = np.broadcast_to(source(height, h)[None, :, None], (n, height, width))
    cols = np.broadcast_to(source(width, w)[None, None, :], (n, height, width))
    return sample_bilinear(images, rows, cols, clamp=True)


def affine_matrix(*, height: int, width: int, angle: float = 0.0, scale: float = 1.0,
                  shift=(0.0, 0.0), flip: bool = False) -> np.ndarray:
    """The 2x3 matrix that maps an output pixel (row, col, 1) to the input pixel it shows.

    The output is the input mirrored left-right (``flip``), rotated counter-clockwise by
    ``angle`` degrees and scaled by ``scale`` about the image centre, then moved by ``shift``
    (rows, cols) pixels.
    """
    centre = np.array([(height - 1) / 2, (width - 1) / 2])
    theta = np.deg2rad(angle)
    # Forward map on (row, col): with rows pointing down this turns the picture
    # counter-clockwise on screen, as np.rot90 does.
    rotate = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    forward = rotate * scale
    if flip:
        forward = forward @ np.array([[1.0, 0.0], [0.0, -1.0]])
    inverse = np.linalg.inv(forward)
    offset = centre - inverse @ (centre + np.asarray(shift, dtype=np.float64))
    return np.hstack([inverse, offset[:, None]])


def warp_affine(images: np.ndarray, matrices: np.ndarray) -> np.ndarray:
    """Warp each image (N, H, W, C) by its 2x3 matrix (N, 2, 3) from :func:`affine_matrix`;
    outside the input reads zeros."""
    n, height, width, _ = images.shape
    grid_r, grid_c = np.meshgrid(np.arange(height, dtype=np.float64),
                                 np.arange(width, dtype=np.float64), indexing="ij")
    m = np.asarray(matrices, dtype=np.float64)
    rows = m[:, 0, 0, None, None] * grid_r + m[:, 0, 1, None, None] * grid_c + m[:, 0, 2, None, None]
    cols = m[:, 1, 0, None, None] * grid_r + m[:, 1, 1, None, None] * grid_c + m[:, 1, 2, None, None]
    return sample_bilinear(images, rows, cols, clamp=False)
