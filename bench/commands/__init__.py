"""One module per ``cnnlab`` subcommand: ``NAME``, ``HELP``, ``configure(parser)``, ``run(args)``."""
