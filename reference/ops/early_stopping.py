"""Early stopping with patience: stop once the monitored value has stopped improving."""

from __future__ import annotations

import math
from typing import NamedTuple

from cnnlab.errors import UsageError

from .._validation import check_choice, check_int

__all__ = ["EarlyStopping", "StopDecision", "early_stopping"]


class EarlyStopping:
    """Track a validation metric epoch by epoch and say when to stop.

    An epoch improves on the best so far if its value beats the best by more than
    ``min_delta``. Training stops after ``patience`` epochs in a row without improvement; the
    weights worth keeping are those of :attr:`best_epoch`.

    Parameters
    ----------
    patience : int
        Epochs without improvement to tolerate.
    min_delta : float, default=0.0
        Smallest change that counts as an improvement.
    mode : {"min", "max"}, default="min"
        "min" for a loss, "max" for an accuracy.

    Examples
    --------
    >>> stopper = EarlyStopping(patience=2)
    >>> [stopper.step(v) for v in [0.9, 0.7, 0.8, 0.75]]
    [False, False, False, True]
    >>> stopper.best_epoch, stopper.best
    (1, 0.7)
    """

    def __init__(self, *, patience: int, min_delta: float = 0.0, mode: str = "min"):
        self.patience = check_int(patience, name="patience")
        if isinstance(min_delta, bool) or not isinstance(min_delta, (int, float)) or min_delta < 0:
            raise UsageError(f"min_delta must be a non-negative number, got {min_delta!r}")
        self.min_delta = float(min_delta)
        self.mode = check_choice(mode, name="mode", choices=("min", "max"))
        self.best = math.inf if mode == "min" else -math.inf
        self.best_epoch: int | None = None
        self.epoch = -1
        self.wait = 0

    def improves(self, value: float) -> bool:
        """Whether ``value`` beats the best so far by more than ``min_delta``."""
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def step(self, value: float) -> bool:
        """Record the next epoch's value; True means stop training now."""
        value = float(value)
        self.epoch += 1
        if self.improves(value):
            self.best, self.best_epoch, self.wait = value, self.epoch, 0
            return False
        self.wait += 1
        return self.wait >= self.patience


class StopDecision(NamedTuple):
    """Where :func:`early_stopping` ends a run (epochs counted from 0)."""

    stopped_epoch: int | None
    best_epoch: int | None
    best: float


def early_stopping(history, *, patience: int, min_delta: float = 0.0,
                   mode: str = "min") -> StopDecision:
    """Replay a history of validation values and find where early stopping ends training.

    Parameters
    ----------
    history : sequence of float
        The monitored value after each epoch.
    patience, min_delta, mode
        As in :class:`EarlyStopping`.

    Returns
    -------
    StopDecision
        ``stopped_epoch``: the last epoch trained, or None if the run would go to the end;
        ``best_epoch`` and ``best``: the epoch whose weights to keep and its value.
    """
    stopper = EarlyStopping(patience=patience, min_delta=min_delta, mode=mode)
    for value in history:
        if stopper.step(value):
            return StopDecision(stopper.epoch, stopper.best_epoch, stopper.best)
    return StopDecision(None, stopper.best_epoch, stopper.best)
