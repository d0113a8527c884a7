"""Tunable limits of ingestion, grouped in one typed settings object.

:func:`logswarm.ingest.read_logs` takes an :class:`IngestOptions`; every default below is what
the CLI uses, and each says why it is what it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["IngestOptions"]


@dataclass(frozen=True, slots=True)
class IngestOptions:
    """Limits and hints for one ingestion run."""

    dedupe_window: int = 65536
    """Distinct recent lines remembered per source kind for exact-duplicate removal. 64k hashes
    cost a few MB and cover retries and rotation overlaps, which are close together."""

    max_line_bytes: int = 1 << 20
    """A physical line longer than this (1 MiB) is dead-lettered, not parsed: real log lines are
    far shorter (container runtimes split at 16 KiB), and reading on would let one bad line take
    the memory of the run. It is read through in bounded chunks and skipped."""

    max_raw_chars: int = 65536
    """How much of a bad line a dead letter keeps (the reason says when it was cut)."""

    max_document_bytes: int = 64 << 20
    """Largest single JSON value in a document-style file (a CloudTrail ``{"Records": [...]}``
    file is streamed event by event; this bounds one event, or one non-streamable document)."""

    chunk_chars: int = 1 << 20
    """Characters read at a time from a document-style JSON file."""

    vpc_fields: tuple[str, ...] | None = None
    """Field names of a custom VPC Flow Logs format when the files carry no header line."""

    reference_time: datetime | None = None
    """"Now" for formats without a year (RFC 3164 syslog, some Loghub dates): the year is the one
    that puts the first record at or before this time. ``None``: the file's modification time,
    or the current time for streams. Set it in tests and replays for reproducible years."""
