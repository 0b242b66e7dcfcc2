"""One module per ``cnnlab`` job: its frozen, versioned record class and the one function that
produces it (``models``, ``compare``, ``evaluate``, ``transfer_demo``, ``bench``).

A command in :mod:`cnnlab.bench.commands` parses its arguments, calls its job once and hands the
records to a renderer in :mod:`cnnlab.reports`. Adding a field to a command's JSON is an edit of
its job module: the field, its line in the class's ``Attributes`` and the value the producer
gives it; the field tables in ``docs/`` are generated from those classes
(``python -m cnnlab.bench.jobs.fields --write``). The ``grade`` job's records and producer are
the grading engine's; :mod:`.grade` re-exports them.
"""
