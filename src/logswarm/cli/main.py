"""Entry point of the ``logswarm`` command.

Each subcommand lives in its own module exposing ``add_parser(subparsers)`` and
``run(args) -> int``; this module only assembles them, so adding a job never touches the others.
Subcommands whose optional dependencies are missing are still listed and fail with a clear
message when used, rather than breaking the whole command at import time.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from logswarm import __version__

__all__ = ["build_parser", "main"]

#: Subcommand modules, in the order ``logswarm --help`` lists them.
SUBCOMMANDS: tuple[str, ...] = (
    "logswarm.cli.analyze",
    "logswarm.cli.templates",
    "logswarm.cli.demo",
    "logswarm.cli.agent",
    "logswarm.cli.bench",
    "logswarm.cli.rca",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="logswarm",
        description="Multi-agent analysis of cloud logs: from raw logs to incidents, root causes and safe fixes.",
    )
    parser.add_argument("--version", action="version", version=f"logswarm {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and exc.name.startswith("logswarm"):
                continue  # subcommand not part of this build
            raise
        before = set(subparsers.choices)
        module.add_parser(subparsers)
        for added in set(subparsers.choices) - before:
            subparsers.choices[added].set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    code: int = args.run(args)
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
