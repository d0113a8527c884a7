"""Typed contracts of the agent roles: what each role receives and what it must answer.

Every role of the seed is a pair of pydantic models (input, output). The same pair is used
whoever fulfils the role — the deterministic reasoner, an LLM behind litellm, or an agent pod
reached over HTTP — so topologies, the validation agent and the benchmarks never care which
backend answered. Output models are also the JSON schema an LLM is asked to follow, so they
carry field descriptions and stay flat enough for a small model.

Claims are the unit of grounding: a :class:`Claim` is one sentence plus the evidence ids it
rests on. Ids come from the incident (``L#`` lines, ``T#`` templates, ``E#`` entities,
``D#`` detector scores), from retrieval (``K#`` knowledge hits) and from tool observations
(``O#``). Citations are plain strings on purpose: an invented id must reach the grounding
checker to be counted as a hallucination, not be rejected by the schema and silently repaired.

Remediation steps name actions from the closed vocabulary of the executor issue
(:data:`ActionName`); a log line can never widen it.
"""

from __future__ import annotations

import enum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from logswarm.actions import ActionName
from logswarm.incidents import EntityKind, Incident, IncidentSeverity

__all__ = [
    "ACTION_TARGET_KINDS",
    "ROLE_CONTRACTS",
    "SPECIALIST_DOMAINS",
    "SPECIALIST_PLAYBOOK_DOMAINS",
    "ActionName",
    "ArgumentScore",
    "Award",
    "Bid",
    "BidScore",
    "Claim",
    "Confidence",
    "CoordinatorInput",
    "CoordinatorOutput",
    "CorrelationGroup",
    "DebateStrategy",
    "DebaterInput",
    "DebaterOutput",
    "EvidenceId",
    "ExecutorInput",
    "ExecutorOutput",
    "GatewayInput",
    "GatewayOutput",
    "GlobalSynthesisRef",
    "GroundingReport",
    "Hallucination",
    "IntentCategory",
    "IntentInput",
    "IntentOutput",
    "KnowledgeHit",
    "MemoryEntry",
    "MemoryInput",
    "MemoryOutput",
    "MetricObservation",
    "Observation",
    "Outcome",
    "PlanStep",
    "PlannerInput",
    "PlannerOutput",
    "RCAInput",
    "RCAOutput",
    "Recommendation",
    "RecommenderInput",
    "RecommenderOutput",
    "RefereeInput",
    "RefereeOutput",
    "RegionalInput",
    "RegionalInsight",
    "RegionalOutput",
    "RegionalReport",
    "RetrievalInput",
    "RetrievalOutput",
    "ReviewerInput",
    "ReviewerOutput",
    "Risk",
    "Role",
    "RootCause",
    "SafetyDecisionRecord",
    "SafetyInput",
    "SafetyOutput",
    "SpecialistInput",
    "SpecialistOutput",
    "Subtask",
    "SynthesizerInput",
    "SynthesizerOutput",
    "TaskAnnouncement",
    "ToolCallRecord",
    "ValidationInput",
    "ValidationOutput",
    "VerificationCheck",
    "contract_for",
]


class Role(enum.StrEnum):
    """Every agent role of the seed. Roles without a contract yet are listed so that
    configuration (AgentPool) and graphs can already name them."""

    PLANNER = "planner"
    EXECUTOR = "executor"
    REVIEWER = "reviewer"
    RETRIEVAL = "retrieval"
    ROOT_CAUSE_ANALYSIS = "root_cause_analysis"
    INTENT_CLASSIFIER = "intent_classifier"
    VALIDATION = "validation"
    REMEDIATION_RECOMMENDER = "remediation_recommender"
    CONTEXT_MEMORY_MANAGER = "context_memory_manager"
    # Seed Models 4-6 (auction, federated, debate); the learning agent has no contract yet.
    COORDINATOR = "coordinator"
    SECURITY_SPECIALIST = "security_specialist"
    PERFORMANCE_SPECIALIST = "performance_specialist"
    NETWORK_SPECIALIST = "network_specialist"
    DATABASE_SPECIALIST = "database_specialist"
    DEBATER = "debater"
    REFEREE = "referee"
    SAFETY = "safety"
    FEDERATION_GATEWAY = "federation_gateway"
    REGIONAL_COORDINATOR = "regional_coordinator"
    GLOBAL_SYNTHESIZER = "global_synthesizer"
    LEARNING = "learning"


