"""Incident objects for what the intake detected in a log stream.

The analysis library's :class:`logswarm.incidents.Incident` (snake_case, unbounded) becomes an
Incident custom resource whose spec passes :class:`logswarm.api.v1alpha1.IncidentSpec` — the
same model the CRD schema is generated from — so what the intake writes is exactly what the
API server accepts. Text from logs is clipped to the schema's bounds, never interpreted.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from logswarm.api.v1alpha1 import API_VERSION, GROUP, IncidentSource, IncidentSpec
from logswarm.incidents import Incident

__all__ = ["detection_manifest", "detection_name", "detection_spec"]

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def detection_name(key: str) -> str:
    """The Incident's name for an episode key (16 hex digits): the same episode, the same name."""
    return f"logs-{key}"


def _clip(value: str | None, limit: int) -> str | None:
    return None if value is None else value[:limit]


def detection_spec(incident: Incident, *, pool: str, source: IncidentSource) -> dict[str, Any]:
    """The Incident spec (wire form, validated) for an incident found in a stream."""
    samples = [
        {
            **s.model_dump(mode="json", exclude_none=True),
            "file": s.file[:1024],
            "source": s.source[:256],
            "service": _clip(s.service, 256),
            "severity": s.severity[:32],
            "message": s.message[:8192],
            "line": max(s.line, 0),
        }
        for s in incident.samples[:500]
    ]
    spec = IncidentSpec.model_validate(
        {
            "summary": (incident.title or "anomalous log window")[:1024],
            "severity": incident.severity.value,
            "window": {
                "start": incident.window.start.isoformat(),
                "end": incident.window.end.isoformat(),
            },
            "poolRef": {"name": pool},
            "source": source.value,
            "fingerprint": incident.id[:256],
            "anomalyScore": max(float(incident.anomaly_score), 0.0),
            "services": [s[:1024] for s in incident.services[:100]],
            "regions": [r for r in incident.regions if len(r) <= 63 and _DNS_LABEL.match(r)][:50],
            "detectorsAgreed": [d[:1024] for d in incident.detectors_agreed[:50]],
            "evidence": {
                "templates": [
                    {**t.model_dump(mode="json"), "template": t.template[:4096]}
                    for t in incident.templates[:200]
                ],
                "samples": [{k: v for k, v in s.items() if v is not None} for s in samples],
                "entities": [
                    {**e.model_dump(mode="json"), "value": e.value[:1024]}
                    for e in incident.entities[:500]
                    if e.value
                ],
                "scores": [d.model_dump(mode="json") for d in incident.scores[:100]],
            },
        }
    )
    return spec.model_dump(mode="json", exclude_none=True)


def detection_manifest(
    incident: Incident,
    *,
    namespace: str,
    pool: str,
    source: IncidentSource,
    now: datetime | None = None,
) -> dict[str, Any]:
    """A whole Incident object for the window that opened an anomalous episode."""
    seen = (now or datetime.now(UTC)).isoformat()
    return {
        "apiVersion": API_VERSION,
        "kind": "Incident",
        "metadata": {
            "name": detection_name(incident.id),
            "namespace": namespace,
            "labels": {f"{GROUP}/source": source.value},
            "annotations": {
                f"{GROUP}/anomalous-windows": "1",
                f"{GROUP}/first-seen": seen,
                f"{GROUP}/last-seen": seen,
            },
        },
        "spec": detection_spec(incident, pool=pool, source=source),
    }
