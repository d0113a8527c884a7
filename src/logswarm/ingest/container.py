"""Kubernetes container logs: the CRI format kubelet writes, and Docker's JSON-file format.

These are the files under ``/var/log/pods`` and ``/var/log/containers`` on every node, and what
Fluent Bit / Vector tail. Two shapes:

- CRI: ``2024-01-01T00:00:00.123456789Z stdout F message``; ``P`` marks a partial line (the
  runtime splits long lines, 16 KiB by default), joined here with what follows on the same
  stream up to the ``F`` line. The record's ``line`` is where the first piece starts.
- Docker JSON: ``{"log": "message\\n", "stream": "stdout", "time": "..."}``; a ``log`` without
  the trailing newline is a partial and is joined the same way.

Namespace, pod and container come from the kubelet path when the file has one
(``/var/log/pods/<ns>_<pod>_<uid>/<container>/N.log`` or
``/var/log/containers/<pod>_<ns>_<container>-<id>.log``), and ``service`` is the workload
name derived from the pod (``checkout-7d9f8b6c5d-x2x7k`` -> ``checkout``). When the message is
itself a JSON object (structured app logs), its keys join ``fields`` and its level, message and
service are used; the timestamp is always the runtime's, which every line has.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any, Final

from logswarm.ingest._context import ReadContext
from logswarm.ingest.jsonl import fields_record
from logswarm.ingest.normalise import sniff_severity
from logswarm.ingest.sources import Source
from logswarm.ingest.timeparse import parse_iso, parse_time_value
from logswarm.records import LogRecord, Severity, SourceKind

__all__ = ["metadata_from_path", "read_container", "workload_of"]

_PODS_PATH: Final = re.compile(
    r"(?:^|/)pods/(?P<namespace>[^/_]+)_(?P<pod>[^/_]+)_(?P<uid>[^/_]+)/"
    r"(?P<container>[^/]+)/[^/]+$"
)
_CONTAINERS_PATH: Final = re.compile(
    r"(?:^|/)(?P<pod>[^/_]+)_(?P<namespace>[^/_]+)_(?P<container>[^/_]+)-"
    r"(?P<container_id>[0-9a-f]{64})\.log(?:\.[^/]*)?$"
)
#: Alphabet of Kubernetes' generated name suffixes (no vowels, no confusable digits).
_SAFE: Final = frozenset("bcdfghjklmnpqrstvwxz2456789")


def _generated(part: str, lengths: tuple[int, ...]) -> bool:
    return len(part) in lengths and all(c in _SAFE for c in part)


def workload_of(pod: str) -> str:
    """The Deployment/StatefulSet/DaemonSet name behind a pod name."""
    parts = pod.split("-")
    if len(parts) > 1 and (_generated(parts[-1], (5,)) or parts[-1].isdigit()):
        parts.pop()
        if len(parts) > 1 and _generated(parts[-1], (6, 7, 8, 9, 10)):
            parts.pop()
    return "-".join(parts)


def metadata_from_path(path: str) -> dict[str, str]:
    """``namespace``, ``pod``, ``container`` (and ids) from a kubelet log path, or ``{}``."""
    path = path.replace("\\", "/")
    match = _PODS_PATH.search(path) or _CONTAINERS_PATH.search(path)
    if match is None:
        return {}
    return {k: v for k, v in match.groupdict().items() if v}


class _Partials:
    """Pieces of split lines, per stream, bounded in size."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.pieces: dict[str, list[str]] = {}
        self.start: dict[str, tuple[int, datetime | None]] = {}
        self.size: dict[str, int] = {}

    def add(self, stream: str, piece: str, line: int, ts: datetime | None) -> bool:
        """Keep a piece; False if the joined line would exceed the limit (caller dead-letters)."""
        if stream not in self.pieces:
            self.pieces[stream] = []
            self.start[stream] = (line, ts)
            self.size[stream] = 0
        self.size[stream] += len(piece)
        self.pieces[stream].append(piece)
        return self.size[stream] <= self.limit

    def take(self, stream: str) -> tuple[str, int, datetime | None] | None:
        pieces = self.pieces.pop(stream, None)
        if pieces is None:
            return None
        line, ts = self.start.pop(stream)
        del self.size[stream]
        return "".join(pieces), line, ts