#: Which kind of entity each action acts on; a step's target must be an entity of this kind
#: present in the incident's evidence.
ACTION_TARGET_KINDS: dict[str, EntityKind] = {
    "restart_deployment": EntityKind.DEPLOYMENT,
    "scale_deployment": EntityKind.DEPLOYMENT,
    "rollback_deployment": EntityKind.DEPLOYMENT,
    "patch_resources": EntityKind.DEPLOYMENT,
    "delete_pod": EntityKind.POD,
    "isolate_pod": EntityKind.POD,
    "cordon_node": EntityKind.NODE,
    "deactivate_access_key": EntityKind.ACCESS_KEY,
    "revoke_security_group_ingress": EntityKind.SECURITY_GROUP,
    "add_nacl_deny": EntityKind.IP,
    "set_asg_capacity": EntityKind.ASG,
    "stop_instance": EntityKind.INSTANCE,
    "set_lambda_concurrency": EntityKind.LAMBDA,
}

Risk = Literal["low", "medium", "high"]
Outcome = Literal["resolved", "not_resolved", "unverified"]
Confidence = Annotated[float, Field(ge=0.0, le=1.0)]
ParamValue = str | int | float | bool


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


#: The shape of a citation. Only the shape: an id that does not exist in the context still
#: validates here and is caught (and counted) by the grounding checker. The pattern and the
#: length bounds below also reach a local model's grammar, which keeps small models from
#: pasting whole log lines where an id belongs.
EvidenceId = Annotated[str, Field(pattern=r"^[LTEDKO][0-9]+$")]

#: How many evidence ids one claim may cite: enough for a real argument, few enough to read.
MAX_CITATIONS = 12


class Claim(_Model):
    """One statement and the evidence ids it rests on."""

    text: str = Field(max_length=400, description="One factual sentence")
    evidence: list[EvidenceId] = Field(
        default_factory=list,
        max_length=MAX_CITATIONS,
        description="Ids (like L3, T1, E2) of the evidence this sentence rests on",
    )


class Hallucination(_Model):
    """A claim (or a plan target) that the evidence does not support."""

    text: str
    reason: Literal["uncited", "unknown_id", "unknown_target"]
    ids: list[str] = Field(default_factory=list)


class GroundingReport(_Model):
    """The seed's grounding score of one answer: the share of its claims fully grounded."""

    score: Confidence
    claims_total: int
    claims_grounded: int
    citations_total: int
    citations_valid: int
    hallucinations: list[Hallucination] = Field(default_factory=list)


class ToolCallRecord(_Model):
    """One tool call an agent made, kept in the trajectory (tool-call accuracy is scored on it)."""

    tool: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    ok: bool
    error: str | None = None
    #: Ids of the observations the call produced (``O#``).
    observations: list[str] = Field(default_factory=list)


class Observation(_Model):
    """Something a tool returned, citeable as ``O#``."""

    id: Annotated[str, Field(pattern=r"^O\d+$")]
    tool: str
    summary: str
    data: dict[str, Any] = Field(default_factory=dict)


class KnowledgeHit(_Model):
    """A past incident or runbook retrieved for the current incident, citeable as ``K#``."""

    id: Annotated[str, Field(pattern=r"^K\d+$")]
    doc_id: str
    kind: Literal["runbook", "incident"]
    title: str
    score: float
    excerpt: str
    category: str | None = None
    remediation: list[str] = Field(default_factory=list)
    outcome: str | None = None


# --- Intent Classifier -------------------------------------------------------------------------


class IntentCategory(enum.StrEnum):
    SECURITY_THREAT = "security_threat"
    OPERATIONAL_ISSUE = "operational_issue"
    PERFORMANCE = "performance"
    NETWORK = "network"
    CONFIGURATION_DRIFT = "configuration_drift"
    UNKNOWN = "unknown"


class IntentInput(_Model):
    incident: Incident


class IntentOutput(_Model):
    category: IntentCategory
    severity: IncidentSeverity
    urgency: Literal["immediate", "high", "normal", "low"]
    affected_services: list[str] = Field(default_factory=list)
    blast_radius: Literal["single_resource", "service", "multi_service", "account"]
    key_entities: list[str] = Field(
        default_factory=list, description="Entity ids (E#) worth investigating first"
    )
    routing_tags: list[str] = Field(
        default_factory=list,
        description="Specialist domains: security, performance, network, database",
    )
    rationale: list[Claim] = Field(default_factory=list)


