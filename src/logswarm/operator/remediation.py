"""One reconcile of a Remediation: safety decision, approval, execution, verification, rollback.

The kopf handler hands over the object and gets back an :class:`Outcome` (the new status, the
events to post, and whether to look again later); everything that changes the world is the
remediation package's :class:`~logswarm.remediation.Executor`, with the Kubernetes backend and,
when the pool or the operator names an AWS region, the AWS backend (its endpoint configurable,
so tests reach moto's server the way production reaches AWS).

Approval expires: a Remediation awaiting approval past the operator's approval timeout becomes
``Expired`` (:func:`expire`, run by a kopf timer and at the start of every reconcile, so a late
approval can never start an execution) and a later approval is refused with an Event.

Execution is step by step: once the gate passes (screen, safety decision, approval, dry run),
:func:`reconcile_remediation` begins the journal and answers with the step ids to apply; the
handler runs each as its own kopf sub-handler (:func:`apply_remediation_step`, in plan order,
one per reconcile cycle) and then a ``verify`` sub-handler (:func:`verify_remediation`), so
kopf records in its progress storage which steps are done and a failed step stops the ones after
it. Receipts reach status after every step.

Restart safety: the executor's write-ahead journal lives in a ConfigMap owned by the
Remediation (:class:`logswarm.operator.kube.ConfigMapReceiptStore`), written before and after
each change — before kopf can record a sub-handler as done. A reconcile first reads that
journal: a finished plan is never applied again (only verified, or left alone), and an
interrupted one is resumed: applied steps are skipped, an interrupted one is re-applied under
the same idempotency key. So a crash between a change and kopf's progress patch repeats nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from kubernetes.client import ApiClient
from pydantic import ValidationError

from logswarm.api.v1alpha1 import (
    APPROVED_BY_ANNOTATION,
    AgentPoolSpec,
    AuditEntry,
    Condition,
    ConditionStatus,
    IncidentSpec,
    RemediationPhase,
    RemediationSpec,
    RemediationStatus,
    StepReceipt,
    StepStatus,
    set_condition,
)
from logswarm.incidents import Incident as AnalysisIncident
from logswarm.operator.kube import ConfigMapReceiptStore, get_custom
from logswarm.remediation import (
    ActionKind,
    ExecutionReport,
    ExecutionStatus,
    Executor,
    MemoryAuditLog,
    PlanStatus,
    PolicyDeniedError,
    RemediationPlan,
    Reviewer,
    Risk,
    SafetyAgent,
    SafetyPolicy,
)
from logswarm.remediation.aws import AwsBackend, AwsClients, CloudWatchSource
from logswarm.remediation.backend import ActionBackend
from logswarm.remediation.executor import StepStatus as StepOutcome
from logswarm.remediation.kube import KubeBackend, ReadinessSource
from logswarm.remediation.receipts import PlanRecord, StepState
from logswarm.remediation.reviewer import MetricSource
from logswarm.remediation.vocabulary import Provider

__all__ = [
    "VERIFY_STEP",
    "AwsTarget",
    "Outcome",
    "apply_remediation_step",
    "awaiting_since",
    "expire",
    "policy_for",
    "reconcile_remediation",
    "verify_remediation",
]

#: The id of the sub-handler that verifies a plan after its last step.
VERIFY_STEP = "verify"

TERMINAL = {
    RemediationPhase.SUCCEEDED,
    RemediationPhase.ROLLED_BACK,
    RemediationPhase.FAILED,
    RemediationPhase.DENIED,
    RemediationPhase.EXPIRED,
}


@dataclass
class Outcome:
    """What a reconcile decided; the handler writes it and posts the events."""

    status: RemediationStatus
    #: ``(type, reason, message)`` with type ``Normal`` or ``Warning``.
    events: list[tuple[str, str, str]] = field(default_factory=list)
    #: Look again after this many seconds (a kopf TemporaryError), e.g. while verifying.
    retry_after: float | None = None
    #: Give up for good with this message (a kopf PermanentError).
    permanent: str | None = None
    #: This reconcile rolled the plan back: True when everything was restored, False when the
    #: rollback itself failed; None when it ran no rollback (for the rollback metric).
    rolled_back: bool | None = None
    #: The plan is begun: apply these steps (in order, one sub-handler each), then verify.
    apply_steps: list[str] | None = None


class NotReadyError(Exception):
    """Something the Remediation refers to does not exist yet; try again later."""


def policy_for(pool: AgentPoolSpec) -> SafetyPolicy:
    """The safety policy of a pool: the package's defaults with the pool's overrides."""
    base = SafetyPolicy()
    update: dict[str, Any] = {
        "approvers": list(pool.allowed_approvers),
        "treat_unlabelled_as_production": pool.safety_policy.treat_unlabelled_as_production,
        "protected_namespaces": sorted(
            {*base.protected_namespaces, *pool.safety_policy.protected_namespaces}
        ),
    }
    if pool.safety_policy.environment_labels:
        update["production_labels"] = dict(pool.safety_policy.environment_labels)
    if pool.safety_policy.auto_allow_production:
        update["auto_allow_production"] = Risk[pool.safety_policy.auto_allow_production.upper()]
    if pool.safety_policy.auto_allow_other:
        update["auto_allow_other"] = Risk[pool.safety_policy.auto_allow_other.upper()]
    return SafetyPolicy.model_validate({**base.model_dump(), **update})


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _owner(body: Mapping[str, Any]) -> dict[str, Any]:
    meta = body["metadata"]
    return {
        "apiVersion": str(body.get("apiVersion", "logswarm.io/v1alpha1")),
        "kind": "Remediation",
        "name": meta["name"],
        "uid": meta["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


@dataclass
class _Context:
    name: str
    namespace: str
    generation: int
    spec: RemediationSpec
    plan: RemediationPlan
    incident: AnalysisIncident
    pool: AgentPoolSpec
    approver: str | None

    def uses(self, provider: Provider) -> bool:
        return any(step.action.provider is provider for step in self.plan.steps)


def _load_context(api: ApiClient, body: Mapping[str, Any]) -> _Context:
    meta = body["metadata"]
    name, namespace = str(meta["name"]), str(meta["namespace"])
    spec = RemediationSpec.model_validate(body.get("spec") or {})
    incident_obj = get_custom(api, "incidents", namespace, spec.incident_ref.name)
    if incident_obj is None:
        raise NotReadyError(f"Incident {spec.incident_ref.name} not found")
    incident_spec = IncidentSpec.model_validate(incident_obj.get("spec") or {})
    pool_obj = get_custom(api, "agentpools", namespace, incident_spec.pool_ref.name)
    if pool_obj is None:
        # Without the pool there is no approver list: never fall back to "anyone may approve".
        raise NotReadyError(f"AgentPool {incident_spec.pool_ref.name} not found")
    pool = AgentPoolSpec.model_validate(pool_obj.get("spec") or {})
    approver = (meta.get("annotations") or {}).get(APPROVED_BY_ANNOTATION)
    return _Context(
        name=name,
        namespace=namespace,
        generation=int(meta.get("generation", 1)),
        spec=spec,
        plan=spec.to_plan(name, incident_id=spec.incident_ref.name),
        incident=incident_spec.to_incident(spec.incident_ref.name),
        pool=pool,
        approver=str(approver).strip() if approver else None,
    )


def _previous_status(body: Mapping[str, Any]) -> RemediationStatus:
    try:
        return RemediationStatus.model_validate(body.get("status") or {})
    except ValidationError:
        return RemediationStatus()  # foreign or older status: rebuild it from the journal


class _Conditions:
    def __init__(self, conditions: list[Condition], generation: int, now: datetime) -> None:
        self.items = list(conditions)
        self.generation = generation
        self.now = now

    def set(self, kind: str, status: ConditionStatus | bool, reason: str, message: str) -> None:
        self.items = set_condition(
            self.items,
            kind,
            status,
            reason,
            message[:2000],
            observed_generation=self.generation,
            now=self.now,
        )


def _project(record: PlanRecord | None, plan: RemediationPlan) -> dict[str, Any]:
    """Status steps and receipts from the journal (the journal is the truth)."""
    steps: list[StepStatus] = []
    receipts: list[StepReceipt] = []
    for planned in plan.steps:
        known = record.steps.get(planned.id) if record else None
        steps.append(
            StepStatus(
                id=planned.id,
                kind=ActionKind(planned.action.kind),
                target=planned.action.target(),
                state=known.state if known else StepState.PENDING,
                message=(known.error or "") if known else "",
            )
        )
        if known is not None and known.receipt is not None:
            r = known.receipt
            receipts.append(
                StepReceipt(
                    step_id=r.step_id,
                    kind=ActionKind(r.action.kind),
                    idempotency_key=r.idempotency_key,
                    changed=r.changed,
                    pre_image=r.pre_image,
                    post_image=r.post_image,
                    applied_at=r.applied_at,
                    conflicts_retried=r.conflicts_retried,
                )
            )
    return {"steps": steps, "receipts": receipts}


def _audit_entries(previous: list[AuditEntry], log: MemoryAuditLog) -> list[AuditEntry]:
    fresh = [
        AuditEntry(
            at=e.at,
            kind=e.kind,
            actor=e.actor[:253],
            step_id=e.step_id,
            message=", ".join(f"{k}={v}" for k, v in sorted(e.detail.items()))[:4096],
        )
        for e in log.events
    ]
    return [*previous, *fresh][-100:]


@dataclass(frozen=True)
class AwsTarget:
    """Where the executor's AWS actions go: a region and, optionally, an endpoint (moto, VPC)."""

    region: str | None = None
    endpoint_url: str | None = None


