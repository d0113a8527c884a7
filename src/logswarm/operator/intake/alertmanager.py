"""Alertmanager's webhook (payload version 4) as pydantic models, and an alert as an Incident.

Alertmanager posts a *group* of alerts on every notification and repeats it every
``repeat_interval`` while they fire, so the same alert arrives many times. Each alert carries a
``fingerprint`` (a hash of its label set) that stays the same across deliveries: the Incident's
name is derived from it (:func:`incident_name`), which makes creation idempotent — a repeat is
answered by annotating the existing Incident, never by a second one.

Alert labels and annotations are untrusted text: they become the Incident's summary and
evidence (entities the agents may *cite*), never an action. What is done about an alert is
decided by the pool's agents and the safety policy, like for any other Incident.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from logswarm.api.v1alpha1 import API_VERSION, GROUP, IncidentSource, IncidentSpec
from logswarm.incidents import EntityKind, IncidentSeverity

__all__ = [
    "POOL_LABEL",
    "Alert",
    "PayloadError",
    "WebhookPayload",
    "alert_manifest",
    "alert_spec",
    "incident_name",
    "parse_payload",
    "severity_of",
]

#: An alert label that names the AgentPool to handle it (overrides the receiver's ``?pool=``).
POOL_LABEL = "logswarm_pool"

_HEX = re.compile(r"^[0-9a-f]{1,40}$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
#: Alertmanager writes the zero time for "no end yet".
_NO_END_BEFORE = datetime(1971, 1, 1, tzinfo=UTC)

_SEVERITIES: dict[str, IncidentSeverity] = {
    **dict.fromkeys(("critical", "page", "emergency", "fatal", "p1", "sev1"), IncidentSeverity.CRITICAL),
    **dict.fromkeys(("high", "error", "major", "p2", "sev2"), IncidentSeverity.HIGH),
    **dict.fromkeys(("warning", "warn", "medium", "minor", "p3", "sev3"), IncidentSeverity.MEDIUM),
    **dict.fromkeys(("info", "low", "none", "notice", "p4", "sev4", "p5"), IncidentSeverity.LOW),
}  # fmt: skip

#: Alert labels that name things in the cluster: they become the Incident's entities.
_ENTITY_LABELS: tuple[tuple[str, EntityKind], ...] = (
    ("namespace", EntityKind.NAMESPACE),
    ("pod", EntityKind.POD),
    ("container", EntityKind.CONTAINER),
    ("deployment", EntityKind.DEPLOYMENT),
    ("statefulset", EntityKind.STATEFULSET),
    ("node", EntityKind.NODE),
    ("service", EntityKind.SERVICE),
)
_SERVICE_LABELS = ("service", "app", "app_kubernetes_io_name", "job", "container")

#: Labels and annotations are taken at any length and clipped where they are used: refusing
#: a long description would lose the alert (Alertmanager does not retry a 4xx).
LabelMap = dict[str, str]


class _Lenient(BaseModel):
    # Fields Alertmanager may add in later versions are ignored, not fatal; what we use is
    # validated.
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class Alert(_Lenient):
    status: Literal["firing", "resolved"]
    labels: LabelMap = Field(default_factory=dict)
    annotations: LabelMap = Field(default_factory=dict)
    starts_at: datetime = Field(alias="startsAt")
    ends_at: datetime | None = Field(None, alias="endsAt")
    generator_url: str = Field("", alias="generatorURL")
    fingerprint: str = ""

    def key(self) -> str:
        """The deduplication key: Alertmanager's fingerprint, else a hash of the labels."""
        fp = self.fingerprint.strip().lower()
        if fp and len(fp) <= 64:
            return fp
        if fp:
            return hashlib.sha256(fp.encode()).hexdigest()[:16]
        canonical = "\x00".join(f"{k}={v}" for k, v in sorted(self.labels.items()))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]


class WebhookPayload(_Lenient):
    version: Literal["4"]
    group_key: str = Field("", alias="groupKey")
    truncated_alerts: Annotated[int, Field(ge=0)] = Field(0, alias="truncatedAlerts")
    status: Literal["firing", "resolved"]
    receiver: str = ""
    group_labels: LabelMap = Field(default_factory=dict, alias="groupLabels")
    common_labels: LabelMap = Field(default_factory=dict, alias="commonLabels")
    common_annotations: LabelMap = Field(default_factory=dict, alias="commonAnnotations")
    external_url: str = Field("", alias="externalURL")
    alerts: list[Alert] = Field(min_length=1)  # the body size limit bounds it