# --- Retrieval ---------------------------------------------------------------------------------


class RetrievalInput(_Model):
    incident: Incident
    intent: IntentOutput | None = None
    k: int = Field(default=3, ge=1, le=20)
    #: How many times validation already asked for more evidence; each round widens the search.
    round: int = Field(default=0, ge=0)
    requested: list[str] = Field(
        default_factory=list, description="What validation asked to look for"
    )


class RetrievalOutput(_Model):
    documents: list[KnowledgeHit] = Field(default_factory=list)
    observations: list[Observation] = Field(default_factory=list)
    tool_calls: list[ToolCallRecord] = Field(default_factory=list)
    claims: list[Claim] = Field(default_factory=list)


# --- Root Cause Analysis -----------------------------------------------------------------------


class RootCause(_Model):
    """A candidate cause: what failed, in which entity, and why we think so."""

    category: str = Field(description="Cause category from the playbook catalogue, or 'unknown'")
    entity: str | None = Field(default=None, description="Entity id (E#) of the culprit")
    entity_value: str | None = Field(default=None, description="The culprit's name")
    summary: Claim
    confidence: Confidence


class RCAInput(_Model):
    incident: Incident
    intent: IntentOutput | None = None
    retrieval: RetrievalOutput | None = None
    #: Service -> services it calls. Faults propagate from callee to caller.
    dependencies: dict[str, list[str]] = Field(default_factory=dict)


class RCAOutput(_Model):
    root_cause: RootCause
    alternatives: list[RootCause] = Field(
        default_factory=list, max_length=3, description="Next best causes"
    )
    causal_chain: list[Claim] = Field(
        default_factory=list, max_length=8, description="From cause to symptoms, each step cited"
    )


# --- Validation --------------------------------------------------------------------------------


class ValidationInput(_Model):
    incident: Incident
    rca: RCAOutput
    retrieval: RetrievalOutput | None = None
    steps: list[PlanStep] = Field(default_factory=list)
    min_confidence: Confidence = 0.5
    min_grounding: Confidence = 0.8


class ValidationOutput(_Model):
    verdict: Literal["accept", "need_more_evidence", "reject"]
    grounding: GroundingReport
    issues: list[str] = Field(default_factory=list)
    requested_evidence: list[str] = Field(default_factory=list)
    confidence: Confidence


# --- Remediation Recommender -------------------------------------------------------------------


class Recommendation(_Model):
    playbook_id: str
    action: ActionName
    target: str = Field(description="Entity id (E#) the action applies to")
    target_value: str
    params: dict[str, ParamValue] = Field(default_factory=dict)
    priority: int = Field(ge=1, description="1 runs first")
    risk: Risk
    confidence: Confidence
    depends_on: list[int] = Field(
        default_factory=list, description="Priorities that must run first"
    )
    blast_radius: Literal["single_resource", "service", "multi_service", "account"]
    rationale: Claim


class RecommenderInput(_Model):
    incident: Incident
    rca: RCAOutput
    retrieval: RetrievalOutput | None = None


class RecommenderOutput(_Model):
    recommendations: list[Recommendation] = Field(default_factory=list)
    claims: list[Claim] = Field(default_factory=list)


# --- Planner -----------------------------------------------------------------------------------


class Subtask(_Model):
    description: str = Field(max_length=300)
    assignee: Role
    evidence: list[EvidenceId] = Field(default_factory=list, max_length=12)


class PlannerInput(_Model):
    incident: Incident
    retrieval: RetrievalOutput | None = None
    rca: RCAOutput | None = None
    recommendations: RecommenderOutput | None = None
    validation: ValidationOutput | None = None


class PlannerOutput(_Model):
    summary: Claim
    diagnosis: RootCause
    playbook_id: str | None = Field(default=None, description="Chosen playbook id, if any")
    subtasks: list[Subtask] = Field(default_factory=list, max_length=6)
    escalate: bool = Field(default=False, description="Hand to a person instead of acting")


# --- Executor (plan level) ---------------------------------------------------------------------


class PlanStep(_Model):
    """One action of the remediation plan. The executor issue turns it into a real change."""

    order: int = Field(ge=1)
    action: ActionName
    target_kind: EntityKind
    target: str = Field(description="The entity's value (a pod name, an access key id...)")
    target_evidence: str = Field(description="Entity id (E#) naming the target")
    params: dict[str, ParamValue] = Field(default_factory=dict)
    risk: Risk
    reversible: bool = True
    dry_run: bool = True
    verification: str | None = Field(default=None, description="Metric query that shows success")
    rationale: Claim


