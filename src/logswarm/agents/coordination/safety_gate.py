"""Seed Model 6's Safety (HiTL) agent as a topology role: the remediation policy, applied.

The role does not reason; it applies :class:`logswarm.remediation.safety.SafetyPolicy` (read
only: this module only calls it) to the proposed plan before anything reaches the executor.
Each agent step is translated into the executor's closed vocabulary; a step that has no exact
translation (an AWS action whose parameters the plan does not carry) cannot be assessed and
waits for a person. Without a live backend, target facts are estimated from the evidence: the
target exists (the executor guard already dropped any that is not an entity of the incident),
the blast radius is the pods of a deployment named in the evidence (one pod, one node, one
instance for the single-object actions), and the environment labels are the configured ones
(none: production, as the policy assumes).

The gated plan keeps allowed steps and steps awaiting approval, drops denied ones, and is
escalated to a person whenever a step awaits approval or was denied. No approval can be
granted here: approvals are the operator's, by a person, bound to the exact action.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from logswarm.agents.contracts import (
    ExecutorOutput,
    PlanStep,
    SafetyDecisionRecord,
    SafetyInput,
    SafetyOutput,
)
from logswarm.incidents import EntityKind, Incident
from logswarm.remediation.audit import MemoryAuditLog
from logswarm.remediation.plan import PlanStep as VocabularyStep
from logswarm.remediation.plan import RemediationPlan
from logswarm.remediation.safety import BlastRadius, SafetyAgent, SafetyPolicy, TargetFacts
from logswarm.remediation.vocabulary import ACTION_ADAPTER, ActionSpec

__all__ = ["SafetyGate", "gate_decisions", "translate_step"]


def _namespace(incident: Incident, default: str) -> str:
    namespaces = sorted(incident.entity_values(EntityKind.NAMESPACE))
    return namespaces[0] if len(namespaces) == 1 else default


def translate_step(step: PlanStep, *, namespace: str) -> ActionSpec | None:
    """The executor's action for an agent step, or None when there is no exact translation."""
    name = step.target.split("/", 1)[-1]
    if "/" in step.target:
        namespace = step.target.split("/", 1)[0]
    params = step.params
    raw: dict[str, Any] | None = None
    if step.action == "restart_deployment":
        raw = {"kind": "k8s.deployment.restart", "namespace": namespace, "name": name}
    elif step.action == "rollback_deployment":
        raw = {"kind": "k8s.deployment.rollback", "namespace": namespace, "name": name}
    elif step.action == "scale_deployment" and type(params.get("replicas")) is int:
        raw = {
            "kind": "k8s.workload.scale",
            "namespace": namespace,
            "name": name,
            "replicas": params["replicas"],
        }
    elif step.action == "delete_pod":
        raw = {"kind": "k8s.pod.delete", "namespace": namespace, "name": name}
    elif step.action == "isolate_pod":
        raw = {"kind": "k8s.pod.isolate", "namespace": namespace, "name": name}
    elif step.action == "cordon_node":
        raw = {"kind": "k8s.node.cordon", "name": name}
    elif step.action == "stop_instance":
        raw = {"kind": "aws.ec2.stop_instance", "instance_id": name}
    elif step.action == "set_asg_capacity" and type(params.get("desired_capacity")) is int:
        raw = {
            "kind": "aws.autoscaling.set_desired_capacity",
            "group_name": name,
            "desired_capacity": params["desired_capacity"],
        }
    if raw is None:
        return None
    try:
        return ACTION_ADAPTER.validate_python(raw)
    except ValidationError:
        return None


def _blast(step: PlanStep, incident: Incident) -> BlastRadius:
    name = step.target.split("/", 1)[-1]
    if step.action in ("delete_pod", "isolate_pod"):
        return BlastRadius(pods=1)
    if step.action == "cordon_node":
        return BlastRadius(nodes=1)
    if step.action == "stop_instance":
        return BlastRadius(instances=1)
    if step.target_kind is EntityKind.DEPLOYMENT:
        pods = [p for p in incident.entity_values(EntityKind.POD) if p.startswith(f"{name}-")]
        return BlastRadius(pods=max(1, len(pods)))
    return BlastRadius()


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")[:63].strip("-")
    return slug or "plan"


def gate_decisions(inp: SafetyInput) -> list[SafetyDecisionRecord]:
    """The policy's verdict on every step of ``inp.plan`` (also used by the metrics)."""
    policy = SafetyPolicy.model_validate(inp.policy) if inp.policy else SafetyPolicy()
    agent = SafetyAgent(policy, audit=MemoryAuditLog())
    namespace = _namespace(inp.incident, inp.namespace)
    plan_id = _slug(inp.incident.id)
    records: list[SafetyDecisionRecord] = []
    for step in inp.plan.steps:
        action = translate_step(step, namespace=namespace)
        if action is None:
            records.append(
                SafetyDecisionRecord(
                    order=step.order,
                    action=step.action,
                    target=step.target,
                    verdict="require_approval",
                    risk=step.risk,
                    reasons=["no exact translation into the executor's vocabulary"],
                )
            )
            continue
        vstep = VocabularyStep(id=f"step-{step.order}", action=action)
        plan = RemediationPlan(id=plan_id, incident_id=inp.incident.id, steps=[vstep])
        facts = TargetFacts(
            exists=True,
            blast_radius=_blast(step, inp.incident),
            labels=dict(inp.environment_labels),
        )
        (decision,) = agent.decide(plan, facts={vstep.id: facts})
        records.append(
            SafetyDecisionRecord(
                order=step.order,
                action=step.action,
                target=step.target,
                verdict=decision.verdict.value,
                risk=decision.risk.name.lower(),
                reasons=decision.reasons,
            )
        )
    return records


class SafetyGate:
    """The Safety role: decisions by the policy, the plan gated accordingly."""

    def run(self, inp: SafetyInput) -> SafetyOutput:
        decisions = gate_decisions(inp)
        verdicts = {d.order: d.verdict for d in decisions}
        kept = [s for s in inp.plan.steps if verdicts.get(s.order) != "deny"]
        denied = any(v == "deny" for v in verdicts.values())
        waiting = any(v == "require_approval" for v in verdicts.values())
        if denied:
            status = "blocked"
        elif waiting:
            status = "awaiting_approval"
        elif not inp.plan.steps:
            status = "nothing_to_do"
        else:
            status = "approved"
        plan_status = inp.plan.status
        if denied or waiting:
            plan_status = "escalated"
        plan = ExecutorOutput(status=plan_status, steps=kept, notes=inp.plan.notes)
        return SafetyOutput.model_validate(
            {
                "status": status,
                "decisions": [d.model_dump() for d in decisions],
                "plan": plan.model_dump(),
                "human_review": denied or waiting,
            }
        )
