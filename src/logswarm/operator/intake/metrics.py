"""Prometheus counters of the intake: what arrived, what became an Incident, what was refused.

Nothing the intake receives may disappear without a trace (the project's ingest standard):
every refused payload, malformed record, late or dropped record is counted here by reason, on
the process's default registry, so whatever serves the operator's ``/metrics`` exports them
(the intake server also answers ``GET /metrics``).
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge

__all__ = [
    "ALERTS",
    "BUFFERED",
    "DEAD_LETTERS",
    "INCIDENTS",
    "RECORDS",
    "RECORDS_DROPPED",
    "REJECTED",
    "UP",
    "WINDOWS",
]

REJECTED = Counter(
    "logswarm_intake_rejected_requests_total",
    "Requests the intake refused, by endpoint and reason (the sender was told why).",
    ["endpoint", "reason"],
)
ALERTS = Counter(
    "logswarm_intake_alerts_total",
    "Alertmanager alerts received, by alert status and what the intake did with them.",
    ["status", "outcome"],
)
RECORDS = Counter(
    "logswarm_intake_records_total",
    "Log records accepted into a pool's streaming detector, by source.",
    ["source"],
)
RECORDS_DROPPED = Counter(
    "logswarm_intake_records_dropped_total",
    "Well-formed log records not analysed, by reason (buffer full, late, too many streams).",
    ["source", "reason"],
)
DEAD_LETTERS = Counter(
    "logswarm_intake_dead_letters_total",
    "Malformed log records kept as dead letters, by source.",
    ["source"],
)
WINDOWS = Counter(
    "logswarm_intake_windows_total",
    "Closed stream windows, by verdict (warmup, normal, anomalous).",
    ["verdict"],
)
INCIDENTS = Counter(
    "logswarm_intake_incidents_total",
    "Incident objects written by the intake, by source and action (created, updated).",
    ["source", "action"],
)
BUFFERED = Gauge(
    "logswarm_intake_buffered_records",
    "Log records waiting for the streaming detectors.",
)
UP = Gauge(
    "logswarm_intake_up",
    "1 while the intake's HTTP server listens, 0 when it is off or could not start.",
)
