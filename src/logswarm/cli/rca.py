"""``logswarm rca nezha|stratus``: the real-data RCA evaluations from the command line.

Why it exists: the figures in docs/benchmarks/rca.md should be reproducible by a user with their
own copy of the datasets, without the bench scripts: ``rca nezha`` ranks the root-cause pod of
every labelled fault of a Nezha TrainTicket day and prints top-k accuracy; ``rca stratus``
classifies each Stratus detonation's CloudTrail events to an ATT&CK tactic.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from logswarm.datasets import DatasetMissingError, dataset_root

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Register ``rca`` on the ``logswarm`` command."""
    parser = subparsers.add_parser(
        "rca",
        help="root-cause evaluations on real data (nezha: pod ranking; stratus: ATT&CK tactics)",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    parser.add_argument("dataset", choices=("nezha", "stratus"))
    parser.add_argument(
        "--datasets", type=Path, default=None, help="datasets folder (default $LOGSWARM_DATASETS)"
    )
    parser.add_argument("--day", default="2023-01-29", help="Nezha day (default 2023-01-29)")
    parser.add_argument("--per-fault", action="store_true", help="print every fault's ranking")


def _nezha(root: Path, day: str, per_fault: bool) -> int:
    from logswarm.datasets.nezha import load_nezha_day, nezha_dir
    from logswarm.rca.nezha_eval import evaluate_day

    ev = evaluate_day(load_nezha_day(nezha_dir(root), day))
    if per_fault:
        for f in ev.faults:
            top = ", ".join(f.ranking.pods[:3])
            print(
                f"{f.index:>3} {f.fault_type:<15} rank {f.positions['combined']}  {f.pod}  [{top}]"
            )
    print(f"{'method':<32} {'n':>3} {'top-1':>7} {'top-3':>7}")
    for m in ev.methods():
        for ft in [None, *ev.fault_types()]:
            k = ev.topk(m, ft)
            label = m if ft is None else f"  {ft}"
            print(f"{label:<32} {k.n:>3} {k.top1:>7.1%} {k.top3:>7.1%}")
    return 0


def _stratus(root: Path) -> int:
    from logswarm.datasets.stratus import load_stratus, stratus_dir
    from logswarm.rca.tactics import classify_events, confusion

    techniques = load_stratus(stratus_dir(root))
    pairs: list[tuple[list[str], str | None]] = []
    for t in techniques:
        pred, _ = classify_events(t.events)
        pairs.append((t.tactics, pred))
        mark = "ok  " if pred in t.tactics else "MISS"
        print(f"{mark} {t.technique_id:<58} {pred}  (labelled: {', '.join(t.tactics)})")
    right = sum(1 for truth, pred in pairs if pred in truth)
    print(f"right tactic: {right}/{len(pairs)} = {right / max(len(pairs), 1):.1%}")
    for (truth, pred), n in sorted(confusion(pairs).items()):
        print(f"  confused {truth} -> {pred}: {n}")
    return 0


def run(args: argparse.Namespace) -> int:
    """Run the chosen evaluation; returns the process exit code."""
    try:
        root = dataset_root(args.datasets)
        if args.dataset == "nezha":
            return _nezha(root, args.day, args.per_fault)
        return _stratus(root)
    except DatasetMissingError as error:
        print(f"logswarm rca: {error}")
        return 2