def _record(
    message: str,
    *,
    timestamp: datetime | None,
    stream: str,
    ctx: ReadContext,
    line: int,
    service: str | None,
) -> LogRecord:
    fields: dict[str, Any] = dict(ctx.path_fields)
    fields["stream"] = stream
    body = message.strip()
    if body.startswith("{") and body.endswith("}"):
        try:
            inner = json.loads(body)
        except ValueError:
            inner = None
        if isinstance(inner, dict):
            fields.update(inner)
            rec = fields_record(
                fields, body, source=SourceKind.CONTAINER, origin=ctx.origin, line=line
            )
            rec.timestamp = timestamp if timestamp is not None else rec.timestamp
            if rec.service is None or rec.service == ctx.path_fields.get("container"):
                rec.service = service or rec.service
            return rec
    return LogRecord(
        timestamp=timestamp,
        source=SourceKind.CONTAINER,
        message=message,
        severity=sniff_severity(message) or Severity.INFO,
        service=service,
        fields=fields,
        file=ctx.origin,
        line=line,
    )


def read_container(source: Source, ctx: ReadContext) -> Iterator[LogRecord]:
    """Records from CRI or Docker JSON lines (the shape is told line by line)."""
    if not ctx.path_fields:
        ctx.path_fields = metadata_from_path(ctx.origin)
    pod = ctx.path_fields.get("pod")
    service = workload_of(pod) if pod else ctx.path_fields.get("container")
    window = ctx.window(SourceKind.CONTAINER)
    stats = ctx.stats
    partials = _Partials(ctx.options.max_line_bytes)
    for lineno, text in source.lines(ctx):
        if window is not None and window.seen(text):
            stats.duplicates_dropped += 1
            continue
        parsed = _docker(text) if text[0] == "{" else _cri(text)
        if isinstance(parsed, str):
            ctx.dead(text, parsed, lineno)
            continue
        ts, stream, partial, message = parsed
        if partial:
            if not partials.add(stream, message, lineno, ts):
                joined = partials.take(stream)
                assert joined is not None
                ctx.dead(
                    joined[0],
                    f"partial lines joined exceed the {partials.limit}-character limit",
                    joined[1],
                )
            continue
        pending = partials.take(stream)
        line = lineno
        if pending is not None:
            message = pending[0] + message
            line = pending[1]
            ts = pending[2] or ts
        yield _record(message, timestamp=ts, stream=stream, ctx=ctx, line=line, service=service)
    for stream in sorted(partials.pieces):
        pending = partials.take(stream)
        assert pending is not None
        rec = _record(pending[0], timestamp=pending[2], stream=stream, ctx=ctx, line=pending[1],
                      service=service)  # fmt: skip
        rec.fields["partial"] = True  # the file ended before the final piece
        yield rec


def _cri(text: str) -> tuple[datetime | None, str, bool, str] | str:
    """``(time, stream, partial, message)`` or the reason the line is not CRI."""
    sp1 = text.find(" ")
    sp2 = text.find(" ", sp1 + 1)
    if sp1 < 0 or sp2 < 0:
        return "not a CRI log line: expected 'TIME STREAM TAG MESSAGE'"
    stream = text[sp1 + 1 : sp2]
    if stream != "stdout" and stream != "stderr":
        return f"not a CRI log line: stream {stream[:20]!r} is not stdout/stderr"
    sp3 = text.find(" ", sp2 + 1)
    tag = text[sp2 + 1 :] if sp3 < 0 else text[sp2 + 1 : sp3]
    message = "" if sp3 < 0 else text[sp3 + 1 :]
    ts = parse_iso(text[:sp1])
    if ts is None:
        return f"not a CRI log line: bad timestamp {text[: min(sp1, 40)]!r}"
    return ts, stream, tag[:1] == "P", message


def _docker(text: str) -> tuple[datetime | None, str, bool, str] | str:
    try:
        obj = json.loads(text)
    except ValueError as e:
        return f"invalid Docker JSON log line: {e}"
    if not isinstance(obj, dict) or not isinstance(obj.get("log"), str):
        return "not a Docker JSON log line: no 'log' string"
    log: str = obj["log"]
    partial = not log.endswith("\n")
    if not partial:
        log = log[:-1]
        if log.endswith("\r"):
            log = log[:-1]
    stream = obj.get("stream")
    return parse_time_value(obj.get("time")), str(stream or "stdout"), partial, log