def _aws_clients(region: str, endpoint_url: str | None) -> AwsClients:
    # boto3's default credential chain: IRSA / instance profile in a pod, env vars elsewhere.
    session = boto3.session.Session(region_name=region)
    return AwsClients.from_session(session, endpoint_url=endpoint_url)


def _backends(
    api: ApiClient, ctx: _Context, aws: AwsTarget
) -> tuple[dict[str, ActionBackend], dict[str, MetricSource]]:
    """The executor's backends and the reviewer's metric sources for this plan.

    AWS is wired only when the plan has AWS actions or CloudWatch checks *and* a region is
    named (the pool's ``region`` first, else the operator's): without one, the executor
    reports "no backend configured for aws" rather than guessing a region.
    """
    backends: dict[str, ActionBackend] = {Provider.KUBERNETES: KubeBackend(api)}
    sources: dict[str, MetricSource] = {"readiness": ReadinessSource(api)}
    region = ctx.pool.region or aws.region
    wants_aws = ctx.uses(Provider.AWS) or any(
        check.type == "cloudwatch" for check in ctx.plan.verification
    )
    if wants_aws and region:
        clients = _aws_clients(region, aws.endpoint_url)
        backends[Provider.AWS] = AwsBackend(clients)
        sources["cloudwatch"] = CloudWatchSource(clients.cloudwatch)
    return backends, sources


