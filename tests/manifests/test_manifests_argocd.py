"""The Argo CD health checks, run in a real Lua interpreter against the operator's status shapes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from logswarm.api import v1alpha1 as v1

lupa = pytest.importorskip("lupa", reason="the Lua runtime for Argo CD health scripts")

CONFIGMAP = Path(__file__).resolve().parents[2] / "manifests" / "argocd" / "argocd-cm-health.yaml"
T0 = datetime(2026, 3, 1, tzinfo=UTC)
KINDS = ("AgentPool", "Incident", "Remediation")


def _scripts() -> dict[str, str]:
    data = yaml.safe_load(CONFIGMAP.read_text())["data"]
    assert isinstance(data, dict)
    return {key.rsplit("_", 1)[1]: value for key, value in data.items()}


def health(kind: str, obj: dict[str, Any]) -> tuple[str, str]:
    """Run the kind's script the way Argo CD does: the object as a global ``obj``."""
    runtime = lupa.LuaRuntime(unpack_returned_tuples=False)
    runtime.globals()["obj"] = _to_lua(runtime, obj)
    result = runtime.execute(_scripts()[kind])
    return str(result["status"]), str(result["message"] or "")


def _to_lua(runtime: Any, value: Any) -> Any:
    if isinstance(value, dict):
        return runtime.table_from({k: _to_lua(runtime, v) for k, v in value.items()})
    if isinstance(value, list):
        return runtime.table_from([_to_lua(runtime, v) for v in value])
    return value


def _obj(status: Any, generation: int = 1) -> dict[str, Any]:
    body = {"metadata": {"name": "x", "generation": generation}}
    if status is not None:
        body["status"] = status.model_dump(mode="json", exclude_none=True)
    return body


def test_a_script_per_kind() -> None:
    assert sorted(_scripts()) == sorted(KINDS)
    data = yaml.safe_load(CONFIGMAP.read_text())["data"]
    assert sorted(data) == [f"resource.customizations.health.logswarm.io_{k}" for k in KINDS]


@pytest.mark.parametrize("kind", KINDS)
def test_no_status_yet_is_progressing(kind: str) -> None:
    assert health(kind, _obj(None))[0] == "Progressing"


def _pool(ready: bool, *, degraded: bool = False, observed: int = 1) -> v1.AgentPoolStatus:
    conditions = v1.set_condition([], "Ready", ready, "Roles", "2/3 roles ready", now=T0)
    conditions = v1.set_condition(
        conditions, "Degraded", degraded, "CrashLoop", "executor crashing", now=T0
    )
    return v1.AgentPoolStatus(observed_generation=observed, conditions=conditions)


def test_agent_pool_health_follows_ready_degraded_and_generation() -> None:
    assert health("AgentPool", _obj(_pool(True))) == ("Healthy", "2/3 roles ready")
    assert health("AgentPool", _obj(_pool(False))) == ("Progressing", "2/3 roles ready")
    assert health("AgentPool", _obj(_pool(False, degraded=True)))[0] == "Degraded"
    stale = health("AgentPool", _obj(_pool(True), generation=2))
    assert stale == ("Progressing", "Waiting for the operator to observe generation 2")


@pytest.mark.parametrize(
    ("phase", "expected"),
    [
        (v1.IncidentPhase.PENDING, "Progressing"),
        (v1.IncidentPhase.ANALYSING, "Progressing"),
        (v1.IncidentPhase.ANALYSED, "Healthy"),
        (v1.IncidentPhase.REMEDIATING, "Healthy"),
        (v1.IncidentPhase.RESOLVED, "Healthy"),
        (v1.IncidentPhase.FAILED, "Degraded"),
    ],
)
def test_incident_health_by_phase(phase: v1.IncidentPhase, expected: str) -> None:
    status = v1.IncidentStatus(
        phase=phase, root_cause=v1.RootCauseStatus(cause="MemoryLimitTooLow", confidence=0.9)
    )
    state, message = health("Incident", _obj(status))
    assert state == expected
    if expected == "Healthy":
        assert message == f"{phase}: MemoryLimitTooLow"


def test_every_phase_has_a_defined_health() -> None:
    for phase in v1.RemediationPhase:
        state, _ = health("Remediation", _obj(v1.RemediationStatus(phase=phase)))
        assert state in {"Healthy", "Progressing", "Suspended", "Degraded"}
    for incident_phase in v1.IncidentPhase:
        state, _ = health("Incident", _obj(v1.IncidentStatus(phase=incident_phase)))
        assert state in {"Healthy", "Progressing", "Degraded"}


@pytest.mark.parametrize(
    ("phase", "expected"),
    [
        (v1.RemediationPhase.AWAITING_APPROVAL, "Suspended"),
        (v1.RemediationPhase.APPLYING, "Progressing"),
        (v1.RemediationPhase.VERIFYING, "Progressing"),
        (v1.RemediationPhase.SUCCEEDED, "Healthy"),
        (v1.RemediationPhase.ROLLED_BACK, "Degraded"),
        (v1.RemediationPhase.DENIED, "Degraded"),
        (v1.RemediationPhase.FAILED, "Degraded"),
        (v1.RemediationPhase.EXPIRED, "Degraded"),
    ],
)
def test_remediation_health_by_phase(phase: v1.RemediationPhase, expected: str) -> None:
    assert health("Remediation", _obj(v1.RemediationStatus(phase=phase)))[0] == expected


def test_rolled_back_remediation_says_why() -> None:
    conditions = v1.set_condition(
        [], "Verified", False, "ErrorRateHigh", "5xx rate 0.2 > 0.05", now=T0
    )
    status = v1.RemediationStatus(phase=v1.RemediationPhase.ROLLED_BACK, conditions=conditions)
    assert health("Remediation", _obj(status)) == ("Degraded", "RolledBack: 5xx rate 0.2 > 0.05")
