"""scikit-learn's handwritten digits as images: real data that ships inside a package.

``sklearn.datasets.load_digits`` holds 1,797 grey 8x8 images (values 0..16) of the digits 0-9,
from the UCI "Optical Recognition of Handwritten Digits" set. Here they become float images in
[0, 1], optionally upsampled (bilinear) to a size a CNN of the course takes, e.g. 32x32 for LeNet.
"""

from __future__ import annotations

import numpy as np

from cnnlab.errors import UsageError

from .._validation import check_choice, check_int
from .labeled import LAYOUTS, LabeledImages, to_layout
from .warp import resize

__all__ = ["DIGIT_NAMES", "load_digits"]

DIGIT_NAMES = tuple(str(d) for d in range(10))
_MAX_VALUE = 16.0  # the 8x8 images count pixels of a 4x4 block of the 32x32 original: 0..16


def load_digits(*, size: int = 8, classes=None, layout: str = "nhwc") -> LabeledImages:
    """The digits dataset as a batch of images.

    Parameters
    ----------
    size : int, default=8
        Side of the returned images; 8 is the original, larger sizes are bilinear upsamplings.
    classes : sequence of int, optional
        Keep only these digits, relabelled ``0 .. len(classes) - 1`` in the given order
        (``class_names`` says which digit each label is). All ten by default.
    layout : {"nhwc", "nchw"}, default="nhwc"

    Returns
    -------
    LabeledImages
        ``images`` float32 in [0, 1] of shape (N, size, size, 1) (or (N, 1, size, size)), in
        scikit-learn's order.

    Raises
    ------
    ValueError
        For a size below 8, a digit outside 0-9, a repeated digit, or an unknown layout.
    """
    from sklearn.datasets import load_digits as sklearn_digits

    size = check_int(size, name="size", low=8)
    check_choice(layout, name="layout", choices=LAYOUTS)
    wanted = tuple(range(10)) if classes is None else tuple(classes)
    if not wanted or len(set(wanted)) != len(wanted) or not all(
        isinstance(d, (int, np.integer)) and not isinstance(d, bool) and 0 <= d <= 9 for d in wanted
    ):
        raise UsageError(f"classes must be distinct digits from 0 to 9, got {classes!r}")
    bunch = sklearn_digits()
    images = (bunch.images / _MAX_VALUE).astype(np.float32)[..., None]
    keep = np.isin(bunch.target, wanted)
    images, digits = images[keep], bunch.target[keep]
    relabel = np.full(10, -1, dtype=np.int64)
    relabel[list(wanted)] = np.arange(len(wanted))
    labels = relabel[digits]
    if size != 8:
        images = resize(images, size)
    return LabeledImages(to_layout(images, layout), labels, tuple(str(d) for d in wanted))
