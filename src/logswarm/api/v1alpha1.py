"""The ``logswarm.io/v1alpha1`` custom resources as pydantic models: AgentPool, Incident, Remediation.

Why it exists: the CRD schemas in ``crds/`` are generated from these models
(``python -m logswarm.api.crdgen``), and the kopf handlers parse ``spec`` and write ``status``
through them, so the API server and the operator cannot disagree about a field.

Conventions (Kubernetes API conventions): ``spec`` is what the user wants and ``status`` is
what the controller observed; nothing the controller writes lives in spec. Status carries
``conditions`` — a list keyed by ``type``, each with ``status`` (True/False/Unknown), a
CamelCase ``reason``, a human ``message``, ``lastTransitionTime`` and ``observedGeneration``.
Field names on the wire are camelCase (models accept snake_case too, for Python callers).
Write with ``model_dump(mode="json", exclude_none=True)``: the generated schemas are not
nullable, and in a merge patch an absent field is left alone while ``null`` deletes it.

Two deliberate exceptions to camelCase: a Remediation's ``steps[].action`` and
``verification[]`` *are* the closed vocabulary of :mod:`logswarm.remediation.vocabulary` and
:mod:`logswarm.remediation.plan` (snake_case, discriminated by ``kind`` / ``type``), so the
executor validates a spec with exactly the models it executes — there is no translation layer
in which a field could be lost or widened.

Approval is not a spec field: a person approves with
``kubectl annotate remediation NAME logswarm.io/approved-by=PERSON`` (:data:`APPROVED_BY_ANNOTATION`).
An annotation can be granted by RBAC on ``patch`` separately from the spec, it is visible in
``kubectl describe``, and the operator checks the name against the pool's ``allowedApprovers``
and records who approved, and when, in status (condition ``Approved``).

This module is pure data: it never imports kubernetes or kopf.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue
from pydantic.alias_generators import to_camel

from logswarm.agents.contracts import Role
from logswarm.incidents import (
    DetectorScore,
    Entity,
    EntityKind,
    EvidenceLine,
    IncidentSeverity,
    TemplateEvidence,
    TimeWindow,
)
from logswarm.incidents import Incident as AnalysisIncident
from logswarm.remediation.audit import AuditKind
from logswarm.remediation.plan import PlanStep, RemediationPlan, VerificationCheck
from logswarm.remediation.receipts import StepState
from logswarm.remediation.safety import Risk
from logswarm.remediation.vocabulary import ActionKind, ActionSpec

__all__ = [
    "API_VERSION",
    "APPROVED_BY_ANNOTATION",
    "GROUP",
    "VERSION",
    "AgentPool",
    "AgentPoolSpec",
    "AgentPoolStatus",
    "AuditEntry",
    "CloudWatchSource",
    "Condition",
    "ConditionStatus",
    "DetectorScoreItem",
    "DetectorSpec",
    "EntityItem",
    "EvidenceLineItem",
    "FederationMode",
    "FederationPeer",
    "FederationSpec",
    "HttpPushSource",
    "Incident",
    "IncidentEvidence",
    "IncidentPhase",
    "IncidentSource",
    "IncidentSpec",
    "IncidentStatus",
    "IncidentWindow",
    "LLMSpec",
    "LabelSelector",
    "LocalObjectReference",
    "LogSources",
    "PodLogSource",
    "Remediation",
    "RemediationPhase",
    "RemediationSpec",
    "RemediationStatus",
    "RemediationStep",
    "ResourceList",
    "ResourceRequirements",
    "RiskLevel",
    "RoleSpec",
    "RoleStatus",
    "RootCauseStatus",
    "S3LogFormat",
    "S3Source",
    "SafetyPolicySpec",
    "SecretKeyRef",
    "StepReceipt",
    "StepStatus",
    "SyslogSource",
    "TemplateItem",
    "Topology",
    "TrajectoryEntry",
    "TrajectoryTotals",
    "set_condition",
]

GROUP = "logswarm.io"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"
#: ``kubectl annotate remediation NAME logswarm.io/approved-by=PERSON`` approves a Remediation.
APPROVED_BY_ANNOTATION = f"{GROUP}/approved-by"

_DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
_DNS_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
_QUANTITY = r"^[0-9]{1,12}(\.[0-9]{1,6})?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$"

ObjectName = Annotated[str, Field(min_length=1, max_length=253, pattern=_DNS_SUBDOMAIN)]
LabelName = Annotated[str, Field(min_length=1, max_length=63, pattern=_DNS_LABEL)]
Quantity = Annotated[str, Field(max_length=32, pattern=_QUANTITY)]
ShortText = Annotated[str, Field(max_length=1024)]
Port = Annotated[int, Field(ge=1, le=65535)]


class _Model(BaseModel):
    """camelCase on the wire, unknown fields rejected (the API server prunes them anyway)."""

    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        serialize_by_alias=True,
    )


def _cel(*rules: dict[str, JsonValue]) -> ConfigDict:
    """CEL rules the API server enforces on this object (``x-kubernetes-validations``)."""
    return ConfigDict(json_schema_extra={"x-kubernetes-validations": list(rules)})


# --- shared -------------------------------------------------------------------------------


class ConditionStatus(enum.StrEnum):
    TRUE = "True"
    FALSE = "False"
    UNKNOWN = "Unknown"


class Condition(_Model):
    """One observation of the controller (metav1.Condition's shape)."""

    type: Annotated[
        str, Field(min_length=1, max_length=316, pattern=r"^[A-Za-z]([A-Za-z0-9_.-]*[A-Za-z0-9])?$")
    ]
    status: ConditionStatus
    reason: Annotated[
        str,
        Field(
            min_length=1,
            max_length=1024,
            pattern=r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$",
            description="One CamelCase word saying why, for machines.",
        ),
    ]
    message: Annotated[str, Field(max_length=32768, description="For humans.")] = ""
    last_transition_time: datetime
    observed_generation: Annotated[int, Field(ge=0)] | None = None


def _conditions(description: str) -> Any:
    return Field(
        default_factory=list,
        max_length=32,
        description=description,
        json_schema_extra={
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["type"],
        },
    )


def set_condition(
    conditions: list[Condition],
    type: str,
    status: ConditionStatus | bool,
    reason: str,
    message: str = "",
    *,
    observed_generation: int | None = None,
    now: datetime | None = None,
) -> list[Condition]:
    """Return ``conditions`` with ``type`` set; ``lastTransitionTime`` moves only when the
    status changes (the convention ``kubectl wait`` and humans rely on)."""
    if isinstance(status, bool):
        status = ConditionStatus.TRUE if status else ConditionStatus.FALSE
    now = now or datetime.now(UTC).replace(microsecond=0)
    previous = next((c for c in conditions if c.type == type), None)
    changed_at = previous.last_transition_time if previous and previous.status == status else now
    updated = Condition(
        type=type,
        status=status,
        reason=reason,
        message=message,
        last_transition_time=changed_at,
        observed_generation=observed_generation,
    )
    if previous is None:
        return [*conditions, updated]
    return [updated if c.type == type else c for c in conditions]


class LocalObjectReference(_Model):
    """A reference to an object of a known kind in the same namespace."""

    name: ObjectName


class SecretKeyRef(_Model):
    """A key of a Secret in the pool's namespace."""

    name: ObjectName
    key: Annotated[str, Field(min_length=1, max_length=253, pattern=r"^[-._a-zA-Z0-9]+$")]


class LabelSelector(_Model):
    """Equality-based label selector (``matchLabels``)."""

    match_labels: dict[str, str] = Field(default_factory=dict)


# --- AgentPool ----------------------------------------------------------------------------


class Topology(enum.StrEnum):
    """How agents are wired (the seed's models 1 to 6)."""

    LINEAR = "linear"
    RAG = "rag"
    SMART = "smart"
    AUCTION = "auction"
    FEDERATED = "federated"
    DEBATE = "debate"


class ResourceList(_Model):
    cpu: Quantity | None = None
    memory: Quantity | None = None


class ResourceRequirements(_Model):
    """Requests and limits of an agent role's container."""

    requests: ResourceList | None = None
    limits: ResourceList | None = None


class LLMSpec(_Model):
    """The model behind a role, reached through litellm."""

    model: Annotated[
        str,
        Field(
            min_length=1,
            max_length=256,
            description="litellm model name, e.g. openai/gpt-4o-mini or ollama/llama3.",
        ),
    ]
    api_base: Annotated[str, Field(max_length=2048, pattern=r"^https?://")] | None = None
    api_key_secret_ref: SecretKeyRef | None = None
    temperature: Annotated[float, Field(ge=0, le=2)] | None = None
    max_tokens: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    timeout_seconds: Annotated[int, Field(ge=1, le=3600)] | None = None


class RoleSpec(_Model):
    """One agent role of the topology, run as a Deployment + Service."""

    name: Role
    replicas: Annotated[int, Field(ge=0, le=20)] = 1
    resources: ResourceRequirements | None = None
    llm: LLMSpec | None = Field(
        None, description="Unset: the deterministic, evidence-based reasoner (no model, no cost)."
    )


class DetectorSpec(_Model):
    """An anomaly detector the pool runs over its log sources."""

    name: Annotated[str, Field(min_length=1, max_length=63, pattern=_DNS_LABEL)]
    enabled: bool = True
    threshold: Annotated[float, Field(gt=0)] | None = None


class PodLogSource(_Model):
    """Logs of pods matched by a selector, in some namespaces (all when empty)."""

    namespaces: list[LabelName] = Field(default_factory=list, max_length=100)
    selector: LabelSelector = Field(default_factory=LabelSelector)
    container: LabelName | None = None


class CloudWatchSource(_Model):
    log_group: Annotated[str, Field(min_length=1, max_length=512, pattern=r"^[\.\-_/#A-Za-z0-9]+$")]
    region: LabelName | None = None
    filter_pattern: Annotated[str, Field(max_length=1024)] | None = None


class S3LogFormat(enum.StrEnum):
    CLOUDTRAIL = "cloudtrail"
    VPC_FLOW = "vpcflow"


class S3Source(_Model):
    """Log files delivered to S3 (CloudTrail, VPC Flow Logs)."""

    bucket: Annotated[
        str, Field(min_length=3, max_length=63, pattern=r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$")
    ]
    prefix: Annotated[str, Field(max_length=1024)] = ""
    format: S3LogFormat
    region: LabelName | None = None


class HttpPushSource(_Model):
    """An HTTP endpoint Fluent Bit / Vector push JSON records to."""

    enabled: bool = True
    port: Port = 8080
    path: Annotated[str, Field(max_length=256, pattern=r"^/")] = "/ingest"


class SyslogSource(_Model):
    enabled: bool = True
    port: Port = 5514
    protocol: Literal["udp", "tcp"] = "udp"


class LogSources(_Model):
    pod_logs: list[PodLogSource] = Field(default_factory=list, max_length=50)
    cloud_watch: list[CloudWatchSource] = Field(default_factory=list, max_length=100)
    s3: list[S3Source] = Field(default_factory=list, max_length=100)
    http_push: HttpPushSource | None = None
    syslog: SyslogSource | None = None


class FederationMode(enum.StrEnum):
    STANDALONE = "standalone"
    REGIONAL = "regional"
    GLOBAL = "global"


class FederationPeer(_Model):
    region: LabelName
    endpoint: Annotated[str, Field(max_length=2048, pattern=r"^https?://")]


class FederationSpec(_Model):
    """How this pool takes part in a federated (multi-region) topology."""

    mode: FederationMode = FederationMode.STANDALONE
    global_endpoint: Annotated[str, Field(max_length=2048, pattern=r"^https?://")] | None = None
    peers: list[FederationPeer] = Field(default_factory=list, max_length=50)


class SafetyPolicySpec(_Model):
    """The parts of :class:`logswarm.remediation.safety.SafetyPolicy` a pool may set."""

    environment_labels: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Namespace labels / AWS tags that mark production, e.g. env: [prod].",
    )
    protected_namespaces: list[LabelName] = Field(default_factory=list, max_length=100)
    treat_unlabelled_as_production: bool = True
    auto_allow_production: Literal["Low", "Medium", "High"] | None = None
    auto_allow_other: Literal["Low", "Medium", "High"] | None = None


class AgentPoolSpec(_Model):
    model_config = _cel(
        {
            "rule": "self.topology != 'federated' || has(self.federation)",
            "message": "topology federated needs spec.federation",
        },
        {
            "rule": "!has(self.roles) || self.roles.all(r, self.roles.exists_one(o, o.name == r.name))",
            "message": "spec.roles names must be unique",
        },
    )

    topology: Topology
    roles: list[RoleSpec] = Field(
        default_factory=list,
        max_length=32,
        description="Roles to run; empty runs the topology's default roles with one replica.",
    )
    detectors: list[DetectorSpec] = Field(default_factory=list, max_length=32)
    log_sources: LogSources = Field(default_factory=LogSources)
    region: LabelName | None = None
    federation: FederationSpec | None = None
    safety_policy: SafetyPolicySpec = Field(default_factory=SafetyPolicySpec)
    allowed_approvers: list[Annotated[str, Field(min_length=1, max_length=253)]] = Field(
        default_factory=list,
        max_length=100,
        description="Who may approve this pool's Remediations (logswarm.io/approved-by).",
    )


class RoleStatus(_Model):
    name: Role
    replicas: Annotated[int, Field(ge=0)] = 0
    ready_replicas: Annotated[int, Field(ge=0)] = 0
    ready: bool = False


class AgentPoolStatus(_Model):
    """Conditions: Ready, Progressing, Degraded."""

    observed_generation: Annotated[int, Field(ge=0)] | None = None
    conditions: list[Condition] = _conditions("Ready, Progressing, Degraded.")
    roles: list[RoleStatus] = Field(
        default_factory=list,
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"]},
    )
    ready_roles: Annotated[str, Field(max_length=16, description="e.g. 3/4")] | None = None


# --- Incident -----------------------------------------------------------------------------


class IncidentWindow(_Model):
    start: datetime
    end: datetime


class EvidenceLineItem(_Model):
    id: Annotated[str, Field(pattern=r"^L\d+$")]
    file: Annotated[str, Field(max_length=1024)]
    line: Annotated[int, Field(ge=0)]
    record: Annotated[int, Field(ge=1)] | None = None
    timestamp: datetime | None = None
    source: Annotated[str, Field(max_length=256)]
    service: Annotated[str, Field(max_length=256)] | None = None
    severity: Annotated[str, Field(max_length=32)]
    message: Annotated[str, Field(max_length=8192)]
    template_id: int | None = None


class TemplateItem(_Model):
    id: Annotated[str, Field(pattern=r"^T\d+$")]
    template_id: int
    template: Annotated[str, Field(max_length=4096)]
    count: Annotated[int, Field(ge=0)]
    baseline_rate: Annotated[float, Field(ge=0)] = 0.0


class EntityItem(_Model):
    id: Annotated[str, Field(pattern=r"^E\d+$")]
    kind: EntityKind
    value: Annotated[str, Field(min_length=1, max_length=1024)]
    count: Annotated[int, Field(ge=1)] = 1


class DetectorScoreItem(_Model):
    id: Annotated[str, Field(pattern=r"^D\d+$")]
    detector: Annotated[str, Field(max_length=256)]
    score: float
    flagged: bool


class IncidentEvidence(_Model):
    """A camelCase mirror of the evidence in :class:`logswarm.incidents.Incident`."""

    templates: list[TemplateItem] = Field(default_factory=list, max_length=200)
    samples: list[EvidenceLineItem] = Field(default_factory=list, max_length=500)
    entities: list[EntityItem] = Field(default_factory=list, max_length=500)
    scores: list[DetectorScoreItem] = Field(default_factory=list, max_length=100)


class IncidentSource(enum.StrEnum):
    MANUAL = "manual"
    DETECTOR = "detector"
    ALERTMANAGER = "alertmanager"
    HTTP_PUSH = "httpPush"


class IncidentSpec(_Model):
    model_config = _cel(
        {
            "rule": "self.window.end >= self.window.start",
            "message": "spec.window.end must not be before spec.window.start",
        },
    )

    summary: Annotated[str, Field(min_length=1, max_length=1024)]
    severity: IncidentSeverity
    window: IncidentWindow
    pool_ref: LocalObjectReference
    source: IncidentSource = IncidentSource.MANUAL
    fingerprint: Annotated[str, Field(max_length=256, description="Deduplication key.")] | None = (
        None
    )
    anomaly_score: Annotated[float, Field(ge=0)] = 0.0
    services: list[ShortText] = Field(default_factory=list, max_length=100)
    regions: list[LabelName] = Field(default_factory=list, max_length=50)
    detectors_agreed: list[ShortText] = Field(default_factory=list, max_length=50)
    evidence: IncidentEvidence = Field(default_factory=IncidentEvidence)

    def to_incident(self, incident_id: str) -> AnalysisIncident:
        """The analysis library's :class:`logswarm.incidents.Incident` for this spec."""
        evidence = self.evidence
        return AnalysisIncident(
            id=incident_id,
            title=self.summary,
            severity=self.severity,
            window=TimeWindow(start=self.window.start, end=self.window.end),
            anomaly_score=self.anomaly_score,
            services=list(self.services),
            regions=list(self.regions),
            detectors_agreed=list(self.detectors_agreed),
            templates=[
                TemplateEvidence(**t.model_dump(by_alias=False)) for t in evidence.templates
            ],
            samples=[EvidenceLine(**s.model_dump(by_alias=False)) for s in evidence.samples],
            entities=[Entity(**e.model_dump(by_alias=False)) for e in evidence.entities],
            scores=[DetectorScore(**d.model_dump(by_alias=False)) for d in evidence.scores],
        )


class IncidentPhase(enum.StrEnum):
    PENDING = "Pending"
    ANALYSING = "Analysing"
    ANALYSED = "Analysed"
    REMEDIATING = "Remediating"
    RESOLVED = "Resolved"
    FAILED = "Failed"


class RootCauseStatus(_Model):
    cause: Annotated[str, Field(max_length=4096)]
    confidence: Annotated[float, Field(ge=0, le=1)]
    evidence: list[Annotated[str, Field(pattern=r"^[LTED]\d+$")]] = Field(
        default_factory=list, max_length=100, description="Cited evidence ids."
    )


class TrajectoryEntry(_Model):
    """One agent step: who did what, where, with which backend, at what cost."""

    role: Role
    summary: Annotated[str, Field(max_length=2048)] = ""
    #: How the role was reached: ``http`` (the pool's agent pod) or ``in-process`` (the
    #: operator itself, e.g. falling back while the pods are not ready).
    transport: Literal["http", "in-process"] | None = None
    #: What answered: ``deterministic`` (the offline reasoner) or the litellm model name.
    backend: Annotated[str, Field(max_length=253)] | None = None
    tokens: Annotated[int, Field(ge=0)] = 0
    cost_usd: Annotated[float, Field(ge=0)] = 0.0
    latency_ms: Annotated[int, Field(ge=0)] = 0


class TrajectoryTotals(_Model):
    steps: Annotated[int, Field(ge=0)] = 0
    tokens: Annotated[int, Field(ge=0)] = 0
    cost_usd: Annotated[float, Field(ge=0)] = 0.0
    latency_ms: Annotated[int, Field(ge=0)] = 0


class IncidentStatus(_Model):
    """Conditions: Analysed, RemediationProposed, Resolved."""

    observed_generation: Annotated[int, Field(ge=0)] | None = None
    conditions: list[Condition] = _conditions("Analysed, RemediationProposed, Resolved.")
    phase: IncidentPhase | None = None
    topology: Topology | None = None
    root_cause: RootCauseStatus | None = None
    trajectory: list[TrajectoryEntry] = Field(default_factory=list, max_length=200)
    totals: TrajectoryTotals | None = None
    remediation_refs: list[LocalObjectReference] = Field(default_factory=list, max_length=50)


# --- Remediation --------------------------------------------------------------------------


class RiskLevel(enum.StrEnum):
    """:class:`logswarm.remediation.safety.Risk` by name, as a CR reads it."""

    LOW = "Low"
    MEDIUM = "Medium"
    HIGH = "High"

    def to_risk(self) -> Risk:
        return Risk[self.name]


class RemediationStep(_Model):
    """One action of the closed vocabulary (snake_case body, discriminated by ``kind``)."""

    id: Annotated[str, Field(min_length=1, max_length=63, pattern=_DNS_LABEL)]
    action: ActionSpec
    rationale: Annotated[str, Field(max_length=2000)] = ""
    cites: list[Annotated[str, Field(pattern=r"^[LTED][0-9]{1,10}$")]] = Field(
        default_factory=list, max_length=50
    )


class RemediationSpec(_Model):
    model_config = _cel(
        {
            "rule": "self.steps.all(s, self.steps.exists_one(o, o.id == s.id))",
            "message": "spec.steps ids must be unique",
        },
    )

    incident_ref: LocalObjectReference
    steps: list[RemediationStep] = Field(min_length=1, max_length=20)
    verification: list[VerificationCheck] = Field(default_factory=list, max_length=10)
    risk: RiskLevel = RiskLevel.MEDIUM
    dry_run: bool = False
    rationale: Annotated[str, Field(max_length=2000)] = ""

    def to_plan(self, plan_id: str, incident_id: str | None = None) -> RemediationPlan:
        """The executor's :class:`RemediationPlan` (``plan_id``: usually metadata.name)."""
        return RemediationPlan(
            id=plan_id,
            incident_id=incident_id or self.incident_ref.name,
            steps=[
                PlanStep(id=s.id, action=s.action, rationale=s.rationale, cites=list(s.cites))
                for s in self.steps
            ],
            verification=list(self.verification),
            rationale=self.rationale,
        )


class RemediationPhase(enum.StrEnum):
    PENDING = "Pending"
    AWAITING_APPROVAL = "AwaitingApproval"
    DENIED = "Denied"
    #: Awaited approval past the operator's approval timeout; it never runs.
    EXPIRED = "Expired"
    APPLYING = "Applying"
    VERIFYING = "Verifying"
    SUCCEEDED = "Succeeded"
    ROLLING_BACK = "RollingBack"
    ROLLED_BACK = "RolledBack"
    FAILED = "Failed"


class StepStatus(_Model):
    id: Annotated[str, Field(max_length=63)]
    kind: ActionKind
    target: Annotated[str, Field(max_length=512)] = ""
    state: StepState = StepState.PENDING
    message: Annotated[str, Field(max_length=4096)] = ""


class StepReceipt(_Model):
    """What the executor changed for one step: the pre-image rollback restores."""

    step_id: Annotated[str, Field(max_length=63)]
    kind: ActionKind
    idempotency_key: Annotated[str, Field(max_length=256)]
    changed: bool
    pre_image: dict[str, JsonValue] = Field(default_factory=dict)
    post_image: dict[str, JsonValue] = Field(default_factory=dict)
    applied_at: datetime
    conflicts_retried: Annotated[int, Field(ge=0)] = 0


class AuditEntry(_Model):
    at: datetime
    kind: AuditKind
    actor: Annotated[str, Field(max_length=253)]
    step_id: Annotated[str, Field(max_length=63)] | None = None
    message: Annotated[str, Field(max_length=4096)] = ""


class RemediationStatus(_Model):
    """Conditions: Approved, Applied, Verified, RolledBack, Succeeded."""

    observed_generation: Annotated[int, Field(ge=0)] | None = None
    conditions: list[Condition] = _conditions("Approved, Applied, Verified, RolledBack, Succeeded.")
    phase: RemediationPhase | None = None
    approved_by: Annotated[str, Field(max_length=253)] | None = None
    approved_at: datetime | None = None
    steps: list[StepStatus] = Field(
        default_factory=list,
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["id"]},
    )
    receipts: list[StepReceipt] = Field(default_factory=list, max_length=20)
    audit: list[AuditEntry] = Field(default_factory=list, max_length=500)


