"""Streaming aggregation of records into per-stream time windows, with bounded evidence.

The analysis job must handle a million lines in bounded memory, yet an incident must carry real
sample lines with file and line number. So records are never kept: each (stream, time bucket)
window keeps counters (templates, severities, entities, sources) and a small reservoir of
evidence records chosen online — the first occurrence of each template that is new to its
stream, then the most severe lines. A "stream" is the service a record belongs to (an app's
pods, a CloudTrail event source, the VPC flow log), so one noisy service cannot drown out
another's signal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from logswarm.features.windows import WindowCounters
from logswarm.incidents import EntityKind
from logswarm.records import LogRecord, Severity

__all__ = ["EntityExtractor", "WindowAccumulator", "WindowStats", "stream_of"]

EntityExtractor = Callable[[LogRecord], list[tuple[EntityKind, str]]]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def stream_of(record: LogRecord) -> str:
    """The stream a record is judged within: its service, else its source kind."""
    return record.service or record.source.value


@dataclass(slots=True, kw_only=True)
class WindowStats(WindowCounters):
    """Everything the detectors and the incident builder need about one window of one stream."""

    stream: str
    regions: set[str] = field(default_factory=set)
    samples: list[LogRecord] = field(default_factory=list)
    first_ts: datetime | None = None
    last_ts: datetime | None = None

    @property
    def key(self) -> str:
        return f"{self.stream}@{self.start.isoformat()}"

    @property
    def warnings(self) -> int:
        return self.severities.get(Severity.WARNING, 0)


class WindowAccumulator:
    """Folds records, one at a time, into :class:`WindowStats` keyed by (stream, bucket).

    Records without a timestamp fall into the bucket of the last timestamped record of the
    same stream (they are usually continuation lines), or the epoch bucket if none was seen.
    """

    def __init__(
        self,
        *,
        window_seconds: float,
        entity_extractor: EntityExtractor,
        max_samples: int = 8,
        max_error_samples: int = 3,
    ) -> None:
        if window_seconds <= 0:
            raise ValueError("window_seconds must be positive")
        self.window_seconds = window_seconds
        self._extract = entity_extractor
        self._max_samples = max_samples
        self._max_error_samples = max_error_samples
        self.windows: dict[tuple[str, int], WindowStats] = {}
        self._seen_templates: dict[str, set[int]] = {}
        self._last_bucket: dict[str, int] = {}

    def add(self, record: LogRecord, *, anomalous: bool = False) -> WindowStats:
        stream = stream_of(record)
        ts = record.timestamp
        if ts is not None:
            bucket = int((ts - _EPOCH).total_seconds() // self.window_seconds)
            self._last_bucket[stream] = bucket
        else:
            bucket = self._last_bucket.get(stream, 0)
        win = self.windows.get((stream, bucket))
        if win is None:
            start = datetime.fromtimestamp(bucket * self.window_seconds, tz=UTC)
            end = datetime.fromtimestamp((bucket + 1) * self.window_seconds, tz=UTC)
            win = WindowStats(stream=stream, start=start, end=end)
            self.windows[(stream, bucket)] = win
        win.n += 1
        tid = record.template_id if record.template_id is not None else -1
        win.templates[tid] += 1
        win.severities[int(record.severity)] += 1
        win.sources[record.source.value] += 1
        if record.region:
            win.regions.add(record.region)
        for entity in self._extract(record):
            win.entities[entity] += 1
        if ts is not None:
            if win.first_ts is None or ts < win.first_ts:
                win.first_ts = ts
            if win.last_ts is None or ts > win.last_ts:
                win.last_ts = ts
        if anomalous:
            win.labelled_anomalous += 1
            if ts is not None and (win.first_labelled_ts is None or ts < win.first_labelled_ts):
                win.first_labelled_ts = ts
        self._keep_sample(win, record, stream, tid)
        return win

    def _keep_sample(self, win: WindowStats, record: LogRecord, stream: str, tid: int) -> None:
        seen = self._seen_templates.setdefault(stream, set())
        novel = tid not in seen
        seen.add(tid)
        if novel and len(win.samples) < self._max_samples:
            win.samples.append(record)
            return
        if record.severity >= Severity.ERROR:
            errors_kept = sum(1 for s in win.samples if s.severity >= Severity.ERROR)
            if (
                errors_kept < self._max_error_samples
                and len(win.samples) < self._max_samples + self._max_error_samples
            ):
                win.samples.append(record)

    def ordered(self) -> list[WindowStats]:
        """Windows sorted by start time, then stream (deterministic)."""
        return sorted(self.windows.values(), key=lambda w: (w.start, w.stream))
