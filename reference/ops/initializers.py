"""Xavier/Glorot and He (Kaiming) initialisation, uniform and normal.

Both schemes draw weights with variance ``scale / fan``: Glorot (2010) uses ``scale = 1`` over the
average of fan-in and fan-out, so activations and gradients keep their variance through tanh
layers; He (2015) uses ``scale = 2`` over the fan-in, which makes up for ReLU zeroing half the
signal. A uniform draw on ``[-limit, limit]`` has variance ``limit**2 / 3``.
"""

from __future__ import annotations

import math

import numpy as np

from cnnlab.errors import UsageError

from .._validation import check_choice, rng_from

__all__ = ["fans", "glorot_uniform", "glorot_normal", "he_uniform", "he_normal"]

_LAYOUTS = ("torch", "keras")

#: Standard deviation of a standard normal cut to [-2, 2]: Keras divides by it so that its
#: truncated normals still have the intended variance.
TRUNCATED_STD = math.sqrt(
    1 - 2 * 2 * math.exp(-2) / math.sqrt(2 * math.pi) / math.erf(math.sqrt(2))
)


def fans(shape, *, layout: str = "torch") -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight tensor.

    Parameters
    ----------
    shape : tuple of int
        At least two dimensions.
    layout : {"torch", "keras"}, default="torch"
        torch stores ``(out, in, *kernel)`` (dense: ``(out, in)``), Keras ``(*kernel, in, out)``
        (dense: ``(in, out)``).

    Returns
    -------
    (int, int)
        Inputs and outputs of one unit, counting the kernel's receptive field.
    """
    check_choice(layout, name="layout", choices=_LAYOUTS)
    shape = tuple(int(d) for d in shape)
    if len(shape) < 2:
        raise UsageError(f"shape needs at least 2 dimensions to have fans, got {shape}")
    if layout == "torch":
        field = math.prod(shape[2:])
        return shape[1] * field, shape[0] * field
    field = math.prod(shape[:-2])
    return shape[-2] * field, shape[-1] * field


def _draw(shape, *, std: float, distribution: str, truncated: bool, rng) -> np.ndarray:
    rng = rng_from(rng)
    if distribution == "uniform":
        limit = math.sqrt(3.0) * std
        return rng.uniform(-limit, limit, size=shape)
    if not truncated:
        return rng.normal(0.0, std, size=shape)
    # redraw anything beyond two standard deviations of the underlying normal
    sigma = std / TRUNCATED_STD
    out = rng.normal(0.0, sigma, size=shape)
    outside = np.abs(out) > 2 * sigma
    while outside.any():
        out[outside] = rng.normal(0.0, sigma, size=int(outside.sum()))
        outside = np.abs(out) > 2 * sigma
    return out


def glorot_uniform(shape, *, rng=None, gain: float = 1.0, layout: str = "torch") -> np.ndarray:
    """Glorot/Xavier uniform: ``U(-a, a)`` with ``a = gain * sqrt(6 / (fan_in + fan_out))``.

    Parameters
    ----------
    shape : tuple of int
    rng : int, numpy.random.Generator or None
    gain : float, default=1.0
        torch's ``gain`` argument (``nn.init.calculate_gain``).
    layout : {"torch", "keras"}, default="torch"
        How ``shape`` is ordered; see :func:`fans`.
    """
    fan_in, fan_out = fans(shape, layout=layout)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return _draw(shape, std=std, distribution="uniform", truncated=False, rng=rng)


def glorot_normal(shape, *, rng=None, gain: float = 1.0, layout: str = "torch",
                  truncated: bool = False) -> np.ndarray:
    """Glorot/Xavier normal: standard deviation ``gain * sqrt(2 / (fan_in + fan_out))``.

    ``truncated=True`` draws as Keras' ``GlorotNormal`` does: a normal cut at two standard
    deviations, widened so that the variance is still the intended one. torch's
    ``xavier_normal_`` does not truncate.
    """
    fan_in, fan_out = fans(shape, layout=layout)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return _draw(shape, std=std, distribution="normal", truncated=truncated, rng=rng)


def he_uniform(shape, *, rng=None, layout: str = "torch") -> np.ndarray:
    """He/Kaiming uniform for ReLU layers: ``U(-a, a)`` with ``a = sqrt(6 / fan_in)``."""
    fan_in, _ = fans(shape, layout=layout)
    return _draw(shape, std=math.sqrt(2.0 / fan_in), distribution="uniform", truncated=False,
                 rng=rng)


def he_normal(shape, *, rng=None, layout: str = "torch", truncated: bool = False) -> np.ndarray:
    """He/Kaiming normal for ReLU layers: standard deviation ``sqrt(2 / fan_in)``.

    ``truncated=True`` matches Keras' ``HeNormal``; torch's ``kaiming_normal_`` does not truncate.
    """
    fan_in, _ = fans(shape, layout=layout)
    return _draw(shape, std=math.sqrt(2.0 / fan_in), distribution="normal", truncated=truncated,
                 rng=rng)
