"""The assignments bundled with cnnlab: data, not code to import.

Each folder holds an ``assignment.toml``, a student-facing README, ``starter/``, ``solution/``,
``tests/`` and ``fixtures/``; ``examples/`` holds sample submissions. They ship as package data of
``cnnlab.assignments`` and are found through :mod:`cnnlab.paths`.
"""
