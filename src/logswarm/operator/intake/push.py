"""Bodies pushed by Fluent Bit's ``http`` output and Vector's ``http`` sink, as log records.

Both agents send JSON, in one of two framings the receiver cannot choose: a JSON array of
record objects (Fluent Bit ``format json``, Vector ``encoding.codec = "json"`` with
``framing.method = "character_delimited"`` or the default array batching) or one object per
line (Fluent Bit ``json_lines``, Vector ``newline_delimited``). Both are accepted on every
ingest path; the shapes of the records differ only in key names (Fluent Bit: ``date``, ``log``,
``kubernetes.namespace_name``; Vector: ``timestamp``, ``message``,
``kubernetes.pod_namespace``), which the shared key heuristics of
:mod:`logswarm.ingest.normalise` already know.

A record that is not a JSON object, has no message, or is too large is a *dead letter* with its
reason, never silently dropped; a body that is not JSON at all is refused as a whole
(:class:`PushFormatError`), so the sender sees a 400 and its own retry/dead-letter logic runs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from logswarm.ingest.jsonl import fields_record
from logswarm.ingest.normalise import MESSAGE_KEYS, first_str
from logswarm.records import DeadLetter, LogRecord, SourceKind

__all__ = ["MAX_RECORD_BYTES", "PushBatch", "PushFormatError", "parse_push"]

#: Larger records are dead-lettered: a log line this long is a dump, not an event, and it
#: would dominate the template miner's memory.
MAX_RECORD_BYTES = 64 * 1024


class PushFormatError(ValueError):
    """The body as a whole is not JSON (array, object or JSON lines)."""


@dataclass(slots=True)
class PushBatch:
    records: list[LogRecord] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)


def _service(obj: dict[str, Any]) -> str | None:
    kube = obj.get("kubernetes")
    if isinstance(kube, dict):
        for labels_key in ("labels", "pod_labels"):
            labels = kube.get(labels_key)
            if isinstance(labels, dict):
                for key in ("app", "app.kubernetes.io/name", "k8s-app"):
                    value = labels.get(key)
                    if isinstance(value, str) and value:
                        return value
        name = kube.get("container_name")
        if isinstance(name, str) and name:
            return name
    return None


def _record(obj: Any, raw: str, *, origin: str, line: int, now: datetime, batch: PushBatch) -> None:
    if len(raw) > MAX_RECORD_BYTES:
        reason = f"record larger than {MAX_RECORD_BYTES} bytes"
        batch.dead_letters.append(DeadLetter(raw=raw[:1024], reason=reason, file=origin, line=line))
        return
    if not isinstance(obj, dict):
        reason = f"not a JSON object ({type(obj).__name__})"
        batch.dead_letters.append(DeadLetter(raw=raw, reason=reason, file=origin, line=line))
        return
    message = first_str(obj, MESSAGE_KEYS)
    if message is None or not message.strip():
        reason = "no message field (log, message, msg, ...)"
        batch.dead_letters.append(DeadLetter(raw=raw, reason=reason, file=origin, line=line))
        return
    record = fields_record(
        obj, raw, source=SourceKind.JSONL, origin=origin, line=line, message=message.rstrip()
    )
    # Fluent Bit's kubernetes filter nests the app label; prefer it to the container name.
    record.service = _service(obj) or record.service
    if record.timestamp is None:
        record.timestamp = now  # a live stream: arrival time is the event's time, near enough
    batch.records.append(record)


def parse_push(
    body: bytes, *, origin: str, first_line: int = 1, now: datetime | None = None
) -> PushBatch:
    """Records and dead letters of one pushed body; ``line`` numbers continue from ``first_line``.

    ``origin`` names the stream in evidence (``file`` of each record), e.g. ``push/POOL``.
    """
    arrived = now or datetime.now(UTC)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PushFormatError(f"body is not UTF-8: {exc.reason} at byte {exc.start}") from exc
    stripped = text.strip()
    batch = PushBatch()
    if not stripped:
        return batch
    whole: Any
    try:
        whole = json.loads(stripped)
    except json.JSONDecodeError as exc:
        if stripped.startswith("["):
            raise PushFormatError(f"body is not a JSON array: {exc}") from exc
        whole = None
    else:
        if isinstance(whole, list):
            for offset, item in enumerate(whole):
                raw = json.dumps(item, separators=(",", ":"), default=str)
                _record(
                    item, raw, origin=origin, line=first_line + offset, now=arrived, batch=batch
                )
            return batch
        if isinstance(whole, dict):
            _record(whole, stripped, origin=origin, line=first_line, now=arrived, batch=batch)
            return batch
        raise PushFormatError(f"body is a JSON {type(whole).__name__}, not an array or object")
    # JSON lines: each line on its own, a bad line is a dead letter.
    lines = text.splitlines()
    parsed_any = False
    for offset, line in enumerate(lines):
        if not line.strip():
            continue
        number = first_line + offset
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            reason = f"invalid JSON: {exc.msg} at column {exc.colno}"
            batch.dead_letters.append(
                DeadLetter(raw=line[:MAX_RECORD_BYTES], reason=reason, file=origin, line=number)
            )
            continue
        parsed_any = True
        _record(item, line, origin=origin, line=number, now=arrived, batch=batch)
    if not parsed_any:
        raise PushFormatError("body is neither JSON nor JSON lines")
    return batch
