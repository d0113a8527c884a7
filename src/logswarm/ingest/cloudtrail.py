"""AWS CloudTrail events as records: who did what, from where, and did it fail.

CloudTrail reaches LogSwarm the way production reads it: the JSON files a trail delivers to S3
(``{"Records": [...]}``, usually ``.json.gz`` and a single line), exports of one event per file
or per line, and bare arrays of events (as in Stratus Red Team's detonation logs). Those
containers are unpacked by :mod:`logswarm.ingest.jsonl`; this module turns *one event* into a
:class:`~logswarm.records.LogRecord` whose message reads like a sentence an analyst would write
(``CreateAccessKey by arn:aws:iam::123:user/alice from 1.2.3.4 (AccessDenied)``), with every
key of the event kept in ``fields`` (``userIdentity``, ``requestParameters``...) plus
``recordIndex``, the event's 1-based position in its file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logswarm.ingest.normalise import parse_label
from logswarm.ingest.timeparse import parse_time_value
from logswarm.records import LogRecord, Severity, SourceKind

__all__ = ["cloudtrail_record", "is_cloudtrail_event", "unwrap_labelled"]


def is_cloudtrail_event(obj: Mapping[str, Any]) -> bool:
    """An object shaped like a CloudTrail event (``eventSource`` and ``eventName``)."""
    return "eventSource" in obj and "eventName" in obj


def unwrap_labelled(obj: Mapping[str, Any]) -> dict[str, Any] | None:
    """The event inside a labelled wrapper ``{"label": ..., "event": {...CloudTrail...}}``."""
    inner = obj.get("event")
    if isinstance(inner, dict) and is_cloudtrail_event(inner):
        return inner
    return None


def _actor(identity: object) -> str:
    if not isinstance(identity, dict):
        return "unknown"
    for key in ("arn", "principalId", "invokedBy", "userName", "type"):
        value = identity.get(key)
        if isinstance(value, str) and value:
            return value
    return "unknown"


def cloudtrail_record(
    event: dict[str, Any],
    *,
    origin: str,
    line: int,
    index: int,
    wrapper: Mapping[str, Any] | None = None,
) -> LogRecord:
    """One CloudTrail event as a record; ``event`` is kept (and extended) as ``fields``.

    ``wrapper`` is the outer object of a labelled event (``{"label": ..., "event": ...}``):
    its ``label`` sets :attr:`LogRecord.label` and its other keys join ``fields``.
    """
    identity = event.get("userIdentity")
    name = event.get("eventName") or "UnknownEvent"
    parts = [f"{name} by {_actor(identity)}"]
    ip = event.get("sourceIPAddress")
    if ip:
        parts.append(f"from {ip}")
    error = event.get("errorCode")
    if error:
        parts.append(f"({error})")
    source = event.get("eventSource")
    service = source.split(".", 1)[0] if isinstance(source, str) and source else None
    account = event.get("recipientAccountId")
    if not account and isinstance(identity, dict):
        account = identity.get("accountId")
    region = event.get("awsRegion")
    label = event.get("logswarm_label")
    fields = event
    if wrapper is not None:
        label = wrapper.get("logswarm_label", wrapper.get("label"))
        for key, value in wrapper.items():
            if key != "event" and key not in fields:
                fields[key] = value
    fields["recordIndex"] = index
    return LogRecord(
        timestamp=parse_time_value(event.get("eventTime")),
        source=SourceKind.CLOUDTRAIL,
        message=" ".join(parts),
        severity=Severity.ERROR if error else Severity.INFO,
        service=service,
        region=region if isinstance(region, str) else None,
        account=str(account) if account else None,
        fields=fields,
        file=origin,
        line=line,
        label=parse_label(label) if label is not None else None,
    )
