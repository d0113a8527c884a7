"""Kubernetes Event objects (``kubectl get events -o json``, event exporters) as records.

An Event is the cluster's own account of what happened to an object: ``BackOff`` for a
crash-looping pod, ``FailedScheduling``, ``Evicted``, ``Killing``. Read as generic JSON it would
lose its time (Events carry ``lastTimestamp`` / ``eventTime``, not ``time``) and its meaning
(``reason`` is the signal; ``message`` alone varies per object). So Events get their own
normalisation: time from the most recent of the Event's timestamps, the message as
``Reason Kind/name: message``, severity WARNING for ``type: Warning``, and the stream
``kubernetes-events``. The involved object stays in ``fields`` for entity extraction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logswarm.ingest.timeparse import parse_time_value
from logswarm.records import LogRecord, Severity, SourceKind

__all__ = ["EVENTS_STREAM", "is_kube_event", "kube_event_record"]

#: The service (stream) every Event record belongs to.
EVENTS_STREAM = "kubernetes-events"

_TIME_KEYS = ("lastTimestamp", "eventTime", "firstTimestamp")


def is_kube_event(obj: Mapping[str, Any]) -> bool:
    """A core/v1 or events.k8s.io/v1 Event: ``kind: Event`` with an involved or regarding object."""
    return obj.get("kind") == "Event" and isinstance(
        obj.get("involvedObject", obj.get("regarding")), Mapping
    )


def kube_event_record(obj: dict[str, Any], *, origin: str, line: int) -> LogRecord:
    involved: Mapping[str, Any] = obj.get("involvedObject") or obj.get("regarding") or {}
    timestamp = None
    for key in _TIME_KEYS:
        timestamp = parse_time_value(obj.get(key))
        if timestamp is not None:
            break
    if timestamp is None:
        meta = obj.get("metadata")
        if isinstance(meta, Mapping):
            timestamp = parse_time_value(meta.get("creationTimestamp"))
    reason = str(obj.get("reason") or "Event")
    text = str(obj.get("message") or obj.get("note") or "")
    target = f"{involved.get('kind', '?')}/{involved.get('name', '?')}"
    warning = str(obj.get("type", "")).lower() == "warning"
    return LogRecord(
        timestamp=timestamp,
        source=SourceKind.JSONL,
        message=f"{reason} {target}: {text}",
        severity=Severity.WARNING if warning else Severity.INFO,
        service=EVENTS_STREAM,
        fields=obj,
        file=origin,
        line=line,
    )
