"""The Reviewer agent: did the fix work? If the metrics say no, undo it.

After the executor reports success, the reviewer evaluates the plan's verification checks —
a PromQL query over a window (:mod:`.prometheus`), a CloudWatch metric (:class:`.aws.CloudWatchSource`),
a workload's readiness (:class:`.kube.ReadinessSource`) — and rolls the whole plan back when any
check fails, has no data, or its source cannot be reached: a fix that cannot be shown to work
is not kept. The sources sit behind the :class:`MetricSource` protocol so this module imports
neither httpx, boto3 nor kubernetes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from logswarm.remediation.audit import AuditEvent, AuditKind, AuditLog
from logswarm.remediation.errors import RemediationError
from logswarm.remediation.plan import RemediationPlan

__all__ = ["CheckResult", "MetricSource", "Review", "Reviewer", "reduce_values"]


class CheckResult(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    check: str
    passed: bool
    value: float | None = None
    detail: str = ""


class MetricSource(Protocol):
    def evaluate(self, check: Any) -> CheckResult: ...


class Review(BaseModel):
    """The reviewer's verdict on an executed plan, and the rollback it triggered if any."""

    model_config = ConfigDict(extra="forbid")

    plan_id: str
    passed: bool
    results: list[CheckResult] = Field(default_factory=list)
    rolled_back: bool = False
    rollback_problems: list[str] = Field(default_factory=list)


def reduce_values(values: Sequence[float], how: str) -> float:
    """Fold a window of samples into one number (``max``, ``min``, ``avg`` or ``last``)."""
    if not values:
        raise ValueError("no values to reduce")
    if how == "max":
        return max(values)
    if how == "min":
        return min(values)
    if how == "avg":
        return sum(values) / len(values)
    return values[-1]


class _Rollbacker(Protocol):
    def rollback(self, plan_id: str) -> Any: ...


class Reviewer:
    """Runs a plan's verification checks and rolls the plan back when they do not pass."""

    ACTOR = "reviewer"

    def __init__(
        self,
        sources: Mapping[str, MetricSource],
        *,
        executor: _Rollbacker,
        audit: AuditLog,
    ) -> None:
        #: Keyed by check type: ``prometheus``, ``cloudwatch``, ``readiness``.
        self.sources = dict(sources)
        self.executor = executor
        self.audit = audit

    def evaluate(self, plan: RemediationPlan) -> list[CheckResult]:
        results: list[CheckResult] = []
        for check in plan.verification:
            source = self.sources.get(check.type)
            if source is None:
                results.append(
                    CheckResult(check=check.type, passed=False, detail="no source configured")
                )
                continue
            try:
                results.append(source.evaluate(check))
            except RemediationError as exc:
                results.append(
                    CheckResult(check=check.type, passed=False, detail=f"source failed: {exc}")
                )
        return results

    def review(self, plan: RemediationPlan) -> Review:
        """Verify an executed plan; on any failed check roll it back (reverse order)."""
        results = self.evaluate(plan)
        passed = all(r.passed for r in results)
        self.audit.write(
            AuditEvent(
                kind=AuditKind.VERIFIED,
                actor=self.ACTOR,
                plan_id=plan.id,
                detail={"passed": passed, "results": [r.model_dump(mode="json") for r in results]},
            )
        )
        if passed:
            return Review(plan_id=plan.id, passed=True, results=results)
        report = self.executor.rollback(plan.id)
        problems = list(getattr(report, "problems", []))
        return Review(
            plan_id=plan.id,
            passed=False,
            results=results,
            rolled_back=True,
            rollback_problems=problems,
        )
