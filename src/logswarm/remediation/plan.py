"""Plans, verification checks and receipts: the data that crosses from the agents to the executor.

A :class:`RemediationPlan` is what a planner agent (often an LLM) proposes. It is validated with
the same strictness as the actions it holds: bounded sizes, no unknown fields, and, on purpose,
*no field that could carry an approval* — approvals come only from
:class:`logswarm.remediation.safety.SafetyAgent.approve`, called by a person's channel.

A :class:`Receipt` is what the executor keeps after changing the world: the action, the
pre-image it needs to undo it, and the post-image it expects to see. Receipts are JSON so they
survive a process restart (the journal in :mod:`logswarm.remediation.receipts`). This module is
pure data: no kubernetes or boto3 imports.
"""

from __future__ import annotations

import enum
import hashlib
import json
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, JsonValue, StringConstraints

from logswarm.remediation.vocabulary import (
    ActionSpec,
    K8sLabelName,
    K8sObjectName,
    grammar,
)

__all__ = [
    "CloudWatchCheck",
    "Comparison",
    "PlanStep",
    "PrometheusCheck",
    "ReadinessCheck",
    "Receipt",
    "RemediationPlan",
    "VerificationCheck",
    "step_fingerprint",
]

#: Step and plan ids are short slugs: they end up in annotations, file names and audit lines.
Slug = Annotated[
    str,
    StringConstraints(strict=True, min_length=1, max_length=63),
    AfterValidator(grammar(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", what="slug")),
]
EvidenceId = Annotated[
    str,
    StringConstraints(strict=True, max_length=12),
    AfterValidator(grammar(r"[LTED][0-9]{1,10}", what="evidence id")),
]
#: Free text is kept for people to read and is never interpreted; its size is still bounded.
Prose = Annotated[str, StringConstraints(strict=True, max_length=2000)]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class Comparison(enum.StrEnum):
    """How a measured value must relate to the threshold for the check to pass."""

    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="

    def holds(self, value: float, threshold: float) -> bool:
        if self is Comparison.LT:
            return value < threshold
        if self is Comparison.LE:
            return value <= threshold
        if self is Comparison.GT:
            return value > threshold
        return value >= threshold


Reduce = Literal["max", "min", "avg", "last"]
Window = Annotated[int, Field(strict=True, ge=1, le=86400)]


class PrometheusCheck(_Strict):
    """A PromQL query whose value over a window must satisfy ``comparison threshold``."""

    type: Literal["prometheus"] = "prometheus"
    query: Annotated[str, StringConstraints(strict=True, min_length=1, max_length=1000)]
    comparison: Annotated[Comparison, Field(strict=False)]
    threshold: Annotated[float, Field(strict=False, allow_inf_nan=False)]
    window_seconds: Window = 300
    #: How samples in the window are folded into one number (every series must pass).
    reduce: Reduce = "max"


class CloudWatchCheck(_Strict):
    """A CloudWatch metric statistic over a window, via ``GetMetricData``."""

    type: Literal["cloudwatch"] = "cloudwatch"
    namespace: Annotated[str, StringConstraints(strict=True, min_length=1, max_length=255)]
    metric_name: Annotated[str, StringConstraints(strict=True, min_length=1, max_length=255)]
    dimensions: Annotated[dict[str, str], Field(max_length=10)] = Field(default_factory=dict)
    stat: Literal["Average", "Sum", "Minimum", "Maximum", "SampleCount"] = "Average"
    period_seconds: Annotated[int, Field(strict=True, ge=1, le=86400)] = 60
    comparison: Annotated[Comparison, Field(strict=False)]
    threshold: Annotated[float, Field(strict=False, allow_inf_nan=False)]
    window_seconds: Window = 300
    reduce: Reduce = "max"


class ReadinessCheck(_Strict):
    """A Deployment (or StatefulSet) reports all desired replicas updated and ready."""

    type: Literal["readiness"] = "readiness"
    namespace: K8sLabelName
    name: K8sObjectName
    workload: Literal["Deployment", "StatefulSet"] = "Deployment"


VerificationCheck = Annotated[
    PrometheusCheck | CloudWatchCheck | ReadinessCheck, Field(discriminator="type")
]


class PlanStep(_Strict):
    """One action of a plan, with the planner's reasons and the evidence it cites."""

    id: Slug
    action: ActionSpec
    rationale: Prose = ""
    cites: Annotated[list[EvidenceId], Field(max_length=50)] = Field(default_factory=list)


class RemediationPlan(_Strict):
    """Ordered actions for one incident, plus the checks that say whether they worked."""

    id: Slug
    incident_id: Annotated[str, StringConstraints(strict=True, min_length=1, max_length=253)]
    steps: Annotated[list[PlanStep], Field(min_length=1, max_length=20)]
    verification: Annotated[list[VerificationCheck], Field(max_length=10)] = Field(
        default_factory=list
    )
    rationale: Prose = ""

    def step(self, step_id: str) -> PlanStep:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)


def step_fingerprint(plan_id: str, step: PlanStep) -> str:
    """A stable hash of exactly what a step will do; an approval is bound to it.

    Changing anything in the action (another replica count, another target) changes the
    fingerprint, so an approval can never be carried over to a different action.
    """
    canonical = json.dumps(
        {"plan": plan_id, "step": step.id, "action": step.action.model_dump(mode="json")},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


class Receipt(BaseModel):
    """What an applied action changed, and everything needed to undo it after a restart."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    plan_id: str
    step_id: str
    #: ``plan_id/step_id``: applying the same key twice is the same as applying it once.
    idempotency_key: str
    action: ActionSpec
    #: False when the world already was as the action wanted (nothing was written).
    changed: bool
    #: The parts of the object the action changes, as they were before (what rollback restores).
    pre_image: dict[str, JsonValue]
    #: The same parts as the action left them (what ``verify`` expects to find).
    post_image: dict[str, JsonValue] = Field(default_factory=dict)
    applied_at: datetime
    #: Optimistic-concurrency retries it took (0 when the first write went through).
    conflicts_retried: int = 0
    notes: list[str] = Field(default_factory=list)

    def pre(self, key: str) -> Any:
        return self.pre_image.get(key)
