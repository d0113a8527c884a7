"""Hand-made incidents and trajectories for the scorecard tests.

Analyses are produced by the real topology engine with a scripted transport: each role answers
with an output written here, so a test controls exactly what was claimed and cited while the
trajectory, grounding report and :class:`IncidentAnalysis` are built by the real code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel

from logswarm.agents.analysis import IncidentAnalysis, analysis_from_state
from logswarm.agents.contracts import (
    Claim,
    ExecutorOutput,
    KnowledgeHit,
    Observation,
    PlannerOutput,
    PlanStep,
    RCAOutput,
    RecommenderOutput,
    RetrievalOutput,
    ReviewerOutput,
    Role,
    RootCause,
    ToolCallRecord,
    ValidationOutput,
)
from logswarm.agents.grounding import check_grounding
from logswarm.agents.roles import RoleResult
from logswarm.agents.topology import BUILDERS, CONDITIONS, Engine
from logswarm.agents.topology.run import get_topology
from logswarm.incidents import (
    DetectorScore,
    Entity,
    EntityKind,
    EvidenceLine,
    Incident,
    IncidentSeverity,
    TemplateEvidence,
    TimeWindow,
)
from logswarm.report.model import GroundTruthIncident

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def oom_incident(incident_id: str = "inc-1") -> Incident:
    """checkout's pod runs out of memory (L1, L2), then frontend errors (L3)."""
    return Incident(
        id=incident_id,
        title="Restarts in checkout",
        severity=IncidentSeverity.HIGH,
        window=TimeWindow(start=T0, end=T0 + timedelta(minutes=5)),
        detected_at=T0 + timedelta(minutes=1),
        anomaly_score=2.0,
        services=["checkout", "frontend"],
        templates=[TemplateEvidence(id="T1", template_id=1, template="OOMKilled <*>", count=4)],
        samples=[
            EvidenceLine(id="L1", file="a.log", line=1, timestamp=T0 + timedelta(seconds=10),
                         source="container", service="checkout", severity="ERROR",
                         message="OOMKilled checkout-7c9d5b-x2x9q exit code 137"),
            EvidenceLine(id="L2", file="a.log", line=2, timestamp=T0 + timedelta(seconds=20),
                         source="container", service="checkout", severity="ERROR",
                         message="Memory cgroup out of memory in checkout-7c9d5b-x2x9q"),
            EvidenceLine(id="L3", file="b.log", line=1, timestamp=T0 + timedelta(seconds=40),
                         source="container", service="frontend", severity="ERROR",
                         message="upstream checkout failed"),
        ],
        entities=[
            Entity(id="E1", kind=EntityKind.POD, value="checkout-7c9d5b-x2x9q"),
            Entity(id="E2", kind=EntityKind.DEPLOYMENT, value="checkout"),
            Entity(id="E3", kind=EntityKind.DEPLOYMENT, value="frontend"),
        ],
        scores=[DetectorScore(id="D1", detector="lof", score=1.5, flagged=True)],
    )  # fmt: skip


def oom_truth(truth_id: str = "gt-01") -> GroundTruthIncident:
    return GroundTruthIncident(
        id=truth_id,
        kind="oom_killed",
        root_cause="oom:deployment/checkout",
        start=T0,
        end=T0 + timedelta(minutes=4),
        entities=["checkout-7c9d5b-x2x9q", "checkout", "frontend"],
        remediation="patch_resources",
    )


def cause(category: str, entity: str, value: str, evidence: list[str]) -> RootCause:
    return RootCause(
        category=category,
        entity=entity,
        entity_value=value,
        summary=Claim(text=f"{category} in {value}", evidence=evidence),
        confidence=0.8,
    )


def planner(diagnosis: RootCause, *, summary_evidence: list[str] | None = None,
            playbook: str | None = "oom-killed", escalate: bool = False) -> PlannerOutput:  # fmt: skip
    return PlannerOutput(
        summary=Claim(text="Plan for the incident", evidence=summary_evidence or ["L1"]),
        diagnosis=diagnosis,
        playbook_id=playbook,
        escalate=escalate,
    )


