"""Per-channel standardisation with statistics from the training split only.

The mean and standard deviation are properties of the data a model learns from. Computing them
on all the data (training and test together) lets the test set shape the training inputs: change
a test image and every normalised training image changes with it. That is a leak: the test set no
longer measures performance on unseen data. :func:`fit_channel_stats` therefore takes the
training images, and the same statistics are then applied to validation and test images.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnlab.errors import UsageError

from .._validation import check_choice
from .labeled import LAYOUTS

__all__ = ["ChannelStats", "fit_channel_stats", "normalize"]


@dataclass(frozen=True)
class ChannelStats:
    """Mean and standard deviation of each channel (population std, ``ddof=0``)."""

    mean: np.ndarray
    std: np.ndarray
    layout: str = "nhwc"


def _channel_axis(layout: str) -> int:
    return 3 if check_choice(layout, name="layout", choices=LAYOUTS) == "nhwc" else 1


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
    images = np.asarray(train_images, dtype=np.float64)
    if images.ndim != 4 or len(images) == 0:
        raise UsageError(f"train_images must be a non-empty batch of images, got shape {images.shape}")
    axis = _channel_axis(layout)
    others = tuple(a for a in range(4) if a != axis)
    mean, std = images.mean(axis=others), images.std(axis=others)
    return ChannelStats(mean.astype(np.float32), np.maximum(std, epsilon).astype(np.float32), layout)


def normalize(images, stats: ChannelStats) -> np.ndarray:
    """``(images - mean) / std`` per channel, with statistics from :func:`fit_channel_stats`."""
    images = np.asarray(images, dtype=np.float32)
    axis = _channel_axis(stats.layout)
    if images.ndim != 4 or images.shape[axis] != len(stats.mean):
        raise UsageError(f"images of shape {images.shape} do not have the {len(stats.mean)} "
                         f"channels ({stats.layout}) the statistics were fitted on")
    shape = [1, 1, 1, 1]
    shape[axis] = len(stats.mean)
    return (images - stats.mean.reshape(shape)) / stats.std.reshape(shape)
