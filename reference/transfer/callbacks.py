"""Learning-rate reduction on a plateau of the validation loss, framework-free.

The rule is Keras' ``keras.callbacks.ReduceLROnPlateau`` in ``mode="min"`` without cooldown: an
epoch improves when its loss is below the best so far minus ``min_delta``; after ``patience``
epochs without an improvement the rate is multiplied by ``factor`` (not below ``min_lr``) and the
count starts again. :func:`cnnlab.reference.transfer.fit` applies it to torch's and Keras'
optimizers alike; early stopping and the best-weights checkpoint are in the same loop.
"""

from __future__ import annotations

import math
import numbers

from cnnlab.errors import UsageError

__all__ = ["ReduceLROnPlateau"]


class ReduceLROnPlateau:
    """Multiply the learning rate by ``factor`` after ``patience`` epochs without improvement.

    Parameters
    ----------
    factor : float, default=0.1
        In (0, 1).
    patience : int, default=10
        Epochs without improvement before a reduction (Keras' default).
    min_delta : float, default=1e-4
        An epoch improves when its loss is below ``best - min_delta``.
    min_lr : float, default=0.0
        The rate never goes below this.

    Attributes
    ----------
    rates : list of float
        The rate in force after each :meth:`step`.
    """

    def __init__(self, *, factor: float = 0.1, patience: int = 10, min_delta: float = 1e-4,
                 min_lr: float = 0.0):
        if isinstance(factor, bool) or not isinstance(factor, numbers.Real) or not 0 < factor < 1:
            raise UsageError(f"factor must be a number in (0, 1), got {factor!r}")
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 0:
            raise UsageError(f"patience must be an int >= 0, got {patience!r}")
        for name, value in (("min_delta", min_delta), ("min_lr", min_lr)):
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or value < 0:
                raise UsageError(f"{name} must be a number >= 0, got {value!r}")
        self.factor, self.patience = float(factor), patience
        self.min_delta, self.min_lr = float(min_delta), float(min_lr)
        self.best, self.wait, self.rates = math.inf, 0, []

    def step(self, loss: float, lr: float) -> float:
        """The rate to use from the next epoch on, given this epoch's ``loss`` and rate ``lr``."""
        if loss < self.best - self.min_delta:
            self.best, self.wait = loss, 0
        else:
            self.wait += 1
            if self.wait >= self.patience and lr > self.min_lr:
                lr, self.wait = max(lr * self.factor, self.min_lr), 0
        self.rates.append(float(lr))
        return float(lr)
