"""What a topology run concludes about one incident: :class:`IncidentAnalysis`.

This is the agents layer's answer to the rest of LogSwarm — the CLI prints it, the report
embeds it, the operator copies it into an Incident's status and turns its plan into a
Remediation, the benchmarks score it. It is JSON-serialisable and self-contained: root cause
with confidence and cited evidence, the plan, the validation verdict, a grounding report
computed the same way for every topology, the trajectory and the token / cost totals.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from logswarm.agents.accounting import UsageTotals
from logswarm.agents.contracts import (
    Claim,
    ExecutorOutput,
    GroundingReport,
    IntentOutput,
    PlannerOutput,
    PlanStep,
    RCAOutput,
    RetrievalOutput,
    ReviewerOutput,
    Role,
    RootCause,
    ValidationOutput,
)
from logswarm.agents.grounding import check_grounding, collect_claims, context_ids
from logswarm.agents.topology.engine import RunState, TrajectoryStep

__all__ = ["IncidentAnalysis", "analysis_from_state"]


class IncidentAnalysis(BaseModel):
    model_config = ConfigDict(extra="forbid")

    incident_id: str
    topology: str
    backend: str
    root_cause: RootCause | None = None
    alternatives: list[RootCause] = Field(default_factory=list)
    causal_chain: list[Claim] = Field(default_factory=list)
    confidence: float = 0.0
    cited_evidence: list[str] = Field(default_factory=list)
    intent: IntentOutput | None = None
    playbook_id: str | None = None
    plan_status: str = "none"
    plan: list[PlanStep] = Field(default_factory=list)
    escalate: bool = False
    validation: ValidationOutput | None = None
    review: ReviewerOutput | None = None
    grounding: GroundingReport
    retrieved: list[str] = Field(default_factory=list, description="Doc ids retrieved, best first")
    retrieved_categories: list[str | None] = Field(default_factory=list)
    trajectory: list[TrajectoryStep] = Field(default_factory=list)
    usage: UsageTotals = Field(default_factory=UsageTotals)
    latency_ms: float = 0.0
    errors: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


def analysis_from_state(state: RunState, *, backend: str) -> IncidentAnalysis:
    incident = state.incident
    rca = state.latest(Role.ROOT_CAUSE_ANALYSIS, RCAOutput)
    planner = state.latest(Role.PLANNER, PlannerOutput)
    executor = state.latest(Role.EXECUTOR, ExecutorOutput)
    retrieval = state.latest(Role.RETRIEVAL, RetrievalOutput)
    validation = state.latest(Role.VALIDATION, ValidationOutput)
    root = rca.root_cause if rca else (planner.diagnosis if planner else None)
    claims = [*collect_claims(rca), *collect_claims(planner), *collect_claims(executor)]
    grounding = check_grounding(
        claims,
        context=context_ids(incident, retrieval),
        steps=executor.steps if executor else [],
        incident=incident,
    )
    cited = list(
        dict.fromkeys(
            [
                *(root.summary.evidence if root else []),
                *(i for c in (rca.causal_chain if rca else []) for i in c.evidence),
            ]
        )
    )
    confidence = root.confidence if root else 0.0
    if validation is not None:
        confidence = validation.confidence
    return IncidentAnalysis(
        incident_id=incident.id,
        topology=state.graph.name,
        backend=backend,
        root_cause=root,
        alternatives=rca.alternatives if rca else [],
        causal_chain=rca.causal_chain if rca else [],
        confidence=confidence,
        cited_evidence=cited,
        intent=state.latest(Role.INTENT_CLASSIFIER, IntentOutput),
        playbook_id=planner.playbook_id if planner else None,
        plan_status=executor.status if executor else "none",
        plan=executor.steps if executor else [],
        escalate=bool(planner and planner.escalate),
        validation=validation,
        review=state.latest(Role.REVIEWER, ReviewerOutput),
        grounding=grounding,
        retrieved=[d.doc_id for d in retrieval.documents] if retrieval else [],
        retrieved_categories=[d.category for d in retrieval.documents] if retrieval else [],
        trajectory=state.trajectory,
        usage=state.usage,
        latency_ms=sum(s.latency_ms for s in state.trajectory),
        errors=[f"{s.node}: {s.error}" for s in state.trajectory if s.error],
        notes=list(state.notes),
    )