def awaiting_since(status: RemediationStatus) -> datetime | None:
    """When the Remediation began waiting for a person; None when it is not waiting.

    The Approved condition turned False when approval was first required, and keeps that
    transition time while it stays False (a refused approver changes only its reason).
    """
    if status.phase is not RemediationPhase.AWAITING_APPROVAL:
        return None
    approved = next((c for c in status.conditions if c.type == "Approved"), None)
    if approved is None or approved.status is not ConditionStatus.FALSE:
        return None
    return approved.last_transition_time


def _expired_message(since: datetime, timeout_seconds: float) -> str:
    deadline = since + timedelta(seconds=timeout_seconds)
    return (
        f"no allowed approval within {timeout_seconds:g}s (approval asked at "
        f"{since.isoformat()}, expired at {deadline.isoformat()}): it will never run; "
        "create a new Remediation if the fix is still wanted"
    )


def expire(
    body: Mapping[str, Any],
    *,
    timeout_seconds: float,
    clock: Callable[[], datetime] = _now,
) -> Outcome | None:
    """The Expired outcome of a Remediation awaiting approval past its deadline, else None.

    Pure (no API calls): the approval timer runs it on every waiting Remediation, and
    :func:`reconcile_remediation` runs it before honouring an approval, so an approval that
    arrives after the deadline can never start an execution, whichever handler sees it first.
    """
    if timeout_seconds <= 0:
        return None
    previous = _previous_status(body)
    since = awaiting_since(previous)
    if since is None:
        return None
    now = clock()
    if now < since + timedelta(seconds=timeout_seconds):
        return None
    generation = int(body["metadata"].get("generation", 1))
    message = _expired_message(since, timeout_seconds)
    conditions = _Conditions(previous.conditions, generation, now)
    conditions.set("Approved", False, "Expired", message)
    conditions.set("Succeeded", False, "Expired", message)
    status = previous.model_copy(deep=True)
    status.observed_generation = generation
    status.conditions = conditions.items
    status.phase = RemediationPhase.EXPIRED
    status.approved_by = None
    status.approved_at = None
    return Outcome(status=status, events=[("Warning", "Expired", message)])


