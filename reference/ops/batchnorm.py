"""Batch normalisation: batch statistics while training, running statistics at inference."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from cnnlab.errors import UsageError

from .._validation import as_array, check_probability

__all__ = ["BatchNormOutput", "batchnorm_forward"]


class BatchNormOutput(NamedTuple):
    """The normalised output and the running statistics to use from now on."""

    out: np.ndarray
    running_mean: np.ndarray
    running_var: np.ndarray


def batchnorm_forward(x, *, gamma, beta, running_mean, running_var, training: bool,
                      momentum: float = 0.1, eps: float = 1e-5, axis: int = 1,
                      unbiased_running_var: bool = True) -> BatchNormOutput:
    """Normalise each channel, then scale by ``gamma`` and shift by ``beta``.

    Training normalises with the batch's own mean and (biased) variance and moves the running
    statistics towards them: ``running = (1 - momentum) * running + momentum * batch``. Inference
    normalises with the running statistics and leaves them as they are, so an example's output
    does not depend on the rest of its batch.

    Parameters
    ----------
    x : array-like of shape (N, C) or (N, C, H, W)
        Statistics are taken over every axis except ``axis``.
    gamma, beta : array-like of shape (C,)
        Learned scale and shift.
    running_mean, running_var : array-like of shape (C,)
        The statistics accumulated so far (not modified; the updated ones are returned).
    training : bool
        Batch statistics (True) or running statistics (False).
    momentum : float, default=0.1
        Weight of the new batch in the running average, torch's convention. Keras'
        ``BatchNormalization(momentum=m)`` is ``momentum = 1 - m`` here.
    eps : float, default=1e-5
        Added to the variance before the square root (torch 1e-5, Keras 1e-3 by default).
    axis : int, default=1
        The channel axis: 1 for channels-first arrays, -1 for Keras' channels-last.
    unbiased_running_var : bool, default=True
        torch moves the running variance towards the *unbiased* batch variance (divided by
        ``n - 1``) while normalising with the biased one; Keras uses the biased variance for
        both (False).

    Returns
    -------
    BatchNormOutput
        ``out`` shaped like ``x``, and the running mean and variance after this call.
    """
    x = as_array(x, name="x", ndim=(2, 3, 4))
    if not -x.ndim <= axis < x.ndim:
        raise UsageError(f"axis must be a valid axis of x (ndim {x.ndim}), got {axis}")
    axis %= x.ndim
    channels = x.shape[axis]
    params = {}
    for name, value in (("gamma", gamma), ("beta", beta), ("running_mean", running_mean),
                        ("running_var", running_var)):
        params[name] = as_array(value, name=name, ndim=1)
        if params[name].shape != (channels,):
            raise UsageError(f"{name} must have shape ({channels},) to match x's axis {axis}, "
                             f"got {params[name].shape}")
    momentum = check_probability(momentum, name="momentum")
    if not eps > 0:
        raise UsageError(f"eps must be positive, got {eps!r}")
    reduce = tuple(a for a in range(x.ndim) if a != axis)
    shape = [1] * x.ndim
    shape[axis] = channels  # broadcast per-channel vectors against x

    mean, var = params["running_mean"], params["running_var"]
    new_mean, new_var = mean, var
    if training:
        count = x.size // channels
        if count < 2 and unbiased_running_var:
            raise UsageError("training needs more than one value per channel to estimate a variance")
        batch_mean = x.mean(axis=reduce)
        batch_var = x.var(axis=reduce)  # biased: divided by the count
        observed = batch_var * count / (count - 1) if unbiased_running_var else batch_var
        new_mean = (1 - momentum) * mean + momentum * batch_mean
        new_var = (1 - momentum) * var + momentum * observed
        mean, var = batch_mean, batch_var
    normalised = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps)
    out = params["gamma"].reshape(shape) * normalised + params["beta"].reshape(shape)
    return BatchNormOutput(out, np.array(new_mean), np.array(new_var))
