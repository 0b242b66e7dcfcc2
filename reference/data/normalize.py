"""Per-channel standardisation (z-score) and min-max scaling, with statistics from the training
split only.

The mean and standard deviation are properties of the data a model learns from. Computing them
on all the data (training and test together) lets the test set shape the training inputs: change
a test image and every normalised training image changes with it. That is a leak: the test set no
longer measures performance on unseen data. :func:`fit_channel_stats` therefore takes the
training images, and the same statistics are then applied to validation and test images. The
same holds for min-max scaling, ``(x - min) / (max - min)`` with the training split's minimum and
maximum per channel (:func:`fit_channel_range`); a test image may then fall outside [0, 1], which
is the honest result.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnlab.errors import UsageError

from .._validation import check_choice
from .labeled import LAYOUTS

__all__ = ["ChannelRange", "ChannelStats", "fit_channel_range", "fit_channel_stats", "normalize"]


@dataclass(frozen=True)
class ChannelStats:
    """Mean and standard deviation of each channel (population std, ``ddof=0``)."""

    mean: np.ndarray
    std: np.ndarray
    layout: str = "nhwc"


@dataclass(frozen=True)
class ChannelRange:
    """Minimum and maximum of each channel, for min-max scaling."""

    minimum: np.ndarray
    maximum: np.ndarray
    layout: str = "nhwc"


def _channel_axis(layout: str) -> int:
    return 3 if check_choice(layout, name="layout", choices=LAYOUTS) == "nhwc" else 1


def _training_batch(train_images, layout: str) -> tuple[np.ndarray, tuple[int, ...]]:
    """The images as float64 and the axes that are not the channel's."""
    images = np.asarray(train_images, dtype=np.float64)
    if images.ndim != 4 or len(images) == 0:
        raise UsageError(f"train_images must be a non-empty batch of images, got shape {images.shape}")
    axis = _channel_axis(layout)
    return images, tuple(a for a in range(4) if a != axis)


def fit_channel_stats(train_images, *, layout: str = "nhwc", epsilon: float = 1e-7) -> ChannelStats:
    """Statistics of the training images, one mean and std per channel.

    Parameters
    ----------
    train_images : array (N, H, W, C) or (N, C, H, W)
        The training split only.
    layout : {"nhwc", "nchw"}, default="nhwc"
    epsilon : float, default=1e-7
        Floor of the std, so that a constant channel does not divide by zero.
    """
    images, others = _training_batch(train_images, layout)
    mean, std = images.mean(axis=others), images.std(axis=others)
    return ChannelStats(mean.astype(np.float32), np.maximum(std, epsilon).astype(np.float32), layout)


def fit_channel_range(train_images, *, layout: str = "nhwc") -> ChannelRange:
    """Minimum and maximum of the training images, one of each per channel.

    Parameters
    ----------
    train_images : array (N, H, W, C) or (N, C, H, W)
        The training split only.
    layout : {"nhwc", "nchw"}, default="nhwc"

    Notes
    -----
    Scaling 8-bit images by their own range is ``x / 255`` only when the training split reaches
    both 0 and 255 in every channel.
    """
    images, others = _training_batch(train_images, layout)
    return ChannelRange(images.min(axis=others).astype(np.float32), images.max(axis=others).astype(np.float32), layout)


def normalize(images, stats: ChannelStats | ChannelRange) -> np.ndarray:
    """Apply training-split statistics per channel.

    ``(images - mean) / std`` for :class:`ChannelStats` (:func:`fit_channel_stats`), or
    ``(images - min) / (max - min)`` for :class:`ChannelRange` (:func:`fit_channel_range`; a
    constant channel maps to 0).
    """
    if isinstance(stats, ChannelRange):
        offset, spread = stats.minimum, stats.maximum - stats.minimum
        spread = np.where(spread > 0, spread, 1).astype(np.float32)
    else:
        offset, spread = stats.mean, stats.std
    images = np.asarray(images, dtype=np.float32)
    axis = _channel_axis(stats.layout)
    if images.ndim != 4 or images.shape[axis] != len(offset):
        raise UsageError(f"images of shape {images.shape} do not have the {len(offset)} "
                         f"channels ({stats.layout}) the statistics were fitted on")
    shape = [1, 1, 1, 1]
    shape[axis] = len(offset)
    return (images - offset.reshape(shape)) / spread.reshape(shape)
