"""The ``cnnlab grade`` job, for completeness of this package: its records and its producer are
the grading engine's (:mod:`cnnlab.bench.grading.records`, :func:`cnnlab.bench.grading.grade`),
re-exported here under the names the other jobs use.

``SubmissionResult`` (one student's result) and ``TestResult`` (one graded test) are frozen,
versioned records like the others (``schema`` ``"cnnlab.grading.<kind>/<SCHEMA_VERSION>"``);
the fields of the grading outputs are described in ``docs/grading.md``.
"""

from __future__ import annotations

from cnnlab.bench.grading import grade as run
from cnnlab.bench.grading.records import SCHEMA_VERSION, SubmissionResult, TestResult

__all__ = ["SCHEMA_VERSION", "SubmissionResult", "TestResult", "run"]
