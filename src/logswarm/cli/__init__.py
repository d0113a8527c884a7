"""The ``logswarm`` command: one subcommand per job, each in its own module with ``add_parser``/``run``."""