class PayloadError(ValueError):
    """The body is not an Alertmanager v4 webhook payload; the message says why."""


def parse_payload(body: bytes) -> WebhookPayload:
    """Validate a webhook body; :class:`PayloadError` with a short, precise reason if bad."""
    try:
        return WebhookPayload.model_validate_json(body)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '<body>'}: {err['msg']}"
            for err in exc.errors()[:5]
        )
        more = f" (and {exc.error_count() - 5} more)" if exc.error_count() > 5 else ""
        raise PayloadError(f"not an Alertmanager v4 webhook payload: {problems}{more}") from exc


def incident_name(fingerprint: str) -> str:
    """A valid, stable object name for an alert fingerprint (the same alert, the same name)."""
    fp = fingerprint.strip().lower()
    if not _HEX.match(fp):
        fp = hashlib.sha256(fingerprint.encode()).hexdigest()[:16]
    return f"alert-{fp}"


def severity_of(labels: dict[str, str]) -> IncidentSeverity:
    """The Incident severity for an alert's ``severity`` label (Medium when absent/unknown)."""
    raw = labels.get("severity") or labels.get("priority") or ""
    return _SEVERITIES.get(raw.strip().lower(), IncidentSeverity.MEDIUM)


def _summary(alert: Alert) -> str:
    name = alert.labels.get("alertname", "alert")
    text = alert.annotations.get("summary") or alert.annotations.get("description") or ""
    summary = f"{name}: {text}" if text else name
    return " ".join(summary.split())[:1024] or "alert"


def alert_spec(alert: Alert, *, pool: str, now: datetime | None = None) -> dict[str, Any]:
    """The Incident spec (wire form) for a firing alert."""
    current = now or datetime.now(UTC)
    start = alert.starts_at
    end = alert.ends_at if alert.status == "resolved" and alert.ends_at else current
    if end is None or end < start or end < _NO_END_BEFORE:
        end = max(start, current)
    services: list[str] = []
    for key in _SERVICE_LABELS:
        value = alert.labels.get(key, "").strip()
        if value and value not in services:
            services.append(value[:1024])
    region = alert.labels.get("region", "").strip()
    entities: list[dict[str, str]] = []
    for key, kind in _ENTITY_LABELS:
        value = alert.labels.get(key, "").strip()
        if value:
            entities.append(
                {"id": f"E{len(entities) + 1}", "kind": kind.value, "value": value[:1024]}
            )
    described = "; ".join(f"{k}={v}" for k, v in sorted(alert.labels.items()) if k != "alertname")
    message = _summary(alert)
    description = alert.annotations.get("description")
    if description and description not in message:
        message = f"{message} — {description}"
    sample = {
        "id": "L1",
        "file": (alert.generator_url or "alertmanager")[:1024],
        "line": 0,
        "timestamp": start.isoformat(),
        "source": "alertmanager",
        "severity": (alert.labels.get("severity") or "unknown")[:32],
        "message": f"{message} [{described}]"[:8192],
    }
    if services:
        sample["service"] = services[0][:256]
    spec = IncidentSpec.model_validate(
        {
            "summary": _summary(alert),
            "severity": severity_of(alert.labels).value,
            "window": {"start": start.isoformat(), "end": end.isoformat()},
            "poolRef": {"name": pool},
            "source": IncidentSource.ALERTMANAGER.value,
            "fingerprint": alert.key()[:256],
            "services": services[:100],
            "regions": [region] if _DNS_LABEL.match(region) and len(region) <= 63 else [],
            "evidence": {"samples": [sample], "entities": entities},
        }
    )
    return spec.model_dump(mode="json", exclude_none=True)


def alert_manifest(
    alert: Alert, *, namespace: str, pool: str, group_key: str = "", now: datetime | None = None
) -> dict[str, Any]:
    """A whole Incident object for a firing alert, with the delivery bookkeeping annotations."""
    current = now or datetime.now(UTC)
    return {
        "apiVersion": API_VERSION,
        "kind": "Incident",
        "metadata": {
            "name": incident_name(alert.key()),
            "namespace": namespace,
            "labels": {f"{GROUP}/source": IncidentSource.ALERTMANAGER.value},
            "annotations": {
                f"{GROUP}/alert-status": alert.status,
                f"{GROUP}/alert-deliveries": "1",
                f"{GROUP}/alert-first-seen": current.isoformat(),
                f"{GROUP}/alert-last-seen": current.isoformat(),
                f"{GROUP}/alert-group-key": group_key[:1024],
            },
        },
        "spec": alert_spec(alert, pool=pool, now=current),
    }
