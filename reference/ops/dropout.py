"""Inverted dropout: zero activations at random while training, rescale the survivors."""

from __future__ import annotations

import numpy as np

from cnnlab.errors import UsageError

from .._validation import as_array, check_probability, rng_from

__all__ = ["dropout_mask", "dropout_forward"]


def dropout_mask(shape, *, p: float, rng=None) -> np.ndarray:
    """A boolean keep-mask: each entry is True with probability ``1 - p``.

    Parameters
    ----------
    shape : tuple of int
    p : float
        Probability of dropping an entry.
    rng : int, numpy.random.Generator or None
        Seed or generator, for reproducible masks.
    """
    p = check_probability(p, name="p")
    return rng_from(rng).random(shape) >= p


def dropout_forward(x, *, p: float, training: bool, rng=None, mask=None) -> np.ndarray:
    """Drop each activation with probability ``p`` and divide the kept ones by ``1 - p``.

    Scaling at training time keeps every activation's expected value unchanged, so inference
    uses the layer as the identity, with no rescaling (torch's ``Dropout`` and Keras'
    ``Dropout`` both work this way).

    Parameters
    ----------
    x : array-like
    p : float in [0, 1]
        Probability of dropping an activation. ``p = 1`` drops everything.
    training : bool
        False returns ``x`` unchanged.
    rng : int, numpy.random.Generator or None
        Used to draw the mask when ``mask`` is not given.
    mask : array-like of bool, optional
        The keep-mask to apply (True keeps), shaped like ``x``; for replaying the mask another
        library drew.

    Returns
    -------
    ndarray shaped like ``x``
    """
    x = as_array(x, name="x")
    p = check_probability(p, name="p")
    if not training or p == 0.0:
        return x.copy()
    if mask is None:
        mask = dropout_mask(x.shape, p=p, rng=rng)
    else:
        mask = np.asarray(mask)
        if mask.shape != x.shape:
            raise UsageError(f"mask must have the shape of x {x.shape}, got {mask.shape}")
        mask = mask.astype(bool)
    if p == 1.0:
        return np.zeros_like(x)
    return np.where(mask, x / (1.0 - p), 0.0).astype(x.dtype, copy=False)
