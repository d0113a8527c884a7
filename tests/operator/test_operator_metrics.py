"""The operator's metrics, read back from its registry exactly as /metrics would serve them."""

from __future__ import annotations

import urllib.request
from datetime import UTC, datetime

import pytest

from logswarm.api.v1alpha1 import (
    IncidentPhase,
    IncidentStatus,
    RemediationPhase,
    Topology,
    TrajectoryEntry,
)
from logswarm.operator.metrics import OperatorMetrics, serve

CREATED = datetime(2026, 3, 1, 12, 5, tzinfo=UTC)


def _value(m: OperatorMetrics, name: str, **labels: str) -> float:
    value = m.registry.get_sample_value(name, labels)
    return 0.0 if value is None else value


def _incident(name: str, severity: str = "High") -> dict[str, object]:
    return {
        "metadata": {
            "name": name,
            "namespace": "shop",
            "uid": f"uid-{name}",
            "creationTimestamp": "2026-03-01T12:05:00Z",
        },
        "spec": {
            "severity": severity,
            "window": {"start": "2026-03-01T12:00:00Z", "end": "2026-03-01T12:10:00Z"},
        },
    }


def _status(phase: IncidentPhase) -> IncidentStatus:
    return IncidentStatus(
        phase=phase,
        topology=Topology.LINEAR,
        trajectory=[
            TrajectoryEntry(role="planner", tokens=120, cost_usd=0.002),
            TrajectoryEntry(role="root_cause_analysis", tokens=300, cost_usd=0.01),
            TrajectoryEntry(role="planner", tokens=80, cost_usd=0.001),
        ],
    )


def test_an_analysis_records_latencies_tokens_cost_and_state() -> None:
    m = OperatorMetrics()
    m.observe_analysis(
        _incident("a"), _status(IncidentPhase.REMEDIATING), now=CREATED.replace(second=30)
    )
    detection = "logswarm_operator_incident_detection_latency_seconds"
    assert _value(m, f"{detection}_sum", severity="High") == 300.0  # 12:05 - 12:00
    response = "logswarm_operator_incident_first_response_seconds"
    assert _value(m, f"{response}_sum", severity="High") == 30.0
    tokens = "logswarm_operator_llm_tokens_total"
    assert _value(m, tokens, role="planner", topology="linear") == 200
    assert _value(m, tokens, role="root_cause_analysis", topology="linear") == 300
    cost = "logswarm_operator_llm_cost_usd_total"
    assert _value(m, cost, role="planner", topology="linear") == pytest.approx(0.003)
    gauge = "logswarm_operator_incidents"
    assert _value(m, gauge, severity="High", phase="Remediating") == 1

    # A re-analysis (a spec change) adds tokens but is not a second *first* response.
    m.observe_analysis(_incident("a"), _status(IncidentPhase.ANALYSED))
    assert _value(m, f"{response}_count", severity="High") == 1
    assert _value(m, tokens, role="planner", topology="linear") == 400
    assert _value(m, gauge, severity="High", phase="Remediating") == 0
    assert _value(m, gauge, severity="High", phase="Analysed") == 1

    m.observe_incident_state("shop", "b", "Low", "Pending")
    assert _value(m, gauge, severity="Low", phase="Pending") == 1
    m.forget_incident("shop", "a")
    assert _value(m, gauge, severity="High", phase="Analysed") == 0


def test_remediation_outcomes_count_once_and_rollbacks_by_result() -> None:
    m = OperatorMetrics()
    outcomes = "logswarm_operator_remediation_outcomes_total"
    rollbacks = "logswarm_operator_rollbacks_total"
    m.observe_remediation("shop", "r1", 1, RemediationPhase.VERIFYING)
    assert _value(m, outcomes, outcome="Verifying") == 0  # not terminal
    m.observe_remediation("shop", "r1", 1, RemediationPhase.ROLLED_BACK, rolled_back=True)
    m.observe_remediation("shop", "r1", 1, RemediationPhase.ROLLED_BACK)  # a resume: same
    assert _value(m, outcomes, outcome="RolledBack") == 1
    assert _value(m, rollbacks, result="succeeded") == 1
    m.observe_remediation("shop", "r2", 1, RemediationPhase.FAILED, rolled_back=False)
    m.observe_remediation("shop", "r3", 1, RemediationPhase.SUCCEEDED)
    m.observe_remediation("shop", "r4", 1, RemediationPhase.EXPIRED)
    assert _value(m, rollbacks, result="failed") == 1
    assert _value(m, outcomes, outcome="Succeeded") == 1
    assert _value(m, outcomes, outcome="Expired") == 1


def test_reconcile_duration_by_kind_and_result() -> None:
    m = OperatorMetrics()
    with m.reconcile("AgentPool"):
        pass
    with pytest.raises(KeyError), m.reconcile("Remediation"):
        raise KeyError("boom")
    name = "logswarm_operator_reconcile_seconds_count"
    assert _value(m, name, kind="AgentPool", result="ok") == 1
    assert _value(m, name, kind="Remediation", result="KeyError") == 1


def test_serve_exposes_the_registry_over_http() -> None:
    m = OperatorMetrics()
    m.observe_remediation("shop", "r1", 1, RemediationPhase.SUCCEEDED)
    port = serve(0, host="127.0.0.1", registry=m.registry)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        text = response.read().decode()
    assert 'logswarm_operator_remediation_outcomes_total{outcome="Succeeded"} 1.0' in text
