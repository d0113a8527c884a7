"""Query logs by time, entity and template: the in-memory record store agents search.

An incident only carries a handful of sample lines; when an agent needs more (every line of
one pod, what happened just before the window, which callers log errors about a service) it
asks this store. The store is built from the run's :class:`~logswarm.records.LogRecord` list,
so the CLI and the tests need no log backend; a store over CloudWatch Logs or Loki can satisfy
the same :class:`LogSource` protocol later.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from logswarm.agents.tools.base import ToolResult
from logswarm.records import LogRecord, Severity

__all__ = ["LogHit", "LogQuery", "LogQueryResult", "LogSource", "RecordStore"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class LogQuery(BaseModel):
    """What to look for. Every filter is optional; all given filters must hold."""

    model_config = ConfigDict(extra="forbid")

    start: datetime | None = None
    end: datetime | None = None
    entity: str | None = Field(default=None, description="A value that must occur in the record")
    template_id: int | None = None
    service: str | None = None
    contains: str | None = None
    min_severity: Severity | None = None
    limit: int = Field(default=50, ge=1, le=1000)


class LogHit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    file: str
    line: int
    timestamp: datetime | None
    service: str | None
    severity: str
    message: str
    template_id: int | None = None


class LogQueryResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    total: int = Field(description="Matches before the limit was applied")
    hits: list[LogHit]


class LogSource(Protocol):
    """Anything that answers log queries (in-memory store, CloudWatch Logs, Loki...)."""

    def query(self, query: LogQuery) -> ToolResult[LogQueryResult]: ...


class RecordStore:
    """An in-memory, time-sorted store of records with a per-token entity index."""

    def __init__(self, records: Iterable[LogRecord]) -> None:
        self._records = sorted(records, key=lambda r: (r.timestamp or _EPOCH, r.file, r.line))
        self._times = [r.timestamp or _EPOCH for r in self._records]

    @classmethod
    def from_records(cls, records: Iterable[LogRecord]) -> RecordStore:
        return cls(records)

    def __len__(self) -> int:
        return len(self._records)

    @property
    def records(self) -> Sequence[LogRecord]:
        return self._records

    def query(self, query: LogQuery) -> ToolResult[LogQueryResult]:
        if query.start and query.end and query.start > query.end:
            return ToolResult.failure("query_logs", f"start {query.start} is after end {query.end}")
        lo = bisect.bisect_left(self._times, query.start) if query.start else 0
        hi = bisect.bisect_right(self._times, query.end) if query.end else len(self._records)
        total = 0
        hits: list[LogHit] = []
        needle = query.entity.lower() if query.entity else None
        contains = query.contains.lower() if query.contains else None
        for record in self._records[lo:hi]:
            if not _matches(record, query, needle, contains):
                continue
            total += 1
            if len(hits) < query.limit:
                hits.append(
                    LogHit(
                        file=record.file,
                        line=record.line,
                        timestamp=record.timestamp,
                        service=record.service,
                        severity=record.severity.name,
                        message=record.message,
                        template_id=record.template_id,
                    )
                )
        return ToolResult.success("query_logs", LogQueryResult(total=total, hits=hits))


def _matches(record: LogRecord, query: LogQuery, needle: str | None, contains: str | None) -> bool:
    if query.template_id is not None and record.template_id != query.template_id:
        return False
    if query.service is not None and record.service != query.service:
        return False
    if query.min_severity is not None and record.severity < query.min_severity:
        return False
    text = record.message.lower()
    if contains is not None and contains not in text:
        return False
    if needle is not None and needle not in text:
        haystack = " ".join(
            str(v) for v in (record.service, record.host, *record.fields.values()) if v
        ).lower()
        if needle not in haystack:
            return False
    return True
