"""JSON logs: one object per line (the common case), and JSON documents (CloudTrail's S3 files).

Each object becomes a record through the key heuristics of :mod:`logswarm.ingest.normalise`;
``fields`` is the parsed object itself, *original* (nested) key names and structure, not
flattened — flattening costs time on the hot path and loses the difference between
``{"log.level": ...}`` and ``{"log": {"level": ...}}``.

Objects are routed by shape, whatever format name led here: a CloudTrail event (or a labelled
wrapper ``{"label": ..., "event": {...}}``) becomes a CloudTrail record, a ``{"Records": [...]}``
object is unpacked event by event. So ``jsonl`` and ``cloudtrail`` share this reader; they
differ only in what :func:`~logswarm.ingest.detect.detect_format` reports.

Reading mode is chosen from the first bytes: a file that starts with ``[`` or
``{"Records"``, or whose first line is not a complete JSON value (pretty-printed JSON), is read
as a document stream by :mod:`logswarm.ingest._jsondoc`; otherwise line by line, where each bad
line is its own dead letter.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, Final

from logswarm.ingest._context import TRAIL_EVENT_IDS, ReadContext
from logswarm.ingest._jsondoc import iter_documents
from logswarm.ingest.cloudtrail import cloudtrail_record, is_cloudtrail_event, unwrap_labelled
from logswarm.ingest.kube_events import is_kube_event, kube_event_record
from logswarm.ingest.normalise import (
    ACCOUNT_KEYS,
    HOST_KEYS,
    LABEL_KEYS,
    LEVEL_KEYS,
    MESSAGE_KEYS,
    REGION_KEYS,
    SERVICE_KEYS,
    TIME_KEYS,
    first_value,
    parse_label,
    severity_from_value,
    sniff_severity,
    time_from,
)
from logswarm.ingest.sources import Source
from logswarm.ingest.timeparse import parse_time_value
from logswarm.records import LogRecord, Severity, SourceKind

__all__ = ["fields_record", "read_json"]

_CATEGORIES: Final = (
    TIME_KEYS, LEVEL_KEYS, MESSAGE_KEYS, SERVICE_KEYS, HOST_KEYS, REGION_KEYS, ACCOUNT_KEYS,
    LABEL_KEYS,
)  # fmt: skip
_TIME, _LEVEL, _MESSAGE, _SERVICE, _HOST, _REGION, _ACCOUNT, _LABEL = range(8)
#: key -> (category, priority): one pass over an object's keys finds every known field.
_FLAT: Final = {
    key: (cat, prio)
    for cat, keys in enumerate(_CATEGORIES)
    for prio, key in reversed(list(enumerate(keys)))
}
_DOTTED: Final = tuple(
    (cat, prio, key)
    for cat, keys in enumerate(_CATEGORIES)
    for prio, key in enumerate(keys)
    if "." in key
)
_NESTED_ROOTS: Final = frozenset(key.split(".", 1)[0] for _, _, key in _DOTTED)
_RECORDS_START: Final = re.compile(r'\s*\{\s*"Records"\s*:')
_ARRAY_START: Final = re.compile(r'\[\s*(?:[{\["\]]|$)')


def _pick(obj: dict[str, Any]) -> list[Any]:
    """The best value of each key category (``None`` when absent)."""
    found: list[Any] = [None] * 8
    prio = [99] * 8
    nested = False
    flat = _FLAT
    roots = _NESTED_ROOTS
    for key, value in obj.items():
        hit = flat.get(key)
        if hit is None:
            if key in roots and type(value) is dict:
                nested = True
            continue
        cat, p = hit
        if p >= prio[cat]:
            continue
        kind = type(value)
        if kind is str:
            if not value:
                continue
        elif kind is dict:
            nested = nested or key in roots
            continue
        elif kind is list or value is None:
            continue
        prio[cat] = p
        found[cat] = value
    if nested:
        for cat, p, key in _DOTTED:
            if p < prio[cat]:
                value = first_value(obj, (key,))
                if value is not None and not isinstance(value, dict | list) and value != "":
                    prio[cat] = p
                    found[cat] = value
    return found


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def fields_record(
    obj: dict[str, Any],
    raw: str,
    *,
    source: SourceKind,
    origin: str,
    line: int,
    message: str | None = None,
) -> LogRecord:
    """A record from a dict of fields (a JSON object, a CSV row, a container's JSON payload).

    ``raw`` is the message when the object has no message-like key; ``message`` overrides.
    """
    found = _pick(obj)
    ts = found[_TIME]
    timestamp = parse_time_value(ts) if ts is not None else None
    if timestamp is None and ts is not None:
        timestamp = time_from(obj)
    if message is None:
        message = _text(found[_MESSAGE])
        if message is None:
            message = raw
    level = found[_LEVEL]
    severity = severity_from_value(level) if level is not None else None
    if severity is None:
        severity = sniff_severity(message) or Severity.INFO
    label = found[_LABEL]
    return LogRecord(
        timestamp=timestamp,
        source=source,
        message=message,
        severity=severity,
        service=_text(found[_SERVICE]),
        region=_text(found[_REGION]),
        account=_text(found[_ACCOUNT]),
        host=_text(found[_HOST]),
        fields=obj,
        file=origin,
        line=line,
        label=parse_label(label) if label is not None else None,
    )


def _document_mode(head: str) -> bool:
    stripped = head.lstrip(" \t\r\n\ufeff")
    if _ARRAY_START.match(stripped) or _RECORDS_START.match(stripped):
        return True
    if not stripped.startswith("{"):
        return False
    first = stripped.split("\n", 1)[0]
    try:
        json.loads(first)
    except ValueError:
        return True
    return False


def read_json(source: Source, ctx: ReadContext) -> Iterator[LogRecord]:
    """Records from JSON lines or a JSON document, routed by each object's shape."""
    if _document_mode(source.head_text()):
        yield from _read_documents(source, ctx)
    else:
        yield from _read_lines(source, ctx)


class _Emitter:
    """Turns one decoded JSON value into records (CloudTrail-aware), counting events."""

    def __init__(self, ctx: ReadContext) -> None:
        self.ctx = ctx
        self.index = 0
        self.trail = ctx.window(TRAIL_EVENT_IDS)

    def emit(self, value: Any, raw: str, line: int) -> Iterator[LogRecord]:
        ctx = self.ctx
        if isinstance(value, list):
            if not all(isinstance(item, dict) for item in value):
                ctx.dead(raw, "not a JSON object: an array that holds non-objects", line)
                return
            for item in value:
                yield from self.emit(item, raw, line)
            return
        if not isinstance(value, dict):
            ctx.dead(raw, f"not a JSON object: a JSON {type(value).__name__}", line)
            return
        records = value.get("Records")
        if isinstance(records, list):
            for item in records:
                yield from self.emit(item, raw, line)
            return
        self.index += 1
        wrapper = None
        inner = unwrap_labelled(value)
        if inner is not None:
            wrapper, value = value, inner
        if is_cloudtrail_event(value):
            event_id = value.get("eventID")
            trail = self.trail
            if trail is not None and isinstance(event_id, str) and trail.seen(event_id):
                ctx.stats.duplicates_dropped += 1
                return
            yield cloudtrail_record(
                value, origin=ctx.origin, line=line, index=self.index, wrapper=wrapper
            )
            return
        if is_kube_event(value):
            yield kube_event_record(value, origin=ctx.origin, line=line)
            return
        yield fields_record(value, raw, source=SourceKind.JSONL, origin=ctx.origin, line=line)


def _read_lines(source: Source, ctx: ReadContext) -> Iterator[LogRecord]:
    window = ctx.window(SourceKind.JSONL)
    stats = ctx.stats
    emitter = _Emitter(ctx)
    loads = json.loads
    origin = ctx.origin
    jsonl = SourceKind.JSONL
    for lineno, text in source.lines(ctx):
        if window is not None and window.seen(text):
            stats.duplicates_dropped += 1
            continue
        try:
            value = loads(text)
        except ValueError as e:
            ctx.dead(text, f"invalid JSON: {e}", lineno)
            continue
        if (  # the plain case, inlined for speed
            type(value) is dict
            and "eventSource" not in value
            and "Records" not in value
            and "event" not in value
            and "involvedObject" not in value
        ):
            emitter.index += 1
            yield fields_record(value, text, source=jsonl, origin=origin, line=lineno)
            continue
        yield from emitter.emit(value, text, lineno)


def _read_documents(source: Source, ctx: ReadContext) -> Iterator[LogRecord]:
    emitter = _Emitter(ctx)
    for line, value in iter_documents(source.chunks(ctx), ctx):
        shaped = isinstance(value, dict) and (
            "eventSource" in value
            or "Records" in value
            or "event" in value
            or "involvedObject" in value
        )
        raw = "" if shaped else json.dumps(value, ensure_ascii=False)
        yield from emitter.emit(value, raw, line)