# --- the resources ------------------------------------------------------------------------


class _Resource(_Model):
    """A whole object (apiVersion, kind, metadata, spec, status)."""

    plural: ClassVar[str]
    short_names: ClassVar[tuple[str, ...]]

    api_version: Literal["logswarm.io/v1alpha1"] = "logswarm.io/v1alpha1"
    metadata: dict[str, JsonValue] = Field(default_factory=dict)


class AgentPool(_Resource):
    """A set of LogSwarm agents (one Deployment per role) wired by one topology."""

    plural: ClassVar[str] = "agentpools"
    short_names: ClassVar[tuple[str, ...]] = ("ap",)

    kind: Literal["AgentPool"] = "AgentPool"
    spec: AgentPoolSpec
    status: AgentPoolStatus | None = None


class Incident(_Resource):
    """Something went wrong: the evidence, and the pool whose agents find the root cause."""

    plural: ClassVar[str] = "incidents"
    short_names: ClassVar[tuple[str, ...]] = ("inc",)

    kind: Literal["Incident"] = "Incident"
    spec: IncidentSpec
    status: IncidentStatus | None = None


class Remediation(_Resource):
    """Ordered actions from the closed vocabulary that fix an Incident, with receipts."""

    plural: ClassVar[str] = "remediations"
    short_names: ClassVar[tuple[str, ...]] = ("rem",)

    kind: Literal["Remediation"] = "Remediation"
    spec: RemediationSpec
    status: RemediationStatus | None = None
