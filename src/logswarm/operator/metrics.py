"""The operator's Prometheus metrics: what an on-call dashboard and its alerts need.

Why a module of its own: the handlers stay thin (one ``observe_*`` call each), the metric names
and labels are defined once, and the registry is the operator's own (not prometheus_client's
global one), so unit tests read exactly what the operator would serve and nothing a library
registered behind its back. :func:`serve` exposes it on ``/metrics`` over plain HTTP on the
port of :class:`~logswarm.operator.settings.OperatorConfig` (the chart's ``metrics.port``).

What is measured, and from what:

- **incidents by severity and phase** (a gauge over the Incidents this operator has seen,
  forgotten when one is deleted);
- **detection latency**: the Incident's creation minus the start of its evidence window (how
  long the problem ran before something raised an Incident);
- **time to first response**: the end of the first analysis minus the Incident's creation;
- **LLM tokens and cost by role**, summed from the topology trajectory written into the
  Incident's status (the deterministic reasoner reports zero tokens, honestly);
- **remediation outcomes** (each terminal phase counted once per Remediation generation) and
  **rollbacks** (succeeded or failed);
- **reconcile duration** per kind and result.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from logswarm.api.v1alpha1 import IncidentStatus, RemediationPhase

__all__ = ["OperatorMetrics", "metrics", "serve"]

#: Seconds: from a minute to a day (detection is often minutes behind the first bad line).
_LATENCY_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400)
#: Seconds: a reconcile is an API round trip or a whole topology run on a small model.
_RECONCILE_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)
_TERMINAL = frozenset(
    {
        RemediationPhase.SUCCEEDED,
        RemediationPhase.ROLLED_BACK,
        RemediationPhase.FAILED,
        RemediationPhase.DENIED,
        RemediationPhase.EXPIRED,
    }
)


def _parse_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass
class OperatorMetrics:
    """Every operator metric, on one registry (a fresh one per instance: tests make their own)."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.incidents = Gauge(
            "logswarm_operator_incidents", "Incidents seen by this operator, by severity and phase.",
            ["severity", "phase"], registry=r,
        )  # fmt: skip
        self.detection_latency = Histogram(
            "logswarm_operator_incident_detection_latency_seconds",
            "Incident creation minus the start of its evidence window.",
            ["severity"], buckets=_LATENCY_BUCKETS, registry=r,
        )  # fmt: skip
        self.first_response = Histogram(
            "logswarm_operator_incident_first_response_seconds",
            "End of an Incident's first analysis minus its creation.",
            ["severity"], buckets=_LATENCY_BUCKETS, registry=r,
        )  # fmt: skip
        self.llm_tokens = Counter(
            "logswarm_operator_llm_tokens", "LLM tokens spent by the topology, by agent role.",
            ["role", "topology"], registry=r,
        )  # fmt: skip
        self.llm_cost = Counter(
            "logswarm_operator_llm_cost_usd", "LLM cost in US dollars, by agent role.",
            ["role", "topology"], registry=r,
        )  # fmt: skip
        self.remediation_outcomes = Counter(
            "logswarm_operator_remediation_outcomes",
            "Remediations reaching a terminal phase (Succeeded, RolledBack, Failed, Denied...).",
            ["outcome"], registry=r,
        )  # fmt: skip
        self.rollbacks = Counter(
            "logswarm_operator_rollbacks", "Remediation rollbacks, by whether they restored everything.",
            ["result"], registry=r,
        )  # fmt: skip
        self.reconcile_seconds = Histogram(
            "logswarm_operator_reconcile_seconds", "Time spent in one reconcile, by kind and result.",
            ["kind", "result"], buckets=_RECONCILE_BUCKETS, registry=r,
        )  # fmt: skip
        self._lock = threading.Lock()
        self._incident_state: dict[tuple[str, str], tuple[str, str]] = {}
        self._remediation_seen: dict[tuple[str, str], tuple[int, str]] = {}
        self._first_response_seen: set[str] = set()

    # -- incidents ------------------------------------------------------------------------

    def _refresh_incident_gauge(self) -> None:
        counts: dict[tuple[str, str], int] = {}
        for key in self._incident_state.values():
            counts[key] = counts.get(key, 0) + 1
        self.incidents.clear()
        for (severity, phase), n in counts.items():
            self.incidents.labels(severity=severity, phase=phase).set(n)

    def observe_incident_state(self, namespace: str, name: str, severity: str, phase: str) -> None:
        with self._lock:
            self._incident_state[(namespace, name)] = (severity, phase or "Pending")
            self._refresh_incident_gauge()

    def forget_incident(self, namespace: str, name: str) -> None:
        with self._lock:
            self._incident_state.pop((namespace, name), None)
            self._refresh_incident_gauge()

    def observe_analysis(
        self,
        body: Mapping[str, Any],
        status: IncidentStatus,
        *,
        now: datetime | None = None,
    ) -> None:
        """One finished analysis of an Incident (the handler calls it once per generation)."""
        meta = body.get("metadata") or {}
        spec = body.get("spec") or {}
        severity = str(spec.get("severity") or "Unknown")
        created = _parse_time(meta.get("creationTimestamp"))
        start = _parse_time((spec.get("window") or {}).get("start"))
        now = now or datetime.now(UTC)
        uid = str(meta.get("uid") or f"{meta.get('namespace')}/{meta.get('name')}")
        with self._lock:
            first = uid not in self._first_response_seen
            self._first_response_seen.add(uid)
        if first and created is not None:
            if start is not None:
                self.detection_latency.labels(severity=severity).observe(
                    max(0.0, (created - start).total_seconds())
                )
            self.first_response.labels(severity=severity).observe(
                max(0.0, (now - created).total_seconds())
            )
        topology = str(status.topology or "unknown")
        for entry in status.trajectory:
            role = str(entry.role)
            if entry.tokens:
                self.llm_tokens.labels(role=role, topology=topology).inc(entry.tokens)
            if entry.cost_usd:
                self.llm_cost.labels(role=role, topology=topology).inc(entry.cost_usd)
        self.observe_incident_state(
            str(meta.get("namespace", "")),
            str(meta.get("name", "")),
            severity,
            str(status.phase or "Pending"),
        )

    # -- remediations ---------------------------------------------------------------------

    def observe_remediation(
        self,
        namespace: str,
        name: str,
        generation: int,
        phase: RemediationPhase | None,
        *,
        rolled_back: bool | None = None,
    ) -> None:
        """A reconciled Remediation's phase; terminal phases count once per generation.

        ``rolled_back``: True/False when this reconcile ran a rollback that restored
        everything / did not; None when it ran none.
        """
        if phase is None:
            return
        key = (namespace, name)
        with self._lock:
            fresh = self._remediation_seen.get(key) != (generation, str(phase))
            self._remediation_seen[key] = (generation, str(phase))
        if not fresh or phase not in _TERMINAL:
            return
        self.remediation_outcomes.labels(outcome=str(phase)).inc()
        if rolled_back is not None:
            self.rollbacks.labels(result="succeeded" if rolled_back else "failed").inc()

    def forget_remediation(self, namespace: str, name: str) -> None:
        with self._lock:
            self._remediation_seen.pop((namespace, name), None)

    # -- reconciles -----------------------------------------------------------------------

    @contextmanager
    def reconcile(self, kind: str) -> Iterator[None]:
        """Time one reconcile; the result label is ``ok`` or the exception's class name."""
        started = time.perf_counter()
        result = "ok"
        try:
            yield
        except BaseException as exc:
            result = type(exc).__name__
            raise
        finally:
            self.reconcile_seconds.labels(kind=kind, result=result).observe(
                time.perf_counter() - started
            )


#: The operator process's metrics (the handlers observe into it; :func:`serve` exposes it).
metrics = OperatorMetrics()


def serve(port: int, *, host: str = "0.0.0.0", registry: CollectorRegistry | None = None) -> int:  # noqa: S104
    """Serve ``/metrics`` on ``host:port`` in a daemon thread; returns the bound port."""
    server, _thread = start_http_server(
        port, addr=host, registry=registry if registry is not None else metrics.registry
    )
    return int(server.server_address[1])
