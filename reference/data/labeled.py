"""``LabeledImages``: what the dataset loaders return, and the layout switch between frameworks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnlab.errors import UsageError

from .._validation import check_choice

__all__ = ["LAYOUTS", "LabeledImages", "to_layout"]

#: Channels last (Keras, numpy images) or first (torch).
LAYOUTS = ("nhwc", "nchw")


@dataclass(frozen=True)
class LabeledImages:
    """Images with one class label each.

    Attributes
    ----------
    images : ndarray of float32, (N, H, W, C) or (N, C, H, W)
        Values in [0, 1] as loaded.
    labels : ndarray of int64, (N,)
        Indices into ``class_names``.
    class_names : tuple of str
    """

    images: np.ndarray
    labels: np.ndarray
    class_names: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, index) -> LabeledImages:
        """The images (and labels) at ``index`` (indices or a boolean mask)."""
        return LabeledImages(self.images[index], self.labels[index], self.class_names)


def to_layout(images: np.ndarray, layout: str, *, source: str = "nhwc") -> np.ndarray:
    """``images`` (a batch) moved from ``source`` to ``layout``; a contiguous copy if they differ."""
    check_choice(layout, name="layout", choices=LAYOUTS)
    check_choice(source, name="source", choices=LAYOUTS)
    images = np.asarray(images)
    if images.ndim != 4:
        raise UsageError(f"images must be a batch (N, H, W, C) or (N, C, H, W), got shape {images.shape}")
    if layout == source:
        return images
    axes = (0, 3, 1, 2) if layout == "nchw" else (0, 2, 3, 1)
    return np.ascontiguousarray(images.transpose(axes))
