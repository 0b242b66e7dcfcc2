"""The bundled example class of the ``architectures`` assignment, graded with its roster (teams
and a leaderboard): what ``cnnlab demo`` shows and the tests check."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

DEMO_ASSIGNMENT = "architectures"


@contextmanager
def _environment(**values):
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def grade_examples(out: str | Path, *, archs: str = "lenet5", frameworks: str = "torch,keras",
                   jobs: int = 2, progress: bool = False):
    """Grade the bundled example class of the ``architectures`` assignment with its roster.

    Parameters
    ----------
    out : str or Path
        Folder for the gradebook and the reports (``teams.csv``, ``leaderboard.csv`` ...).
    archs : str, default="lenet5"
        The architectures to grade (``CNNLAB_ARCHITECTURES``), with 10 classes. LeNet-5 keeps
        it short and is the leaderboard's model.
    frameworks : str, default="torch,keras"
        The frameworks to grade (``CNNLAB_FRAMEWORKS``); the grader needs torch in any case.
    jobs : int, default=2
    progress : bool, default=False

    Returns
    -------
    bench.grading.Summary
        With ``teams`` filled from the roster.
    """
    from .assignment import examples
    from .engine import grade

    folder = examples(DEMO_ASSIGNMENT)
    with _environment(CNNLAB_ARCHITECTURES=archs, CNNLAB_NUM_CLASSES="10", CNNLAB_FRAMEWORKS=frameworks):
        return grade(DEMO_ASSIGNMENT, folder, out, jobs=jobs, roster=folder / "roster.csv",
                     progress=progress)


def render_demo(summary) -> str:
    """The class table, the team table and the team leaderboard of a graded class."""
    from cnnlab.reports import leaderboard as board
    from cnnlab.reports import teams as team_report

    return "\n".join([
        f"Class ({len(summary.records)} students):", summary.table(), "",
        f"Teams ({len(summary.teams)}):", team_report.team_table(summary.teams), "",
        "Leaderboard (teams):", board.table(board.ranking(summary.teams, key="team")),
    ])


def demo(out: str | Path, *, archs: str = "lenet5", frameworks: str = "torch,keras", jobs: int = 2,
         progress: bool = False) -> str:
    """What ``cnnlab demo`` shows for teams: grade the example class (see :func:`grade_examples`)
    and return the class table, the team table and the leaderboard, ready to print."""
    return render_demo(grade_examples(out, archs=archs, frameworks=frameworks, jobs=jobs, progress=progress))
