"""One analysis of an Incident: run its pool's topology, report, propose Remediations.

Pure apart from the topology run itself: :func:`analyse` turns an Incident spec and its pool's
topology into the Incident's new status and the Remediation manifests to create; the handler
creates them. The agents' plan speaks the agents' action names (``restart_deployment`` on
entity ``web``); :func:`to_vocabulary` translates the steps it can into the executor's closed
vocabulary and reports the others, so nothing is executed that was not translated exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from logswarm.agents import IncidentAnalysis, run_topology
from logswarm.agents.contracts import PlanStep as AgentPlanStep
from logswarm.agents.topology import TOPOLOGIES
from logswarm.api.v1alpha1 import (
    API_VERSION,
    IncidentPhase,
    IncidentSpec,
    IncidentStatus,
    LocalObjectReference,
    RootCauseStatus,
    Topology,
    TrajectoryEntry,
    TrajectoryTotals,
    set_condition,
)
from logswarm.incidents import EntityKind
from logswarm.incidents import Incident as AnalysisIncident

__all__ = ["Analysis", "analyse", "to_vocabulary"]


@dataclass
class Analysis:
    status: IncidentStatus
    remediations: list[dict[str, Any]] = field(default_factory=list)
    untranslated: list[str] = field(default_factory=list)


def _namespace_of(incident: AnalysisIncident, default: str) -> str:
    namespaces = sorted(incident.entity_values(EntityKind.NAMESPACE))
    return namespaces[0] if len(namespaces) == 1 else default


def to_vocabulary(
    step: AgentPlanStep, *, namespace: str
) -> tuple[dict[str, Any] | None, str | None]:
    """The executor's action for an agent's plan step, or why it has none."""
    target = step.target.split("/", 1)[-1]
    if "/" in step.target:
        namespace = step.target.split("/", 1)[0]
    if step.action == "restart_deployment":
        return {"kind": "k8s.deployment.restart", "namespace": namespace, "name": target}, None
    if step.action == "scale_deployment":
        replicas = step.params.get("replicas")
        if not isinstance(replicas, int) or isinstance(replicas, bool):
            return None, f"step {step.order}: scale_deployment without an integer replicas"
        return {
            "kind": "k8s.workload.scale",
            "namespace": namespace,
            "name": target,
            "replicas": replicas,
        }, None
    if step.action == "rollback_deployment":
        return {"kind": "k8s.deployment.rollback", "namespace": namespace, "name": target}, None
    if step.action == "delete_pod":
        return {"kind": "k8s.pod.delete", "namespace": namespace, "name": target}, None
    if step.action == "isolate_pod":
        return {"kind": "k8s.pod.isolate", "namespace": namespace, "name": target}, None
    if step.action == "cordon_node":
        return {"kind": "k8s.node.cordon", "name": target}, None
    return None, f"step {step.order}: {step.action} has no exact translation yet"


def _owner(body: Mapping[str, Any]) -> dict[str, Any]:
    meta = body["metadata"]
    return {
        "apiVersion": API_VERSION,
        "kind": "Incident",
        "name": meta["name"],
        "uid": meta["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def _remediation(
    body: Mapping[str, Any], analysis: IncidentAnalysis, namespace: str
) -> tuple[dict[str, Any] | None, list[str]]:
    steps: list[dict[str, Any]] = []
    problems: list[str] = []
    for step in sorted(analysis.plan, key=lambda s: s.order):
        action, problem = to_vocabulary(step, namespace=namespace)
        if problem is not None:
            problems.append(problem)
            continue
        steps.append(
            {
                "id": f"step-{step.order}",
                "action": action,
                "rationale": step.rationale.text[:2000],
                "cites": [e for e in step.rationale.evidence if e[:1] in "LTED"][:50],
            }
        )
    if not steps:
        return None, problems
    meta = body["metadata"]
    manifest = {
        "apiVersion": API_VERSION,
        "kind": "Remediation",
        "metadata": {
            "name": f"{meta['name']}-1"[:253],
            "namespace": meta["namespace"],
            "labels": {"logswarm.io/incident": meta["name"]},
            "ownerReferences": [_owner(body)],
        },
        "spec": {
            "incidentRef": {"name": meta["name"]},
            "steps": steps,
            "rationale": (analysis.root_cause.summary.text if analysis.root_cause else "")[:2000],
        },
    }
    return manifest, problems


def analyse(body: Mapping[str, Any], *, topology: str, now: datetime | None = None) -> Analysis:
    """Run ``topology`` in-process on the Incident and describe the outcome."""
    meta = body["metadata"]
    generation = int(meta.get("generation", 1))
    spec = IncidentSpec.model_validate(body.get("spec") or {})
    incident = spec.to_incident(str(meta["name"]))
    status = IncidentStatus(observed_generation=generation)
    if topology not in TOPOLOGIES:
        status.phase = IncidentPhase.FAILED
        status.conditions = set_condition(
            [],
            "Analysed",
            False,
            "TopologyUnavailable",
            f"topology {topology} cannot run yet (available: {', '.join(sorted(TOPOLOGIES))})",
            observed_generation=generation,
            now=now,
        )
        return Analysis(status=status)
    (analysis,) = run_topology(topology, [incident])
    status.topology = Topology(topology)
    if analysis.root_cause is not None:
        status.root_cause = RootCauseStatus(
            cause=analysis.root_cause.summary.text[:4096],
            confidence=max(0.0, min(1.0, analysis.confidence)),
            evidence=[e for e in analysis.cited_evidence if e[:1] in "LTED"][:100],
        )
    status.trajectory = [
        TrajectoryEntry(
            role=step.role,
            summary=f"{step.node}: cited {', '.join(step.evidence_cited[:10]) or 'nothing'}",
            tokens=step.prompt_tokens + step.completion_tokens,
            cost_usd=step.cost_usd,
            latency_ms=int(step.latency_ms),
        )
        for step in analysis.trajectory[:200]
    ]
    status.totals = TrajectoryTotals(
        steps=len(analysis.trajectory),
        tokens=analysis.usage.total_tokens,
        cost_usd=analysis.usage.cost_usd,
        latency_ms=int(analysis.latency_ms),
    )
    found = analysis.root_cause is not None
    status.conditions = set_condition(
        [],
        "Analysed",
        True,
        "RootCauseFound" if found else "NoRootCause",
        (
            f"{analysis.root_cause.category} ({analysis.confidence:.2f})"
            if analysis.root_cause
            else "the agents found no root cause in the evidence"
        ),
        observed_generation=generation,
        now=now,
    )
    manifest, problems = _remediation(
        body, analysis, _namespace_of(incident, str(meta["namespace"]))
    )
    remediations = [manifest] if manifest else []
    status.remediation_refs = [
        LocalObjectReference(name=str(m["metadata"]["name"])) for m in remediations
    ]
    status.phase = IncidentPhase.REMEDIATING if remediations else IncidentPhase.ANALYSED
    status.conditions = set_condition(
        status.conditions,
        "RemediationProposed",
        bool(remediations),
        ("Proposed" if not problems else "PartlyProposed") if remediations else "NothingToPropose",
        "; ".join(problems) or f"{len(remediations)} remediation(s) proposed",
        observed_generation=generation,
        now=now,
    )
    return Analysis(status=status, remediations=remediations, untranslated=problems)
