"""Counters a run updates while it reads, for the summary, the report and a progress bar.

The reader writes, the caller reads: the CLI polls ``bytes_read / total_bytes`` to draw its
progress bar, and the report prints the rest. Counters are plain attributes (not a lock-guarded
structure) because ingestion is single-threaded and sits on the hot path.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass, field

__all__ = ["IngestStats"]


@dataclass(slots=True)
class IngestStats:
    """Mutable counters of one ingestion run (one :func:`read_logs` or :func:`read_lines` call).

    ``bytes_read`` and ``total_bytes`` count bytes *on disk* (compressed bytes for ``.gz``), so
    their ratio is a faithful progress fraction; ``bytes_read`` is refreshed every few thousand
    lines and exactly at the end of each file.
    """

    #: Physical lines read from the inputs, blank and bad ones included.
    lines_read: int = 0
    #: Records yielded to the caller.
    records: int = 0
    #: Exact duplicates skipped by the dedupe window.
    duplicates_dropped: int = 0
    #: Lines (or unreadable tails of documents) sent to the dead-letter sink.
    dead_letters: int = 0
    #: Records per source kind (``SourceKind`` value, e.g. ``"cloudtrail"``).
    by_source: collections.Counter[str] = field(default_factory=collections.Counter)
    #: Bytes consumed so far, on disk.
    bytes_read: int = 0
    #: Sum of the sizes of every input file, known before reading starts (0 for streams).
    total_bytes: int = 0
    #: Files opened so far.
    files: int = 0
    #: Format chosen for each file (after auto-detection), keyed by file name.
    formats: dict[str, str] = field(default_factory=dict)
