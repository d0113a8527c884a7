"""Stratus Red Team CloudTrail detonations, read through LogSwarm's own CloudTrail ingest.

Each ``detonation-logs/<technique>.json`` file is one technique's activity; its ATT&CK tactic(s)
come from ``events_labeled.jsonl`` (``mitre_tactics``). Events are parsed by
:mod:`logswarm.ingest` (no second CloudTrail parser): the returned groups hold the ingested
records' ``fields``, i.e. the CloudTrail event as the ingest kept it. The technique id is used only
to group the events and to look the label up.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from logswarm.ingest.deadletter import InMemoryDeadLetters
from logswarm.ingest.reader import read_logs
from logswarm.records import SourceKind

__all__ = ["StratusTechnique", "load_stratus", "stratus_dir"]


@dataclass(slots=True)
class StratusTechnique:
    technique_id: str
    tactics: list[str]
    events: list[dict[str, Any]] = field(default_factory=list)
    dead_letters: int = 0


def stratus_dir(root: Path) -> Path:
    path = root / "aws_cloudtrail_stratus_detonations"
    if not (path / "detonation-logs").is_dir():
        from logswarm.datasets import DatasetMissingError

        raise DatasetMissingError(
            f"{path} not found; pass --datasets PATH or set LOGSWARM_DATASETS to the folder "
            "that holds aws_cloudtrail_stratus_detonations/"
        )
    return path


def load_stratus(folder: Path) -> list[StratusTechnique]:
    """One entry per detonation file, events ingested by ``logswarm.ingest``."""
    tactics: dict[str, list[str]] = {}
    labelled = folder / "events_labeled.jsonl"
    if labelled.is_file():
        with labelled.open(encoding="utf-8") as fh:
            for raw in fh:
                if raw.strip():
                    row = json.loads(raw)
                    tactics[row["stratus_technique_id"]] = [
                        t.strip() for t in str(row.get("mitre_tactics", "")).split(",") if t.strip()
                    ]
    out: list[StratusTechnique] = []
    for path in sorted((folder / "detonation-logs").glob("*.json")):
        tid = path.name[: -len(".json")]
        sink = InMemoryDeadLetters()
        records = [
            r
            for r in read_logs([path], dead_letters=sink, dedupe=False)
            if r.source is SourceKind.CLOUDTRAIL
        ]
        out.append(
            StratusTechnique(
                tid,
                tactics.get(tid, []),
                [dict(r.fields) for r in records],
                sink.count,
            )
        )
    return out
