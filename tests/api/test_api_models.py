"""The v1alpha1 models: conventions, and the bridges to the analysis and remediation libraries."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel, ValidationError

from logswarm import incidents
from logswarm.agents.topology.run import TOPOLOGY_NAMES
from logswarm.api import v1alpha1 as v1
from logswarm.remediation.plan import RemediationPlan
from logswarm.remediation.safety import Risk
from logswarm.remediation.vocabulary import ScaleWorkload

SAMPLES = Path(__file__).resolve().parents[2] / "manifests" / "samples"
T0 = datetime(2026, 3, 1, 14, 0, tzinfo=UTC)
T1 = datetime(2026, 3, 1, 14, 5, tzinfo=UTC)


def _sample(name: str) -> dict[str, Any]:
    document = yaml.safe_load((SAMPLES / name).read_text())
    assert isinstance(document, dict)
    return document


def test_public_names_are_exported() -> None:
    missing = [name for name in v1.__all__ if not hasattr(v1, name)]
    assert missing == []


def test_set_condition_moves_transition_time_only_on_a_status_change() -> None:
    first = v1.set_condition([], "Ready", False, "RolesStarting", now=T0)
    same = v1.set_condition(first, "Ready", False, "StillStarting", "2 of 3", now=T1)
    assert same[0].last_transition_time == T0
    assert (same[0].reason, same[0].message) == ("StillStarting", "2 of 3")
    flipped = v1.set_condition(same, "Ready", True, "AllRolesReady", observed_generation=4, now=T1)
    assert flipped[0].last_transition_time == T1
    assert flipped[0].status is v1.ConditionStatus.TRUE
    assert flipped[0].observed_generation == 4
    both = v1.set_condition(flipped, "Degraded", False, "AsExpected", now=T1)
    assert [c.type for c in both] == ["Ready", "Degraded"]


def test_condition_reason_must_be_one_camel_case_word() -> None:
    with pytest.raises(ValidationError, match="reason"):
        v1.Condition(type="Ready", status="True", reason="not ready", last_transition_time=T0)


def test_conditions_dump_camel_case() -> None:
    (condition,) = v1.set_condition([], "Approved", True, "ApprovedByPerson", now=T0)
    assert condition.model_dump(mode="json", exclude_none=True) == {
        "type": "Approved",
        "status": "True",
        "reason": "ApprovedByPerson",
        "message": "",
        "lastTransitionTime": "2026-03-01T14:00:00Z",
    }


def test_every_implemented_topology_is_an_agent_pool_topology() -> None:
    assert set(TOPOLOGY_NAMES) <= {t.value for t in v1.Topology}


def test_risk_level_names_every_safety_risk() -> None:
    assert {level.to_risk() for level in v1.RiskLevel} == set(Risk)


@pytest.mark.parametrize(
    ("mirror", "original"),
    [
        (v1.TemplateItem, incidents.TemplateEvidence),
        (v1.EvidenceLineItem, incidents.EvidenceLine),
        (v1.EntityItem, incidents.Entity),
        (v1.DetectorScoreItem, incidents.DetectorScore),
    ],
)
def test_evidence_mirror_has_every_field_of_the_library_model(
    mirror: type[BaseModel], original: type[BaseModel]
) -> None:
    assert set(mirror.model_fields) == set(original.model_fields)


def test_incident_sample_becomes_the_analysis_incident() -> None:
    resource = v1.Incident.model_validate(_sample("incident.yaml"))
    incident = resource.spec.to_incident("checkout-oom")
    assert isinstance(incident, incidents.Incident)
    assert incident.severity is incidents.IncidentSeverity.HIGH
    assert incident.evidence_ids() == {"T1", "L1", "E1", "E2", "D1"}
    assert incident.entity_values(incidents.EntityKind.DEPLOYMENT) == {"shop/checkout"}
    assert incident.samples[0].location == "pods/shop/checkout-7d9f.log:118"


def test_remediation_sample_becomes_the_executor_plan() -> None:
    resource = v1.Remediation.model_validate(_sample("remediation.yaml"))
    plan = resource.spec.to_plan("checkout-oom-memory")
    assert isinstance(plan, RemediationPlan)
    assert plan.incident_id == "checkout-oom"
    assert [step.id for step in plan.steps] == ["raise-memory"]
    assert plan.verification[0].type == "readiness"


def test_remediation_actions_are_the_closed_vocabulary() -> None:
    spec = v1.RemediationSpec.model_validate(
        {
            "incidentRef": {"name": "i"},
            "steps": [
                {
                    "id": "s",
                    "action": {
                        "kind": "k8s.workload.scale",
                        "namespace": "a",
                        "name": "b",
                        "replicas": 2,
                    },
                }
            ],
        }
    )
    assert isinstance(spec.steps[0].action, ScaleWorkload)
    with pytest.raises(ValidationError):
        v1.RemediationSpec.model_validate(
            {
                "incidentRef": {"name": "i"},
                "steps": [{"id": "s", "action": {"kind": "shell", "cmd": "rm"}}],
            }
        )
    with pytest.raises(ValidationError):
        # The vocabulary's grammar still applies: no free text reaches an API call.
        v1.RemediationSpec.model_validate(
            {
                "incidentRef": {"name": "i"},
                "steps": [
                    {
                        "id": "s",
                        "action": {"kind": "k8s.pod.delete", "namespace": "a b", "name": "p"},
                    }
                ],
            }
        )


def test_agent_pool_rejects_out_of_range_replicas_and_unknown_fields() -> None:
    pool = _sample("agentpools/linear.yaml")
    pool["spec"]["roles"][0]["replicas"] = 21
    with pytest.raises(ValidationError, match="replicas"):
        v1.AgentPool.model_validate(pool)
    pool = _sample("agentpools/linear.yaml")
    pool["spec"]["approvedBy"] = "mallory"
    with pytest.raises(ValidationError, match="approvedBy"):
        v1.AgentPool.model_validate(pool)


@pytest.mark.parametrize(
    "name",
    sorted(
        str(p.relative_to(SAMPLES))
        for p in SAMPLES.rglob("*.yaml")
        if p.name != "kustomization.yaml"
    ),
)
def test_samples_parse_into_the_models(name: str) -> None:
    document = _sample(name)
    model = {"AgentPool": v1.AgentPool, "Incident": v1.Incident, "Remediation": v1.Remediation}
    model[document["kind"]].model_validate(document)


def test_approval_is_an_annotation_not_a_spec_field() -> None:
    assert v1.APPROVED_BY_ANNOTATION == "logswarm.io/approved-by"
    assert not any("approv" in field.lower() for field in v1.RemediationSpec.model_fields)
    assert "approved_by" in v1.RemediationStatus.model_fields
