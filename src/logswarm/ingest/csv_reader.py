"""CSV logs, driven by their header row.

Exports from log tools, spreadsheets and Loghub's ``*_structured.csv`` files all put the field
names in the first row. Columns are matched to record fields case-insensitively with the same
spellings as JSON (``timestamp``, ``level``, ``message``/``content``...); a ``Date`` and a
``Time`` column are joined into one timestamp when there is no single time column, and a
``label``/``Label`` column sets the ground-truth label. ``fields`` keeps every column, keyed by
the header exactly as written, values as strings.

A row whose column count differs from the header's is a dead letter; quoted fields may span
lines, and a record's ``line`` is the line its row starts on.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Final

from logswarm.ingest._context import ReadContext
from logswarm.ingest.jsonl import fields_record
from logswarm.ingest.sources import Source
from logswarm.ingest.timeparse import LooseTimeParser, to_utc
from logswarm.records import LogRecord, SourceKind

__all__ = ["read_csv"]

#: Columns joined, in this order, into a timestamp when there is no single time column.
_DATE_PARTS: Final = ("year", "month", "date", "day", "time")
_WHOLE_TIME: Final = ("timestamp", "@timestamp", "ts", "eventtime", "datetime")


class _LineFeed:
    """Feeds the csv module one physical line at a time, remembering line numbers."""

    def __init__(self, lines: Iterator[tuple[int, str]]) -> None:
        self._lines = lines
        self.current = 0
        self.row_start = 0
        self._fresh = True

    def __iter__(self) -> _LineFeed:
        return self

    def __next__(self) -> str:
        lineno, text = next(self._lines)
        self.current = lineno
        if self._fresh:
            self.row_start = lineno
            self._fresh = False
        return text + "\n"  # the csv module needs it to keep newlines inside quoted fields

    def row_done(self) -> None:
        self._fresh = True


def read_csv(source: Source, ctx: ReadContext) -> Iterator[LogRecord]:
    """Records from a CSV file whose first row names the columns."""
    window = ctx.window(SourceKind.CSV)
    stats = ctx.stats
    feed = _LineFeed(source.lines(ctx))
    reader = csv.reader(feed, strict=True)
    header: list[str] | None = None
    loose = LooseTimeParser(reference=ctx.reference_time)
    join: list[int] = []
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            ctx.dead("", f"malformed CSV: {e}", feed.row_start)
            feed.row_done()
            continue
        start = feed.row_start
        feed.row_done()
        if header is None:
            header = [h.strip().lstrip("\ufeff") for h in row]
            join = _date_columns(header)
            continue
        raw = ",".join(row)
        if window is not None and window.seen(raw):
            stats.duplicates_dropped += 1
            continue
        if len(row) != len(header):
            ctx.dead(raw, f"CSV row has {len(row)} columns, the header has {len(header)}", start)
            continue
        obj: dict[str, object] = dict(zip(header, row, strict=True))
        record = fields_record(obj, raw, source=SourceKind.CSV, origin=ctx.origin, line=start)
        if join:
            ts = loose.parse(" ".join(row[i] for i in join))
            if ts is not None:
                record.timestamp = to_utc(ts)
        yield record


def _date_columns(header: list[str]) -> list[int]:
    """Columns to join into a timestamp: only when time is split (``Date`` + ``Time``) and no
    column holds a whole timestamp."""
    lower = [h.lower() for h in header]
    if any(k in lower for k in _WHOLE_TIME):
        return []
    found = [lower.index(p) for p in _DATE_PARTS if p in lower]
    return found if len(found) >= 2 else []