def _refuse_late_approval(body: Mapping[str, Any], previous: RemediationStatus) -> Outcome:
    approver = (body["metadata"].get("annotations") or {}).get(APPROVED_BY_ANNOTATION)
    expired = next((c for c in previous.conditions if c.type == "Approved"), None)
    why = expired.message if expired is not None else "it expired"
    message = f"approval by {approver} refused: this Remediation has expired ({why})"
    return Outcome(status=previous, events=[("Warning", "ApprovalRefused", message[:1024])])


def reconcile_remediation(
    api: ApiClient,
    body: Mapping[str, Any],
    *,
    approval_timeout_seconds: float = 0.0,
    approval_event: bool = False,
    aws: AwsTarget | None = None,
    clock: Callable[[], datetime] = _now,
) -> Outcome:
    """One reconcile up to the steps: expiry, safety decision, approval, dry run.

    When the plan may run (or is already running, or applied and awaiting verification) the
    journal is begun and :attr:`Outcome.apply_steps` names the steps for the handler to drive
    (:func:`apply_remediation_step` each, then :func:`verify_remediation`).
    ``approval_event``: called because the approval annotation changed (a late approval of an
    expired Remediation is then refused with an Event).
    """
    previous = _previous_status(body)
    generation = int(body["metadata"].get("generation", 1))
    if previous.phase is RemediationPhase.EXPIRED:
        # Final whatever happens to spec or annotations: the evidence it was based on is stale.
        return _refuse_late_approval(body, previous) if approval_event else Outcome(previous)
    if previous.phase in TERMINAL and previous.observed_generation == generation:
        return Outcome(status=previous)
    expired = expire(body, timeout_seconds=approval_timeout_seconds, clock=clock)
    if expired is not None:
        return expired
    now = clock()
    try:
        ctx = _load_context(api, body)
    except ValidationError as exc:
        status = previous.model_copy()
        status.phase = RemediationPhase.FAILED
        return Outcome(status=status, permanent=f"invalid spec: {exc.error_count()} errors")
    except NotReadyError as exc:
        status = previous.model_copy()
        status.phase = status.phase or RemediationPhase.PENDING
        return Outcome(status=status, retry_after=30.0, events=[("Warning", "Waiting", str(exc))])

    run = _Run(api, body, ctx, previous, now=now, aws=aws or AwsTarget())
    conditions, events, status, executor = run.conditions, run.events, run.status, run.executor
    safety, store, finish = executor.safety, run.store, run.finish

    # A person's approval: checked against the pool's approvers, bound to each step.
    if ctx.approver:
        try:
            for step in ctx.plan.steps:
                safety.approve(ctx.plan, step.id, approver=ctx.approver)
        except PolicyDeniedError as exc:
            conditions.set("Approved", False, "ApproverNotAllowed", str(exc))
            if previous.phase is not RemediationPhase.AWAITING_APPROVAL or (
                previous.approved_by != ctx.approver
            ):
                events.append(("Warning", "ApprovalRefused", str(exc)))
            status.approved_by = None
            return finish(RemediationPhase.AWAITING_APPROVAL)
        if status.approved_by != ctx.approver:
            status.approved_by, status.approved_at = ctx.approver, now

    record = store.load(ctx.plan.id) if store.exists(ctx.plan.id) else None
    steps = [step.id for step in ctx.plan.steps]
    if record is None:
        report = executor.prepare(ctx.plan, incident=ctx.incident, dry_run=ctx.spec.dry_run)
        if report.status is not ExecutionStatus.READY:
            return _stopped_at_gate(report, conditions, events, finish, previous)
        _record_approval(report, conditions, events, previous)
        events.append(
            ("Normal", "Applying", f"{len(steps)} step(s), in order, each with a receipt")
        )
        return finish(RemediationPhase.APPLYING, apply_steps=steps)
    if record.status is PlanStatus.RUNNING:
        return finish(RemediationPhase.APPLYING, apply_steps=steps)
    if record.status is PlanStatus.SUCCEEDED:
        return finish(RemediationPhase.VERIFYING, apply_steps=steps)
    return finish(status.phase or RemediationPhase.FAILED)