class ExecutorInput(_Model):
    incident: Incident
    plan: PlannerOutput
    recommendations: RecommenderOutput | None = None


class ExecutorOutput(_Model):
    status: Literal["planned", "nothing_to_do", "escalated"]
    steps: list[PlanStep] = Field(default_factory=list)
    notes: list[Claim] = Field(default_factory=list)


# --- Reviewer ----------------------------------------------------------------------------------


class MetricObservation(_Model):
    query: str
    before: float | None = None
    after: float | None = None


class VerificationCheck(_Model):
    query: str
    expectation: str
    ok: bool | None = None
    evidence: list[str] = Field(default_factory=list)


class ReviewerInput(_Model):
    incident: Incident
    steps: list[PlanStep] = Field(default_factory=list)
    metrics: list[MetricObservation] = Field(default_factory=list)


class ReviewerOutput(_Model):
    verdict: Literal["resolved", "not_resolved", "unverified"]
    rollback: bool
    checks: list[VerificationCheck] = Field(default_factory=list)
    claims: list[Claim] = Field(default_factory=list)


# --- Context Memory Manager --------------------------------------------------------------------


class MemoryEntry(_Model):
    """A resolved incident as remembered for the next one."""

    incident_id: str
    title: str
    signature: str = Field(description="Category + target kind + services: same cause, same key")
    category: str
    root_cause: str
    remediation: list[str] = Field(default_factory=list)
    outcome: Outcome
    text: str = Field(description="What the index embeds: templates and sample messages")
    stored_at: str = Field(description="ISO-8601 UTC time of storage")


class MemoryInput(_Model):
    operation: Literal["store", "query", "prune"]
    entry: MemoryEntry | None = None
    query: str | None = None
    k: int = Field(default=3, ge=1, le=20)


class MemoryOutput(_Model):
    stored: list[str] = Field(default_factory=list)
    pruned: list[str] = Field(default_factory=list)
    hits: list[KnowledgeHit] = Field(default_factory=list)


ValidationInput.model_rebuild()


# === Seed Models 4-6: auction, federation, debate ================================================
# Contracts of the coordination roles. The offline implementations live in
# :mod:`logswarm.agents.coordination`; the graphs in :mod:`logswarm.agents.topology.coordination`.

#: The four specialists of the auction and the playbook domain each one owns.
SPECIALIST_DOMAINS: dict[str, str] = {
    Role.SECURITY_SPECIALIST: "security",
    Role.PERFORMANCE_SPECIALIST: "performance",
    Role.NETWORK_SPECIALIST: "network",
    Role.DATABASE_SPECIALIST: "database",
}

#: The playbook domains each specialist answers for. The seed has no platform specialist; its
#: Performance Specialist's remit (resource bottlenecks, correlation with deployment changes)
#: covers the platform playbooks (bad deploys, image pulls, probes, disk pressure).
SPECIALIST_PLAYBOOK_DOMAINS: dict[str, tuple[str, ...]] = {
    Role.SECURITY_SPECIALIST: ("security",),
    Role.PERFORMANCE_SPECIALIST: ("performance", "platform"),
    Role.NETWORK_SPECIALIST: ("network",),
    Role.DATABASE_SPECIALIST: ("database",),
}


class TaskAnnouncement(_Model):
    """What the auctioneer broadcasts: the task, and the domains the evidence hints at."""

    task_id: str
    incident_id: str
    summary: Claim
    domain_hints: list[str] = Field(
        default_factory=list, description="Specialist domains the evidence mentions"
    )


class Bid(_Model):
    """A specialist's offer: how confident it is that the incident is in its domain."""

    specialist: str = Field(description="The bidder's role, e.g. security_specialist")
    domain: str
    confidence: Confidence
    evidence_score: float = Field(ge=0.0, description="Weighted domain evidence found")
    rationale: Claim


class BidScore(_Model):
    """How the award rule valued one bid."""

    specialist: str
    confidence: Confidence
    reputation: float
    availability: float
    score: float


class Award(_Model):
    task_id: str
    winner: str | None = Field(description="The winning specialist's role; None when no bids")
    rule: str = Field(description="The award rule applied, in words")
    ranking: list[BidScore] = Field(default_factory=list)
    rationale: Claim


