"""cnnlab's grading engine: assignments, submissions, the sandboxed worker, the gradebook.

>>> from cnnlab.bench.grading import examples, grade
>>> summary = grade("metrics", examples("metrics"), "out/grades", jobs=2)  # doctest: +SKIP
>>> print(summary.table())  # doctest: +SKIP

Importing this package imports only the standard library.
"""

from __future__ import annotations

from .assignment import Assignment, Limits, available, examples
from .assignment import load as load_assignment
from .client import StudentError
from .engine import Summary, grade
from .gradebook import Gradebook
from .roster import read_roster
from .sandbox import ISOLATIONS, bwrap_problem

__all__ = [
    "ISOLATIONS",
    "Assignment",
    "Gradebook",
    "Limits",
    "StudentError",
    "Summary",
    "available",
    "bwrap_problem",
    "examples",
    "grade",
    "load_assignment",
    "read_roster",
]
