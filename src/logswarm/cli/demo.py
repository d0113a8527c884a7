"""``logswarm demo``: write a seeded multi-source log bundle with ground truth to a folder.

The same generator as ``logswarm analyze``'s built-in demo, exposed so people can look at the
logs, feed them to other tools, pick scenarios, or make a large input for benchmarks.
"""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "demo",
        help="generate seeded multi-source logs with injected incidents and ground truth",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--out",
        type=Path,
        default=Path("logswarm-demo"),
        help="bundle folder (default: logswarm-demo)",
    )
    p.add_argument("--seed", type=int, default=7)
    group = p.add_mutually_exclusive_group()
    group.add_argument(
        "--scenarios", help="comma-separated scenario names (see --list); default: the demo's six"
    )
    group.add_argument(
        "--lines",
        type=int,
        help="write exactly this many lines (mostly background, four incidents)",
    )
    p.add_argument("--hours", type=float, default=2.0, help="duration with --scenarios (default 2)")
    p.add_argument("--list", action="store_true", help="list the scenario catalogue and exit")


def run(args: argparse.Namespace) -> int:
    from logswarm.scenarios import CATALOGUE, generate, generate_demo, generate_lines

    if args.list:
        for name in sorted(CATALOGUE):
            print(name)
        return 0
    if args.lines is not None:
        if args.lines <= 0:
            print("logswarm demo: --lines must be positive", file=sys.stderr)
            return 2
        bundle = generate_lines(args.lines, out_dir=args.out, seed=args.seed)
    elif args.scenarios:
        names = [n.strip() for n in args.scenarios.split(",") if n.strip()]
        unknown = sorted(set(names) - set(CATALOGUE))
        if unknown:
            print(
                f"logswarm demo: unknown scenario(s): {', '.join(unknown)} (see logswarm demo --list)",
                file=sys.stderr,
            )
            return 2
        bundle = generate(
            names, out_dir=args.out, seed=args.seed, duration=timedelta(hours=args.hours)
        )
    else:
        bundle = generate_demo(args.out, seed=args.seed)
    print(
        f"{bundle.total_lines:,} lines in {len(bundle.files)} files under {bundle.logs_dir}; "
        f"{len(bundle.ground_truth)} injected incident(s) in {bundle.ground_truth_path}, "
        f"{bundle.labelled_lines:,} labelled lines in {bundle.labels_path}"
    )
    return 0