class _Run:
    """What every reconcile of one Remediation works with: its journal, executor and status."""

    def __init__(
        self,
        api: ApiClient,
        body: Mapping[str, Any],
        ctx: _Context,
        previous: RemediationStatus,
        *,
        now: datetime,
        aws: AwsTarget,
    ) -> None:
        self.ctx = ctx
        self.previous = previous
        self.audit = MemoryAuditLog()
        safety = SafetyAgent(policy_for(ctx.pool), audit=self.audit)
        self.store = ConfigMapReceiptStore(
            api, namespace=ctx.namespace, name=f"{ctx.name}-journal", owner=_owner(body)
        )
        backends, self.sources = _backends(api, ctx, aws)
        self.executor = Executor(backends, safety=safety, store=self.store, audit=self.audit)
        self.conditions = _Conditions(previous.conditions, ctx.generation, now)
        self.events: list[tuple[str, str, str]] = []
        self.status = previous.model_copy(deep=True)
        self.status.observed_generation = ctx.generation

    def record(self) -> PlanRecord | None:
        return self.store.load(self.ctx.plan.id) if self.store.exists(self.ctx.plan.id) else None

    def finish(
        self,
        phase: RemediationPhase,
        *,
        retry_after: float | None = None,
        permanent: str | None = None,
        rolled_back: bool | None = None,
        apply_steps: list[str] | None = None,
    ) -> Outcome:
        projected = _project(self.record(), self.ctx.plan)
        self.status.steps = projected["steps"]
        self.status.receipts = projected["receipts"]
        self.status.audit = _audit_entries(self.previous.audit, self.audit)
        self.status.conditions = self.conditions.items
        self.status.phase = phase
        return Outcome(
            status=self.status,
            events=self.events,
            retry_after=retry_after,
            permanent=permanent,
            rolled_back=rolled_back,
            apply_steps=apply_steps,
        )


def _begun_run(
    api: ApiClient,
    body: Mapping[str, Any],
    *,
    aws: AwsTarget | None,
    clock: Callable[[], datetime],
) -> tuple[_Run | None, Outcome | None]:
    """The run of a Remediation whose plan is journaled; else the outcome to report instead.

    Sub-handlers run in later reconcile cycles than the status they build on was written in,
    and kopf hands each the object as it was when its cycle began: so the Remediation is read
    afresh, and its newest status is the one extended.
    """
    meta = body["metadata"]
    fresh = get_custom(api, "remediations", str(meta["namespace"]), str(meta["name"]))
    if fresh is None:
        return None, Outcome(status=_previous_status(body))  # deleted meanwhile
    body = fresh
    previous = _previous_status(body)
    try:
        ctx = _load_context(api, body)
    except ValidationError as exc:
        return None, Outcome(status=previous, permanent=f"invalid spec: {exc.error_count()} errors")
    except NotReadyError as exc:
        return None, Outcome(
            status=previous, retry_after=30.0, events=[("Warning", "Waiting", str(exc))]
        )
    return _Run(api, body, ctx, previous, now=clock(), aws=aws or AwsTarget()), None


