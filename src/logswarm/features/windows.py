"""Cutting a record stream into the units detectors judge: sessions and time windows.

Two ways, because logs come two ways. Where every record carries an id that ties it to one
unit of work (an HDFS block, a request, a trace, a pod), the natural unit is the *session*: all
records of one id, in order (:func:`session_windows`, :func:`session_sequences`). Multi-source
cloud logs rarely share such an id, so the fallback is *sliding time windows*
(:class:`SlidingWindower`, :func:`sliding_windows`).

Memory stays bounded on a million lines: a time window keeps counters and a handful of sample
records, never all its records; :func:`session_sequences` keeps only template ids.

Out-of-order policy (records from several files interleave imperfectly): windows are aligned
on multiples of ``step`` since the Unix epoch; a window is closed and emitted once the
*watermark* — the latest timestamp seen minus ``lateness`` — has passed its end. A record
still lands in every window of its time that is open; a record whose windows have all been
emitted already is *late*: it is counted (``late_records``), not windowed, never silently lost.
Records without a timestamp are counted in ``untimed_records`` and not windowed (the caller
may window them by line count instead).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from logswarm.features.entities import extract_entities
from logswarm.incidents import EntityKind
from logswarm.records import LogRecord, Severity, SourceKind

__all__ = [
    "KeyFunction",
    "SlidingWindower",
    "TimeWindowCounts",
    "WindowCounters",
    "by_field",
    "by_pod",
    "hdfs_block_id",
    "numeric_increments",
    "session_sequences",
    "session_windows",
    "sliding_windows",
]

#: Maps a record to its session id(s); ``None`` when the record belongs to no session. A record
#: naming several ids (an HDFS line about two blocks) may return a tuple and joins each.
KeyFunction = Callable[[LogRecord], str | tuple[str, ...] | None]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_BLOCK = re.compile(r"blk_-?\d+")
_MISSING = object()


# --- session keys ---------------------------------------------------------------------------


def by_field(name: str) -> KeyFunction:
    """Key on ``record.fields[name]`` (dotted names reach into nested objects: ``"a.b"``)."""
    path = name.split(".")

    def key(record: LogRecord) -> str | None:
        value: Any = record.fields.get(name, _MISSING)
        if value is _MISSING and len(path) > 1:
            value = record.fields
            for part in path:
                value = value.get(part, _MISSING) if isinstance(value, Mapping) else _MISSING
                if value is _MISSING:
                    break
        if value is _MISSING or value is None or value == "":
            return None
        return str(value)

    key.__name__ = f"by_field({name!r})"
    return key


def hdfs_block_id(record: LogRecord) -> str | tuple[str, ...] | None:
    """Every distinct HDFS block id (``blk_-?\\d+``) in the message, in order of appearance.

    A line may name several blocks (a replication between two); as loglizer does, it then
    belongs to each block's session.
    """
    msg = record.message
    if "blk_" not in msg:
        return None
    ids = tuple(dict.fromkeys(_BLOCK.findall(msg)))
    if not ids:
        return None
    return ids[0] if len(ids) == 1 else ids


_POD_FIELDS = ("pod", "pod_name", "k8s.pod.name")


def by_pod(record: LogRecord) -> str | None:
    """The Kubernetes pod of a container log: ``namespace/pod`` when the namespace is known."""
    fields = record.fields
    pod: Any = None
    ns: Any = fields.get("namespace") or fields.get("namespace_name")
    for name in _POD_FIELDS:
        pod = fields.get(name)
        if pod:
            break
    if not pod:
        meta = fields.get("kubernetes")
        if isinstance(meta, Mapping):
            pod = meta.get("pod_name") or meta.get("pod")
            ns = ns or meta.get("namespace_name") or meta.get("namespace")
    if not pod:
        return None
    return f"{ns}/{pod}" if ns else str(pod)


def _resolve_key(key: KeyFunction | str) -> KeyFunction:
    return by_field(key) if isinstance(key, str) else key


def _keys_of(key: KeyFunction, record: LogRecord) -> tuple[str, ...]:
    k = key(record)
    if k is None:
        return ()
    return (k,) if isinstance(k, str) else k


# --- sessions -------------------------------------------------------------------------------


def session_windows(
    records: Iterable[LogRecord], *, key: KeyFunction | str
) -> dict[str, list[LogRecord]]:
    """Group records by session id, keeping input order within each session.

    Keeps every record: use it when the records are needed (evidence, small inputs). For
    detection on large inputs, :func:`session_sequences` keeps only template ids.
    ``key`` is a key function or a field name (shorthand for :func:`by_field`).
    """
    fn = _resolve_key(key)
    out: dict[str, list[LogRecord]] = {}
    for record in records:
        for k in _keys_of(fn, record):
            out.setdefault(k, []).append(record)
    return out


def session_sequences(
    records: Iterable[LogRecord], *, key: KeyFunction | str, unparsed: int = -1
) -> dict[str, list[int]]:
    """Template-id sequence per session, in input order; records not yet parsed count as ``unparsed``."""
    fn = _resolve_key(key)
    out: dict[str, list[int]] = {}
    for record in records:
        tid = record.template_id if record.template_id is not None else unparsed
        for k in _keys_of(fn, record):
            out.setdefault(k, []).append(tid)
    return out


# --- time windows ---------------------------------------------------------------------------


def numeric_increments(record: LogRecord) -> Iterator[tuple[str, float]]:
    """Numeric signals one record adds to its window, by name.

    - ``flow_bytes`` / ``flow_packets``: VPC Flow Logs ``bytes`` / ``packets``;
    - ``flow_reject``: flow records whose ``action`` is ``REJECT``;
    - ``cloudtrail_error``: CloudTrail events carrying an ``errorCode`` (AccessDenied...);
    - ``cloudtrail_console_login_failure``: failed ``ConsoleLogin``.
    """
    fields = record.fields
    if record.source is SourceKind.VPC_FLOW or "srcaddr" in fields:
        for name, out in (("bytes", "flow_bytes"), ("packets", "flow_packets")):
            v = fields.get(name)
            if v is not None and v != "-":
                number = _to_float(v)
                if number is not None:
                    yield out, number
        if fields.get("action") == "REJECT":
            yield "flow_reject", 1.0
    if record.source is SourceKind.CLOUDTRAIL or "eventName" in fields:
        if fields.get("errorCode"):
            yield "cloudtrail_error", 1.0
        if fields.get("eventName") == "ConsoleLogin":
            resp = fields.get("responseElements")
            if isinstance(resp, Mapping) and resp.get("ConsoleLogin") == "Failure":
                yield "cloudtrail_console_login_failure", 1.0


@dataclass(slots=True)
class WindowCounters:
    """What every window counts: the shape :class:`logswarm.features.WindowFeatures` reads.

    Shared by the sliding windows here and the pipeline's per-stream windows
    (:class:`logswarm.pipeline.windows.WindowStats`), so both feed the same feature code.
    """

    start: datetime
    end: datetime
    n: int = 0
    templates: Counter[int] = field(default_factory=Counter)
    severities: Counter[int] = field(default_factory=Counter)
    entities: Counter[tuple[EntityKind, str]] = field(default_factory=Counter)
    sources: Counter[str] = field(default_factory=Counter)
    #: Records with a ground-truth anomaly label, when labels were supplied.
    labelled_anomalous: int = 0
    first_labelled_ts: datetime | None = None

    @property
    def errors(self) -> int:
        return sum(c for sev, c in self.severities.items() if sev >= Severity.ERROR)


@dataclass(slots=True)
class TimeWindowCounts(WindowCounters):
    """One time window ``[start, end)``: counters and a few sample records, never all records."""

    #: Distinct entities not kept because ``max_entities`` was reached (still counted here).
    entity_overflow: int = 0
    numeric: dict[str, float] = field(default_factory=dict)
    #: ``(index in the input stream, record)``: the first records, then the first errors.
    samples: list[tuple[int, LogRecord]] = field(default_factory=list)
    first_index: int | None = None
    last_index: int | None = None

    @property
    def key(self) -> str:
        return self.start.isoformat()


class SlidingWindower:
    """Streaming sliding windows with a watermark; see the module docstring for the policy.

    Feed records with :meth:`add` (which returns the windows it closed) and call
    :meth:`flush` at the end. Any positive ``size`` and ``step`` work; ``size == step`` gives
    tumbling windows, ``size > step`` overlapping ones (a record then counts in each).
    """

    def __init__(
        self,
        *,
        size: timedelta,
        step: timedelta,
        lateness: timedelta = timedelta(seconds=30),
        max_samples: int = 5,
        max_entities: int = 256,
        entities: bool = True,
        emit_empty: bool = True,
    ) -> None:
        if size <= timedelta(0) or step <= timedelta(0):
            raise ValueError("size and step must be positive")
        if lateness < timedelta(0):
            raise ValueError("lateness must not be negative")
        self.size = size
        self.step = step
        self.lateness = lateness
        self.max_samples = max_samples
        self.max_entities = max_entities
        self.entities = entities
        self.emit_empty = emit_empty
        self._size_us = _us(size)
        self._step_us = _us(step)
        self._lateness_us = _us(lateness)
        self._open: dict[int, TimeWindowCounts] = {}
        self._next_emit: int | None = None  # smallest window index not yet emitted
        self._max_us: int | None = None
        #: Records whose every window had already been emitted when they arrived.
        self.late_records = 0
        #: Records without a timestamp.
        self.untimed_records = 0
        self._index = 0

    def add(self, record: LogRecord, index: int | None = None) -> list[TimeWindowCounts]:
        """Count ``record`` into its open windows; return the windows this closed, in order."""
        idx = self._index if index is None else index
        self._index = idx + 1
        if record.timestamp is None:
            self.untimed_records += 1
            return []
        t = _us_since_epoch(record.timestamp)
        k_hi = t // self._step_us
        k_lo = (t - self._size_us) // self._step_us + 1
        if self._next_emit is None:
            self._next_emit = k_lo
        placed = False
        for k in range(max(k_lo, self._next_emit), k_hi + 1):
            w = self._open.get(k)
            if w is None:
                w = self._open[k] = self._new_window(k)
            self._count(w, record, idx)
            placed = True
        if not placed:
            self.late_records += 1
        if self._max_us is None or t > self._max_us:
            self._max_us = t
        return self._emit_until(self._max_us - self._lateness_us)

    def flush(self) -> list[TimeWindowCounts]:
        """Close and return every window still open (end of input)."""
        if self._max_us is None:
            return []
        return self._emit_until(None)

    # --- internals ----------------------------------------------------------------------------

    def _new_window(self, k: int) -> TimeWindowCounts:
        start = _EPOCH + timedelta(microseconds=k * self._step_us)
        return TimeWindowCounts(start=start, end=start + self.size)

    def _emit_until(self, watermark_us: int | None) -> list[TimeWindowCounts]:
        out: list[TimeWindowCounts] = []
        assert self._next_emit is not None
        last_k = max(self._open) if self._open else self._next_emit - 1
        k = self._next_emit
        while k <= last_k:
            if watermark_us is not None and k * self._step_us + self._size_us > watermark_us:
                break
            w = self._open.pop(k, None)
            if w is not None:
                out.append(w)
            elif self.emit_empty:
                out.append(self._new_window(k))
            k += 1
        self._next_emit = k
        return out

    def _count(self, w: TimeWindowCounts, record: LogRecord, idx: int) -> None:
        w.n += 1
        if record.template_id is not None:
            w.templates[record.template_id] += 1
        sev = int(record.severity)
        w.severities[sev] += 1
        w.sources[record.source.value] += 1
        if w.first_index is None:
            w.first_index = idx
        w.last_index = idx
        if record.label:
            w.labelled_anomalous += 1
            ts = record.timestamp
            if ts is not None and (w.first_labelled_ts is None or ts < w.first_labelled_ts):
                w.first_labelled_ts = ts
        if len(w.samples) < self.max_samples or (
            sev >= Severity.ERROR and len(w.samples) < 2 * self.max_samples
        ):
            w.samples.append((idx, record))
        for name, value in numeric_increments(record):
            w.numeric[name] = w.numeric.get(name, 0.0) + value
        if self.entities:
            for ent in extract_entities(record):
                if ent in w.entities or len(w.entities) < self.max_entities:
                    w.entities[ent] += 1
                else:
                    w.entity_overflow += 1


def sliding_windows(
    records: Iterable[LogRecord],
    *,
    size: timedelta,
    step: timedelta,
    lateness: timedelta = timedelta(seconds=30),
    max_samples: int = 5,
    entities: bool = True,
) -> Iterator[TimeWindowCounts]:
    """Yield closed windows of ``records`` in time order (see :class:`SlidingWindower`)."""
    windower = SlidingWindower(
        size=size, step=step, lateness=lateness, max_samples=max_samples, entities=entities
    )
    for i, record in enumerate(records):
        yield from windower.add(record, i)
    yield from windower.flush()


def _to_float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _us(d: timedelta) -> int:
    return (d.days * 86_400 + d.seconds) * 1_000_000 + d.microseconds


def _us_since_epoch(ts: datetime) -> int:
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)  # the record contract says UTC; be lenient with naive times
    return _us(ts - _EPOCH)
