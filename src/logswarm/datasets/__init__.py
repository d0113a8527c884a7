"""Loaders for the public labelled datasets the benchmarks score against.

The datasets live outside the repository (``../shared/datasets`` by default, or wherever
``LOGSWARM_DATASETS`` / ``--datasets`` points): users bring their own copies. Loaders are plain
functions returning plain data; they never download anything.
"""

from __future__ import annotations

import os
from pathlib import Path

from logswarm.datasets.hdfs import (
    SessionSet,
    load_deeplog_keys,
    load_hdfs_100k,
    load_robustlog_split,
)

__all__ = [
    "DatasetMissingError",
    "SessionSet",
    "dataset_root",
    "load_deeplog_keys",
    "load_hdfs_100k",
    "load_robustlog_split",
]


class DatasetMissingError(FileNotFoundError):
    """A dataset file is not where it was looked for; the message says where and how to point elsewhere."""


def dataset_root(explicit: str | Path | None = None) -> Path:
    """Where the datasets are: the explicit path, else ``$LOGSWARM_DATASETS``, else ``../shared/datasets``.

    The default is resolved against the repository checkout (two levels above ``src/``), which
    is where the project's benchmark machines keep them.
    """
    if explicit is not None:
        root = Path(explicit)
    elif env := os.environ.get("LOGSWARM_DATASETS"):
        root = Path(env)
    else:
        root = Path(__file__).resolve().parents[3].parent / "shared" / "datasets"
    if not root.is_dir():
        raise DatasetMissingError(
            f"dataset folder {root} does not exist; pass --datasets PATH or set LOGSWARM_DATASETS"
        )
    return root
