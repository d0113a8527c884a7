"""One analysis of an Incident: run its pool's topology, report, propose Remediations.

Pure apart from the topology run itself: :func:`analyse` turns an Incident spec and its pool's
topology into the Incident's new status and the Remediation manifests to create; the handler
creates them. The agents' plan speaks the agents' action names (``restart_deployment`` on
entity ``web``); :func:`to_vocabulary` translates the steps it can into the executor's closed
vocabulary and reports the others, so nothing is executed that was not translated exactly.

A relative step ("double the memory limit") is made absolute from the workload as it is now,
read through an injected :data:`WorkloadReader`; every step that changes a Deployment gets a
readiness check, so a change that does not roll out is rolled back from its receipt.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
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

__all__ = ["Analysis", "WorkloadReader", "analyse", "scaled_quantity", "to_vocabulary"]

#: Reads a Deployment (namespace, name) as JSON; None when it does not exist.
WorkloadReader = Callable[[str, str], Mapping[str, Any] | None]
#: Agent actions that change a Deployment's pods: each gets a readiness check.
_ROLLS_OUT = {"restart_deployment", "scale_deployment", "rollback_deployment", "patch_resources"}
_BINARY = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4}
_DECIMAL = {"k": 1, "M": 2, "G": 3, "T": 4}
_QUANTITY = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$")


@dataclass
class Analysis:
    status: IncidentStatus
    remediations: list[dict[str, Any]] = field(default_factory=list)
    untranslated: list[str] = field(default_factory=list)


def _namespace_of(incident: AnalysisIncident, default: str) -> str:
    namespaces = sorted(incident.entity_values(EntityKind.NAMESPACE))
    return namespaces[0] if len(namespaces) == 1 else default


def scaled_quantity(quantity: str, factor: float, resource: str) -> str | None:
    """``quantity`` times ``factor`` as a Kubernetes quantity (CPU in millicores, memory in
    MiB, rounded up); None when ``quantity`` is not one."""
    match = _QUANTITY.match(quantity.strip())
    if match is None or not math.isfinite(factor) or factor <= 0:
        return None
    number, suffix = float(match.group(1)), match.group(2) or ""
    if resource == "cpu":
        cores = number / 1000 if suffix == "m" else number * 1000 ** _DECIMAL.get(suffix, 0)
        return f"{math.ceil(cores * factor * 1000)}m"
    if suffix == "m":
        return None  # milli-bytes: not a memory limit anyone sets on purpose
    size = number * (
        1024 ** _BINARY[suffix] if suffix in _BINARY else 1000 ** _DECIMAL.get(suffix, 0)
    )
    return f"{math.ceil(size * factor / 2**20)}Mi"


def _resources_action(
    step: AgentPlanStep, namespace: str, target: str, read: WorkloadReader | None
) -> tuple[dict[str, Any] | None, str | None]:
    factors = {
        resource: step.params[key]
        for resource, key in (("memory", "memory_limit_factor"), ("cpu", "cpu_limit_factor"))
        if isinstance(step.params.get(key), int | float) and not isinstance(step.params[key], bool)
    }
    if not factors:
        return None, f"step {step.order}: patch_resources without a memory or cpu limit factor"
    workload = read(namespace, target) if read is not None else None
    if workload is None:
        return None, f"step {step.order}: patch_resources needs deployment {namespace}/{target}"
    containers = ((workload.get("spec") or {}).get("template") or {}).get("spec", {}).get(
        "containers"
    ) or []
    named = [c for c in containers if c.get("name") == target]
    chosen = named or (containers if len(containers) == 1 else [])
    if len(chosen) != 1:
        return None, (
            f"step {step.order}: patch_resources cannot tell which of the "
            f"{len(containers)} containers of {namespace}/{target} to change"
        )
    container = chosen[0]
    current = (container.get("resources") or {}).get("limits") or {}
    limits: dict[str, str] = {}
    for resource, factor in sorted(factors.items()):
        if resource not in current:
            return None, (
                f"step {step.order}: {namespace}/{target} container {container['name']} has "
                f"no {resource} limit to raise"
            )
        scaled = scaled_quantity(str(current[resource]), float(factor), resource)
        if scaled is None:
            return None, f"step {step.order}: cannot scale {resource} limit {current[resource]!r}"
        limits[resource] = scaled
    return {
        "kind": "k8s.container.resources",
        "namespace": namespace,
        "name": target,
        "container": str(container["name"]),
        "limits": limits,
    }, None


def to_vocabulary(
    step: AgentPlanStep, *, namespace: str, read_workload: WorkloadReader | None = None
) -> tuple[dict[str, Any] | None, str | None]:
    """The executor's action for an agent's plan step, or why it has none."""
    target = step.target.split("/", 1)[-1]
    if "/" in step.target:
        namespace = step.target.split("/", 1)[0]
    if step.action == "patch_resources":
        return _resources_action(step, namespace, target, read_workload)
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
    body: Mapping[str, Any],
    analysis: IncidentAnalysis,
    namespace: str,
    read_workload: WorkloadReader | None,
) -> tuple[dict[str, Any] | None, list[str]]:
    steps: list[dict[str, Any]] = []
    problems: list[str] = []
    checks: list[dict[str, Any]] = []
    for step in sorted(analysis.plan, key=lambda s: s.order):
        action, problem = to_vocabulary(step, namespace=namespace, read_workload=read_workload)
        if problem is not None or action is None:
            problems.append(problem or f"step {step.order}: no action")
            continue
        if step.action in _ROLLS_OUT:
            check = {"type": "readiness", "namespace": action["namespace"], "name": action["name"]}
            if check not in checks:
                checks.append(check)
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
            "verification": checks[:10],
            "rationale": (analysis.root_cause.summary.text if analysis.root_cause else "")[:2000],
        },
    }
    return manifest, problems


def analyse(
    body: Mapping[str, Any],
    *,
    topology: str,
    now: datetime | None = None,
    read_workload: WorkloadReader | None = None,
) -> Analysis:
    """Run ``topology`` in-process on the Incident and describe the outcome.

    ``read_workload`` reads the Deployments that relative steps refer to; without it such steps
    are reported as untranslated, never guessed.
    """
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
        body, analysis, _namespace_of(incident, str(meta["namespace"])), read_workload
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