def executor(*, escalated: bool = False) -> ExecutorOutput:
    if escalated:
        return ExecutorOutput(status="escalated")
    return ExecutorOutput(
        status="planned",
        steps=[
            PlanStep(
                order=1,
                action="patch_resources",
                target_kind=EntityKind.DEPLOYMENT,
                target="checkout",
                target_evidence="E2",
                risk="medium",
                rationale=Claim(text="raise the memory limit", evidence=["E2", "L2"]),
            )
        ],
    )


def retrieval(
    categories: list[str | None], *, tool_calls: list[ToolCallRecord] | None = None
) -> RetrievalOutput:
    return RetrievalOutput(
        documents=[
            KnowledgeHit(id=f"K{i}", doc_id=f"runbook:{c}", kind="runbook", title=str(c),
                         score=0.5, excerpt="-", category=c)
            for i, c in enumerate(categories, start=1)
        ],
        observations=[Observation(id="O1", tool="query_logs", summary="3 lines")],
        tool_calls=tool_calls or [],
    )  # fmt: skip


def validation(incident: Incident, rca: RCAOutput, verdict: str = "accept") -> ValidationOutput:
    report = check_grounding([rca.root_cause.summary], context=incident.evidence_ids())
    return ValidationOutput.model_validate(
        {"verdict": verdict, "grounding": report.model_dump(), "confidence": 0.8}
    )


@dataclass
class ScriptedTransport:
    """Answers each role with the output given for it (the latest, when given a list)."""

    outputs: Mapping[str, BaseModel | list[BaseModel]]
    backend: str = "scripted"
    seen: dict[str, int] = field(default_factory=dict)

    def invoke(self, role: str, payload: BaseModel) -> RoleResult:
        answer = self.outputs[role]
        if isinstance(answer, list):
            i = self.seen.get(role, 0)
            self.seen[role] = i + 1
            answer = answer[min(i, len(answer) - 1)]
        return RoleResult(output=answer, backend=self.backend)


def run_scripted(
    topology: str,
    incident: Incident,
    outputs: Mapping[str, BaseModel | list[BaseModel]],
    *,
    backend: str = "scripted",
) -> IncidentAnalysis:
    engine = Engine(
        transport=ScriptedTransport(outputs, backend=backend),
        builders=BUILDERS,
        conditions=CONDITIONS,
    )
    state = engine.run(get_topology(topology), incident)
    return analysis_from_state(state, backend=backend)


def good_rag_outputs(incident: Incident) -> dict[str, BaseModel | list[BaseModel]]:
    """A correct, fully cited RAG answer for :func:`oom_incident`."""
    root = cause("oom", "E1", "checkout-7c9d5b-x2x9q", ["L1", "E1"])
    rca = RCAOutput(
        root_cause=root,
        causal_chain=[
            Claim(text="checkout-7c9d5b-x2x9q is killed first", evidence=["L1", "E1"]),
            Claim(text="frontend errors follow", evidence=["L3"]),
        ],
    )
    return {
        Role.INTENT_CLASSIFIER: _intent(),
        Role.RETRIEVAL: retrieval(
            ["oom", "bad_deploy", "dns_failure"],
            tool_calls=[
                ToolCallRecord(tool="query_logs", arguments={"entity": "checkout-7c9d5b-x2x9q"},
                               ok=True, observations=["O1"]),
            ],
        ),
        Role.ROOT_CAUSE_ANALYSIS: rca,
        Role.VALIDATION: validation(incident, rca),
        Role.REMEDIATION_RECOMMENDER: RecommenderOutput(),
        Role.PLANNER: planner(root),
        Role.EXECUTOR: executor(),
        Role.REVIEWER: ReviewerOutput(verdict="unverified", rollback=False),
    }  # fmt: skip


def _intent() -> BaseModel:
    from logswarm.agents.contracts import IntentOutput

    return IntentOutput.model_validate(
        {
            "category": "operational_issue",
            "severity": "High",
            "urgency": "high",
            "blast_radius": "service",
        }
    )
