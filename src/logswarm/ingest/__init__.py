"""Ingestion: any log file or stream in, normalised :class:`~logswarm.records.LogRecord` out.

This is the seed's Data Ingestion agent and the first stage of every pipeline. It reads JSON
lines, CSV, syslog (RFC 3164 and 5424), CloudTrail (S3 ``{"Records": [...]}`` files, ``.json.gz``,
single events, event-per-line), VPC Flow Logs (default and custom formats), container logs (CRI
and Docker JSON) and plain text (optionally with a Loghub format string), from files,
directories and ``.gz``, detecting each file's format unless told. It streams with bounded memory,
drops exact duplicates in a bounded window, and never crashes or silently drops on bad input:
each malformed line becomes a :class:`~logswarm.records.DeadLetter` in a sink.

Typical use::

    with JsonlDeadLetterWriter("out/dead-letters.jsonl") as dead:
        stats = IngestStats()
        for record in read_logs(["logs/"], dead_letters=dead, stats=stats):
            ...

Only the names in ``__all__`` are public; modules starting with ``_`` are internal.
"""

from __future__ import annotations

from logswarm.ingest.deadletter import DeadLetterSink, InMemoryDeadLetters, JsonlDeadLetterWriter
from logswarm.ingest.detect import FORMATS, detect_format
from logswarm.ingest.errors import IngestError, LogFormatError, SourceError, UnknownFormatError
from logswarm.ingest.options import IngestOptions
from logswarm.ingest.reader import read_lines, read_logs
from logswarm.ingest.stats import IngestStats
from logswarm.ingest.text import LoghubFormat

__all__ = [
    "FORMATS",
    "DeadLetterSink",
    "InMemoryDeadLetters",
    "IngestError",
    "IngestOptions",
    "IngestStats",
    "JsonlDeadLetterWriter",
    "LogFormatError",
    "LoghubFormat",
    "SourceError",
    "UnknownFormatError",
    "detect_format",
    "read_lines",
    "read_logs",
]