class CoordinatorInput(_Model):
    """One of the auctioneer's three moves: announce the task, award it, or learn from it."""

    phase: Literal["announce", "award", "feedback"]
    incident: Incident
    task: TaskAnnouncement | None = None
    bids: list[Bid] = Field(default_factory=list)
    award: Award | None = None
    rca: RCAOutput | None = None
    review: ReviewerOutput | None = None


class CoordinatorOutput(_Model):
    phase: Literal["announce", "award", "feedback"]
    task: TaskAnnouncement | None = None
    award: Award | None = None
    #: Reputation of every specialist after this move (1.0 is neutral; kept in [0.5, 1.5]).
    reputation: dict[str, float] = Field(default_factory=dict)
    #: Feedback only: the reward in [0, 1] credited to the winner.
    reward: float | None = None
    claims: list[Claim] = Field(default_factory=list)


class SpecialistInput(_Model):
    """A specialist either bids on an announced task or, once awarded, analyses it."""

    phase: Literal["bid", "solve"]
    incident: Incident
    task: TaskAnnouncement
    dependencies: dict[str, list[str]] = Field(default_factory=dict)


class SpecialistOutput(_Model):
    specialist: str
    domain: str
    bid: Bid
    rca: RCAOutput | None = Field(default=None, description="Only when solving an awarded task")


class RegionalReport(_Model):
    """A region's own analysis. It stays in the region: only the gateway reads it."""

    region: str
    quiet: bool = Field(description="No evidence in this region")
    rca: RCAOutput | None = None
    lines: int = Field(ge=0, description="Evidence lines the region holds")
    raw_bytes: int = Field(ge=0, description="Size of those lines as raw text")
    services: list[str] = Field(default_factory=list)
    culprit_kind: str | None = None
    culprit_fingerprint: str | None = Field(
        default=None, description="Pseudonym of the culprit: equal values, equal fingerprints"
    )


class GlobalSynthesisRef(_Model):
    """The part of a global synthesis a region needs to respond."""

    scope: Literal["global", "regional", "none"]
    category: str
    regions: list[str] = Field(default_factory=list)


class RegionalInput(_Model):
    """A regional coordinator analyses its region's evidence, or responds to a global verdict."""

    phase: Literal["analyse", "respond"]
    region: str
    #: The region's own evidence only (a sub-incident with the original evidence ids).
    incident: Incident
    dependencies: dict[str, list[str]] = Field(default_factory=dict)
    synthesis: GlobalSynthesisRef | None = None


class RegionalOutput(_Model):
    region: str
    phase: Literal["analyse", "respond"]
    report: RegionalReport | None = None
    rca: RCAOutput | None = Field(default=None, description="Respond phase: the local RCA")


class RegionalInsight(_Model):
    """What crosses the federation gateway: an insight about a region, never its raw data."""

    region: str
    status: Literal["anomaly", "quiet"]
    category: str = "unknown"
    culprit_kind: str | None = None
    culprit_ref: str | None = Field(default=None, description="Entity id (E#), not its value")
    culprit_fingerprint: str | None = None
    services: list[str] = Field(default_factory=list)
    evidence: list[str] = Field(default_factory=list, description="Evidence ids, not contents")
    confidence: Confidence = 0.0
    lines: int = 0


class GatewayInput(_Model):
    reports: list[RegionalReport] = Field(default_factory=list)


class GatewayOutput(_Model):
    insights: list[RegionalInsight] = Field(default_factory=list)
    #: Bytes of raw evidence the regions hold, and bytes of insight actually shared.
    bytes_raw: int = 0
    bytes_shared: int = 0
    #: Fields the gateway dropped because they could carry raw data.
    redactions: list[str] = Field(default_factory=list)


class SynthesizerInput(_Model):
    insights: list[RegionalInsight] = Field(default_factory=list)
    min_regions: int = Field(default=2, ge=2, description="Regions needed for a global incident")


class CorrelationGroup(_Model):
    category: str
    regions: list[str]
    same_culprit: bool = Field(description="The regions' culprit fingerprints agree")
    confidence: Confidence


class SynthesizerOutput(_Model):
    scope: Literal["global", "regional", "none"]
    category: str
    regions: list[str] = Field(default_factory=list, description="Regions sharing the cause")
    lead_region: str | None = None
    groups: list[CorrelationGroup] = Field(default_factory=list)
    root_cause: RootCause
    claims: list[Claim] = Field(default_factory=list)


