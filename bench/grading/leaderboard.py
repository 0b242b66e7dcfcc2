"""Leaderboard metrics: declared in ``assignment.toml``, recorded by tests, ranked by reports.

``assignment.toml``::

    [leaderboard]                 # metric name = "desc" (higher ranks first) or "asc"
    "digits accuracy" = "desc"
    "images/s" = "desc"

A test records a value with the ``leaderboard`` fixture of the pytest plugin::

    def test_leaderboard(student, leaderboard):
        ...
        leaderboard.record("digits accuracy", accuracy)

The values travel with the submission's record (``record["leaderboard"]``: a list of
``{"name", "value", "order"}``, Gradescope's format), and :mod:`cnnlab.reports.leaderboard` ranks
students or teams by the metrics in the order they are declared. Values should come from what
the grader measured itself, never from a number the student's code returned.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from cnnlab.errors import UsageError

ORDERS = ("desc", "asc")


@dataclass(frozen=True)
class Metric:
    """A declared leaderboard metric: its name and whether higher (``"desc"``) ranks first."""

    name: str
    order: str = "desc"


def parse(table: dict, *, where: str) -> tuple[Metric, ...]:
    """The metrics of a ``[leaderboard]`` table, in declaration order.

    Raises
    ------
    ValueError
        If a name is empty or an order is not ``"desc"`` or ``"asc"``.
    """
    metrics = []
    for name, order in table.items():
        if not isinstance(name, str) or not name.strip() or len(name) > 100:
            raise UsageError(f"{where}: metric names must be non-empty strings, got {name!r}")
        if order not in ORDERS:
            raise UsageError(f"{where}: the order of {name!r} must be one of {', '.join(ORDERS)}, "
                             f"got {order!r}")
        metrics.append(Metric(name, order))
    return tuple(metrics)


class Recorder:
    """What the ``leaderboard`` fixture gives a test: ``record(name, value)``.

    Parameters
    ----------
    metrics : tuple of Metric
        The assignment's declared metrics.
    """

    def __init__(self, metrics: tuple[Metric, ...]):
        self.metrics = {m.name: m for m in metrics}
        self.values: dict[str, float] = {}

    def record(self, name: str, value: float) -> None:
        """Record ``value`` for the declared metric ``name`` (the last value recorded wins).

        Raises
        ------
        ValueError
            If ``name`` is not declared in ``assignment.toml`` (the message lists the declared
            ones) or ``value`` is not a finite number.
        """
        if name not in self.metrics:
            declared = ", ".join(self.metrics) or "none"
            raise UsageError(f"leaderboard metric {name!r} is not declared in assignment.toml "
                             f"[leaderboard]; declared: {declared}")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise UsageError(f"leaderboard value of {name!r} must be a finite number, got {value!r}")
        self.values[name] = float(value)

    def entries(self) -> list[dict]:
        """Gradescope's ``leaderboard`` list: declared order, recorded metrics only."""
        return [{"name": m.name, "value": self.values[m.name], "order": m.order}
                for m in self.metrics.values() if m.name in self.values]