def apply_remediation_step(
    api: ApiClient,
    body: Mapping[str, Any],
    step_id: str,
    *,
    aws: AwsTarget | None = None,
    clock: Callable[[], datetime] = _now,
) -> Outcome:
    """Apply one step of a begun plan (a kopf sub-handler): receipt in status, or roll back.

    A step the journal has as applied is not applied again; a step of a plan that is already
    finished (rolled back after an earlier step failed) does nothing. After the last step the
    plan is complete and the Remediation moves on to verification.
    """
    run, stopped = _begun_run(api, body, aws=aws, clock=clock)
    if run is None:
        assert stopped is not None
        return stopped
    plan_id = run.ctx.plan.id
    before = run.record()
    if before is None:
        return run.finish(run.previous.phase or RemediationPhase.PENDING, retry_after=5.0)
    if before.status is not PlanStatus.RUNNING:
        return Outcome(status=run.previous)  # finished: nothing left for this step to do
    known = before.steps.get(step_id)
    repeated = known is not None and known.state is StepState.APPLIED
    result = run.executor.apply_step(plan_id, step_id)
    if result.status is StepOutcome.NOT_RUN:
        # Steps run in order, so only a predecessor that is not done yet can cause this.
        return run.finish(RemediationPhase.APPLYING, retry_after=5.0)
    if result.status is StepOutcome.FAILED:
        problems = f"{step_id}: {result.error}"
        rollback = run.executor.rollback(plan_id)
        rolled = rollback.status is ExecutionStatus.ROLLED_BACK
        detail = "; ".join([problems, *rollback.problems])
        run.conditions.set("Applied", False, "ApplyFailed", detail)
        run.conditions.set(
            "RolledBack", rolled, "RolledBack" if rolled else "RollbackFailed", detail
        )
        run.conditions.set("Succeeded", False, "ApplyFailed", detail)
        run.events.append(("Warning", "ApplyFailed", problems))
        run.events.append(
            ("Normal", "RolledBack", "every touched step restored")
            if rolled
            else ("Warning", "RollbackFailed", "; ".join(rollback.problems))
        )
        return run.finish(
            RemediationPhase.ROLLED_BACK if rolled else RemediationPhase.FAILED,
            rolled_back=rolled,
            permanent=f"step {problems}",
        )
    if not repeated:
        target = run.ctx.plan.step(step_id).action.target()
        changed = result.receipt is not None and result.receipt.changed
        run.events.append(
            (
                "Normal",
                "StepApplied",
                f"{step_id}: {target} {'changed' if changed else 'already as planned'}"
                " (receipt in status)",
            )
        )
    if step_id != run.ctx.plan.steps[-1].id:
        return run.finish(RemediationPhase.APPLYING)
    complete = run.executor.complete(plan_id)
    if complete.status is not ExecutionStatus.SUCCEEDED:
        return run.finish(RemediationPhase.APPLYING, retry_after=5.0)
    count = len(run.ctx.plan.steps)
    run.conditions.set("Applied", True, "Applied", f"{count} step(s) applied with receipts")
    run.events.append(("Normal", "Applied", f"{count} step(s) applied with receipts"))
    return run.finish(RemediationPhase.VERIFYING)


def verify_remediation(
    api: ApiClient,
    body: Mapping[str, Any],
    *,
    verify_grace_seconds: float,
    verify_interval_seconds: float,
    aws: AwsTarget | None = None,
    clock: Callable[[], datetime] = _now,
) -> Outcome:
    """After the last step (a kopf sub-handler): run the checks; roll back when they keep
    failing past the grace period. A plan that was rolled back already is left alone."""
    run, stopped = _begun_run(api, body, aws=aws, clock=clock)
    if run is None:
        assert stopped is not None
        return stopped
    record = run.record()
    if record is None or record.status is PlanStatus.RUNNING:
        return run.finish(run.previous.phase or RemediationPhase.APPLYING, retry_after=5.0)
    if record.status is not PlanStatus.SUCCEEDED:
        return Outcome(status=run.previous)
    if run.previous.phase in TERMINAL:
        return Outcome(status=run.previous)
    return _verify(
        run.ctx,
        run.executor,
        run.sources,
        record,
        run.conditions,
        run.events,
        run.finish,
        now=clock(),
        grace=verify_grace_seconds,
        interval=verify_interval_seconds,
    )


Finish = Callable[..., Outcome]


def _record_approval(
    report: ExecutionReport,
    conditions: _Conditions,
    events: list[tuple[str, str, str]],
    previous: RemediationStatus,
) -> None:
    """The Approved condition of a plan that passed the gate: a person's, or the policy's."""
    approvals = [d.approval for d in report.decisions if d.approval is not None]
    if approvals:
        conditions.set("Approved", True, "Approved", f"approved by {approvals[0].approver}")
        if previous.approved_by is None or not any(
            c.type == "Approved" and c.status is ConditionStatus.TRUE for c in previous.conditions
        ):
            events.append(("Normal", "Approved", f"approved by {approvals[0].approver}"))
    else:
        conditions.set("Approved", True, "PolicyAllowed", "every step is within the policy")


