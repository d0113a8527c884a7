"""HDFS block sessions in the three published preparations the benchmarks use.

- ``hdfs_deeplog_sessions/hdfs_train`` / ``hdfs_test_abnormal``: DeepLog's log-key sessions
  (one session per line, 1-based integer keys).
- ``hdfs_deeplog_sessions/logdeep_robustlog/robust_log_{train,valid}.csv``: logdeep's LogRobust
  split (``Sequence,label``; label 1 = abnormal).
- ``hdfs_100k_sessions/sessions.csv``: block sessions of the first 100k HDFS lines
  (``BlockId,Label,Split,EventSequence`` with ``E<n>`` event ids).

Every loader returns a :class:`SessionSet`: sequences of integer keys with labels, so detectors
see the same shape whichever preparation is used.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["SessionSet", "load_deeplog_keys", "load_hdfs_100k", "load_robustlog_split"]


@dataclass(slots=True)
class SessionSet:
    """Sessions as integer key sequences; ``labels[i]`` is True when session ``i`` is abnormal."""

    sequences: list[list[int]]
    labels: list[bool]
    ids: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.sequences)

    def normal(self) -> SessionSet:
        """Only the normal sessions (what an unsupervised detector may be fitted on)."""
        keep = [i for i, lab in enumerate(self.labels) if not lab]
        return self._subset(keep)

    def _subset(self, keep: list[int]) -> SessionSet:
        ids = [self.ids[i] for i in keep] if self.ids else []
        return SessionSet([self.sequences[i] for i in keep], [self.labels[i] for i in keep], ids)


def _require(path: Path) -> Path:
    if not path.is_file():
        # Imported lazily to keep this module importable on its own.
        from logswarm.datasets import DatasetMissingError

        raise DatasetMissingError(
            f"{path} not found; pass --datasets PATH or set LOGSWARM_DATASETS to the folder "
            "that holds hdfs_deeplog_sessions/ and hdfs_100k_sessions/"
        )
    return path


def load_deeplog_keys(path: Path, *, abnormal: bool) -> SessionSet:
    """One DeepLog key file (every session in it has the same label)."""
    sequences: list[list[int]] = []
    with _require(path).open(encoding="utf-8") as fh:
        for raw in fh:
            keys = [int(tok) for tok in raw.split()]
            if keys:
                sequences.append(keys)
    return SessionSet(
        sequences,
        [abnormal] * len(sequences),
        [f"{path.name}:{i + 1}" for i in range(len(sequences))],
    )


def load_robustlog_split(path: Path) -> SessionSet:
    """logdeep's ``robust_log_*.csv``."""
    sequences: list[list[int]] = []
    labels: list[bool] = []
    with _require(path).open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            sequences.append([int(tok) for tok in row["Sequence"].split()])
            labels.append(row["label"].strip() == "1")
    return SessionSet(sequences, labels, [f"{path.name}:{i + 2}" for i in range(len(sequences))])


def load_hdfs_100k(path: Path, *, split: str) -> SessionSet:
    """``hdfs_100k_sessions/sessions.csv`` rows of one split (``train`` or ``test``)."""
    sequences: list[list[int]] = []
    labels: list[bool] = []
    ids: list[str] = []
    with _require(path).open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["Split"] != split:
                continue
            sequences.append([int(tok.lstrip("E")) for tok in row["EventSequence"].split()])
            labels.append(row["Label"].strip() == "1")
            ids.append(row["BlockId"])
    return SessionSet(sequences, labels, ids)
