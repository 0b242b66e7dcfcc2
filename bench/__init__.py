"""cnnlab's workbench: the ``cnnlab`` command, the grading engine, the pytest plugin, the benchmark."""
