"""Writes the intake's Incidents to the API server: create once, annotate every repeat.

Deduplication rests on deterministic names (the alert fingerprint, the anomaly episode key):
``create`` answers 409 for a repeat, and the repeat becomes a metadata patch — a delivery
counter, last-seen time, firing/resolved — guarded by the object's resourceVersion so two
concurrent deliveries cannot lose a count. Only metadata is patched: a spec change would make
the operator analyse the Incident again, and a repeat is not new evidence.

Synchronous (the kubernetes client is); the server calls these from a worker thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Literal

from kubernetes.client import ApiClient

from logswarm.api.v1alpha1 import GROUP, IncidentSource
from logswarm.operator.intake.alertmanager import Alert, alert_manifest, incident_name
from logswarm.operator.intake.manifests import detection_manifest, detection_name
from logswarm.operator.intake.stream import Detection
from logswarm.operator.kube import (
    KubeCallError,
    create_custom,
    get_custom,
    patch_custom_metadata,
)

__all__ = ["AlertOutcome", "write_alert", "write_detection"]

_log = logging.getLogger(__name__)

AlertOutcome = Literal["created", "updated", "refired", "resolved", "ignored"]

_STATUS = f"{GROUP}/alert-status"
_DELIVERIES = f"{GROUP}/alert-deliveries"
_LAST_SEEN = f"{GROUP}/alert-last-seen"
_RESOLVED_AT = f"{GROUP}/alert-resolved-at"
_WINDOWS = f"{GROUP}/anomalous-windows"


def _count(annotations: Mapping[str, Any], key: str) -> int:
    try:
        return int(str(annotations.get(key, "0")))
    except ValueError:
        return 0


def _annotate(
    api: ApiClient,
    namespace: str,
    name: str,
    change: Callable[[Mapping[str, Any]], dict[str, str]],
    *,
    retries: int = 5,
) -> Mapping[str, Any] | None:
    """Read-modify-write of annotations; None when the object does not exist."""
    for _ in range(retries + 1):
        current = get_custom(api, "incidents", namespace, name)
        if current is None:
            return None
        meta = current.get("metadata") or {}
        before: Mapping[str, Any] = meta.get("annotations") or {}
        try:
            patch_custom_metadata(
                api,
                "incidents",
                namespace,
                name,
                {"annotations": change(before)},
                resource_version=str(meta.get("resourceVersion", "")) or None,
            )
        except KubeCallError as exc:
            if exc.status == 409:
                continue  # someone else annotated first: count on top of theirs
            raise
        return before
    raise KubeCallError(f"incident {namespace}/{name}: too many concurrent writers", status=409)


def write_alert(
    api: ApiClient,
    alert: Alert,
    *,
    namespace: str,
    pool: str,
    group_key: str = "",
    now: datetime | None = None,
) -> AlertOutcome:
    """Create the alert's Incident, or record the repeat / resolution on the existing one."""
    current = now or datetime.now(UTC)
    name = incident_name(alert.key())
    if alert.status == "firing" and create_custom(
        api,
        "incidents",
        alert_manifest(alert, namespace=namespace, pool=pool, group_key=group_key, now=current),
    ):
        return "created"

    def change(before: Mapping[str, Any]) -> dict[str, str]:
        update = {
            _STATUS: alert.status,
            _DELIVERIES: str(_count(before, _DELIVERIES) + 1),
            _LAST_SEEN: current.isoformat(),
        }
        if alert.status == "resolved":
            ends = alert.ends_at if alert.ends_at and alert.ends_at.year > 1970 else current
            update[_RESOLVED_AT] = ends.isoformat()
        return update

    before = _annotate(api, namespace, name, change)
    if before is None:
        if alert.status == "firing":
            # Created and deleted again between our create and get: a person removed it.
            _log.warning("incident %s/%s vanished while recording a repeat", namespace, name)
            return "ignored"
        _log.info("resolved alert %s was never seen firing: no incident", alert.key())
        return "ignored"
    if alert.status == "resolved":
        return "resolved"
    return "refired" if before.get(_STATUS) == "resolved" else "updated"


def write_detection(
    api: ApiClient,
    detection: Detection,
    *,
    namespace: str,
    pool: str,
    source: IncidentSource,
    now: datetime | None = None,
) -> Literal["created", "updated", "ignored"]:
    """Create the episode's Incident on its first window; count later windows on it."""
    current = now or datetime.now(UTC)
    manifest = detection_manifest(
        detection.incident, namespace=namespace, pool=pool, source=source, now=current
    )
    if detection.opened and create_custom(api, "incidents", manifest):
        return "created"

    def change(before: Mapping[str, Any]) -> dict[str, str]:
        return {
            _WINDOWS: str(_count(before, _WINDOWS) + 1),
            f"{GROUP}/last-seen": current.isoformat(),
        }

    if _annotate(api, namespace, detection_name(detection.key), change) is None:
        # The episode's Incident was deleted (or the opening window was refused): the
        # anomaly still goes on, so it gets its Incident now.
        return "created" if create_custom(api, "incidents", manifest) else "updated"
    return "updated"
