"""Incidents and the evidence they carry: the data every agent reasons over.

Detectors flag windows; :mod:`logswarm.incidents` is the shape those flags are grouped into.
An :class:`Incident` is self-contained and JSON-serialisable: it holds the top templates with
counts, sample lines with file and line number, the entities involved, the time window, the
scores and which detectors agreed. Every piece of evidence has a short, stable id (``L3``,
``T1``, ``E7``, ``D2``) so that an agent's claim can cite it and a checker can verify that the
cited evidence exists (the seed's grounding score).

These are pydantic models because they cross process boundaries (report files, HTTP between
agent pods, custom resources' status).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "DetectorScore",
    "Entity",
    "EntityKind",
    "EvidenceLine",
    "Incident",
    "IncidentSeverity",
    "TemplateEvidence",
    "TimeWindow",
]


class IncidentSeverity(enum.StrEnum):
    """The seed's four incident severities, most urgent first."""

    CRITICAL = "Critical"
    HIGH = "High"
    MEDIUM = "Medium"
    LOW = "Low"

    @property
    def rank(self) -> int:
        """0 for Critical .. 3 for Low, for sorting."""
        return list(IncidentSeverity).index(self)


class EntityKind(enum.StrEnum):
    """Things in the world an incident can be about; remediation targets must be one of these."""

    POD = "pod"
    NODE = "node"
    NAMESPACE = "namespace"
    DEPLOYMENT = "deployment"
    STATEFULSET = "statefulset"
    SERVICE = "service"
    CONTAINER = "container"
    IP = "ip"
    IAM_USER = "iam_user"
    IAM_ROLE = "iam_role"
    ACCESS_KEY = "access_key"
    INSTANCE = "instance"
    BUCKET = "bucket"
    SECURITY_GROUP = "security_group"
    VPC = "vpc"
    ENI = "eni"
    LAMBDA = "lambda"
    ASG = "asg"
    ACCOUNT = "account"
    REGION = "region"
    REQUEST = "request"
    TRACE = "trace"
    BLOCK = "block"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TimeWindow(_Frozen):
    """A closed interval of UTC time."""

    start: datetime
    end: datetime

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


class EvidenceLine(_Frozen):
    """A sample log line, pointing back at the file and line it came from."""

    id: Annotated[str, Field(pattern=r"^L\d+$", description="Evidence id, e.g. L3")]
    file: str
    line: int
    #: In a multi-record file (a CloudTrail delivery), the record's 1-based index there.
    record: int | None = None
    timestamp: datetime | None = None
    source: str
    service: str | None = None
    severity: str
    message: str
    template_id: int | None = None

    @property
    def location(self) -> str:
        """``file:line``, or ``file:line#record`` inside a multi-record file."""
        suffix = f"#{self.record}" if self.record is not None else ""
        return f"{self.file}:{self.line}{suffix}"


class TemplateEvidence(_Frozen):
    """A log template seen in the incident, with how often it occurred there and normally."""

    id: Annotated[str, Field(pattern=r"^T\d+$")]
    template_id: int
    template: str
    count: int
    #: Occurrences per window of the same length outside incidents (0 means never seen before).
    baseline_rate: float = 0.0


class Entity(_Frozen):
    """A pod, node, IP, IAM principal, ... named in the incident's records."""

    id: Annotated[str, Field(pattern=r"^E\d+$")]
    kind: EntityKind
    value: str
    count: int = 1


class DetectorScore(_Frozen):
    """One detector's verdict on the incident (its most abnormal window)."""

    id: Annotated[str, Field(pattern=r"^D\d+$")]
    detector: str
    #: Normalised so that higher is more abnormal and 1.0 is the calibrated threshold.
    score: float
    flagged: bool


class Incident(BaseModel):
    """Anomalies grouped into one incident, with every piece of evidence an agent may cite."""

    model_config = ConfigDict(extra="forbid")

    id: str
    title: str
    severity: IncidentSeverity
    window: TimeWindow
    #: When the first anomalous record happened (data time).
    first_anomalous_at: datetime | None = None
    #: When the pipeline had enough data to raise the incident (data time): the end of the
    #: first flagged window. Detection latency is ``detected_at - first_anomalous_at``.
    detected_at: datetime | None = None
    anomaly_score: float
    sources: list[str] = Field(default_factory=list)
    services: list[str] = Field(default_factory=list)
    regions: list[str] = Field(default_factory=list)
    detectors_agreed: list[str] = Field(default_factory=list)
    templates: list[TemplateEvidence] = Field(default_factory=list)
    samples: list[EvidenceLine] = Field(default_factory=list)
    entities: list[Entity] = Field(default_factory=list)
    scores: list[DetectorScore] = Field(default_factory=list)
    #: Keys of the flagged windows (session ids or window start times) grouped into this incident.
    windows: list[str] = Field(default_factory=list)
    record_count: int = 0

    def evidence_ids(self) -> set[str]:
        """Every id an agent may cite for this incident."""
        ids: set[str] = set()
        for group in (self.templates, self.samples, self.entities, self.scores):
            ids.update(item.id for item in group)
        return ids

    def entity_values(self, kind: EntityKind | None = None) -> set[str]:
        """Entity values present in the evidence, optionally of one kind (remediation targets)."""
        return {e.value for e in self.entities if kind is None or e.kind == kind}