def _stopped_at_gate(
    report: ExecutionReport,
    conditions: _Conditions,
    events: list[tuple[str, str, str]],
    finish: Finish,
    previous: RemediationStatus,
) -> Outcome:
    """The outcome of a plan the gate did not let through to its steps (nothing changed)."""
    problems = "; ".join(report.problems)
    state = report.status
    if state is ExecutionStatus.REJECTED:
        conditions.set("Approved", False, "PlanRejected", problems)
        events.append(("Warning", "PlanRejected", problems))
        return finish(RemediationPhase.FAILED, permanent=f"plan rejected: {problems}")
    if state is ExecutionStatus.DENIED:
        conditions.set("Approved", False, "PolicyDenied", problems)
        events.append(("Warning", "PolicyDenied", problems))
        return finish(RemediationPhase.DENIED)
    if state is ExecutionStatus.AWAITING_APPROVAL:
        conditions.set("Approved", False, "ApprovalRequired", problems)
        if previous.phase is not RemediationPhase.AWAITING_APPROVAL:
            events.append(
                (
                    "Normal",
                    "ApprovalRequired",
                    f"annotate with {APPROVED_BY_ANNOTATION}=PERSON to approve: {problems}",
                )
            )
        return finish(RemediationPhase.AWAITING_APPROVAL)
    _record_approval(report, conditions, events, previous)
    if state is ExecutionStatus.DRY_RUN_OK:
        conditions.set("Applied", False, "DryRun", "the server accepted every step (dry run)")
        conditions.set("Succeeded", True, "DryRunSucceeded", "dry run only: nothing changed")
        events.append(("Normal", "DryRunSucceeded", "the server accepted every step"))
        return finish(RemediationPhase.SUCCEEDED)
    conditions.set("Applied", False, "DryRunFailed", problems)
    events.append(("Warning", "DryRunFailed", problems))
    return finish(RemediationPhase.FAILED)


def _verify(
    ctx: _Context,
    executor: Executor,
    sources: Mapping[str, MetricSource],
    record: PlanRecord,
    conditions: _Conditions,
    events: list[tuple[str, str, str]],
    finish: Finish,
    *,
    now: datetime,
    grace: float,
    interval: float,
) -> Outcome:
    reviewer = Reviewer(sources, executor=executor, audit=executor.audit)
    results = reviewer.evaluate(ctx.plan)
    detail = "; ".join(f"{r.check}: {r.detail}" for r in results if not r.passed)
    if all(r.passed for r in results):
        message = f"{len(results)} check(s) passed" if results else "no checks to run"
        conditions.set("Verified", True, "ChecksPassed", message)
        conditions.set("Succeeded", True, "Verified", message)
        events.append(("Normal", "Verified", message))
        return finish(RemediationPhase.SUCCEEDED)
    applied_at = max(
        (s.receipt.applied_at for s in record.steps.values() if s.receipt is not None),
        default=now,
    )
    waited = (now - applied_at).total_seconds()
    if waited < grace:
        conditions.set("Verified", ConditionStatus.UNKNOWN, "Verifying", detail)
        return finish(RemediationPhase.VERIFYING, retry_after=min(interval, grace - waited))
    review = reviewer.review(ctx.plan)  # fails again, and rolls the plan back
    conditions.set("Verified", False, "ChecksFailed", detail)
    rolled = review.rolled_back and not review.rollback_problems
    conditions.set(
        "RolledBack",
        rolled,
        "RolledBack" if rolled else "RollbackFailed",
        "; ".join(review.rollback_problems) or "every applied step restored from its receipt",
    )
    conditions.set("Succeeded", False, "VerificationFailed", detail)
    events.append(("Warning", "VerificationFailed", detail))
    events.append(
        ("Normal", "RolledBack", "every applied step restored from its receipt")
        if rolled
        else ("Warning", "RollbackFailed", "; ".join(review.rollback_problems))
    )
    return finish(
        RemediationPhase.ROLLED_BACK if rolled else RemediationPhase.FAILED, rolled_back=rolled
    )