DebateStrategy = Literal["temporal", "dependency", "frequency"]


class DebaterInput(_Model):
    incident: Incident
    strategy: DebateStrategy
    dependencies: dict[str, list[str]] = Field(default_factory=dict)


class DebaterOutput(_Model):
    strategy: DebateStrategy
    rca: RCAOutput
    argument: list[Claim] = Field(default_factory=list, max_length=8)


class RefereeInput(_Model):
    incident: Incident
    arguments: list[DebaterOutput] = Field(default_factory=list)
    #: Below this share of debaters agreeing with the selection, a person should look.
    min_agreement: Confidence = 0.6


class ArgumentScore(_Model):
    strategy: str
    category: str
    entity: str | None = None
    grounding: Confidence
    coverage: Confidence
    support: Confidence
    score: Confidence


class RefereeOutput(_Model):
    selected: str = Field(description="Strategy of the selected argument")
    rca: RCAOutput
    scores: list[ArgumentScore] = Field(default_factory=list)
    agreement: Confidence = Field(description="Share of debaters naming the selected cause")
    unresolved: bool = Field(description="Agreement below the threshold: flagged for a person")
    claims: list[Claim] = Field(default_factory=list)


class SafetyDecisionRecord(_Model):
    order: int
    action: str
    target: str
    verdict: Literal["allow", "require_approval", "deny"]
    risk: str
    reasons: list[str] = Field(default_factory=list)


class SafetyInput(_Model):
    incident: Incident
    plan: ExecutorOutput
    #: Labels of the environment acted on (``env: staging``...); unlabelled counts as production.
    environment_labels: dict[str, str] = Field(default_factory=dict)
    #: The safety policy as configured (``None``: the packaged default). Never from a plan.
    policy: dict[str, Any] | None = None
    namespace: str = "default"


class SafetyOutput(_Model):
    status: Literal["approved", "awaiting_approval", "blocked", "nothing_to_do"]
    decisions: list[SafetyDecisionRecord] = Field(default_factory=list)
    #: The plan as gated: denied steps removed; escalated while a step awaits a person.
    plan: ExecutorOutput
    human_review: bool


#: Role -> (input model, output model), for roles whose contract exists.
ROLE_CONTRACTS: dict[str, tuple[type[BaseModel], type[BaseModel]]] = {
    Role.INTENT_CLASSIFIER: (IntentInput, IntentOutput),
    Role.RETRIEVAL: (RetrievalInput, RetrievalOutput),
    Role.ROOT_CAUSE_ANALYSIS: (RCAInput, RCAOutput),
    Role.VALIDATION: (ValidationInput, ValidationOutput),
    Role.REMEDIATION_RECOMMENDER: (RecommenderInput, RecommenderOutput),
    Role.PLANNER: (PlannerInput, PlannerOutput),
    Role.EXECUTOR: (ExecutorInput, ExecutorOutput),
    Role.REVIEWER: (ReviewerInput, ReviewerOutput),
    Role.CONTEXT_MEMORY_MANAGER: (MemoryInput, MemoryOutput),
    Role.COORDINATOR: (CoordinatorInput, CoordinatorOutput),
    Role.SECURITY_SPECIALIST: (SpecialistInput, SpecialistOutput),
    Role.PERFORMANCE_SPECIALIST: (SpecialistInput, SpecialistOutput),
    Role.NETWORK_SPECIALIST: (SpecialistInput, SpecialistOutput),
    Role.DATABASE_SPECIALIST: (SpecialistInput, SpecialistOutput),
    Role.REGIONAL_COORDINATOR: (RegionalInput, RegionalOutput),
    Role.FEDERATION_GATEWAY: (GatewayInput, GatewayOutput),
    Role.GLOBAL_SYNTHESIZER: (SynthesizerInput, SynthesizerOutput),
    Role.DEBATER: (DebaterInput, DebaterOutput),
    Role.REFEREE: (RefereeInput, RefereeOutput),
    Role.SAFETY: (SafetyInput, SafetyOutput),
}


def contract_for(role: str) -> tuple[type[BaseModel], type[BaseModel]]:
    """The (input, output) models of ``role``; ``KeyError`` names roles without a contract."""
    try:
        return ROLE_CONTRACTS[role]
    except KeyError:
        raise KeyError(f"role {role!r} has no contract yet") from None
