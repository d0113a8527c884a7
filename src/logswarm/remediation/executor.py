"""The Executor agent: runs a screened, policy-cleared plan with a receipt for every change.

Order of work for one plan, each stage able to stop it before the world changes:

1. screen the untrusted plan (vocabulary, evidence, limits) — :mod:`.guard`;
2. assess each target read-only and let the safety policy decide — :mod:`.safety`;
   any denial, or any missing approval, stops the plan with nothing applied;
3. server-side dry run of every step (``dryRun=All``, EC2 ``DryRun``);
4. apply step by step under the write-ahead journal (:mod:`.receipts`): intent with
   pre-image, change, outcome; each applied step is verified against its post-image;
5. on any error or failed verification, roll back every touched step in reverse order.

Applying a plan that the journal says already ran is a no-op for its applied steps (the same
step twice equals once), which is also how an interrupted plan is resumed. A fresh executor
can roll back any plan from the journal alone (:meth:`Executor.rollback`,
:meth:`Executor.recover`).

:meth:`Executor.execute` runs all five stages in one call (the CLI, the red-team bench). A
caller that drives the steps itself — the operator runs each step as its own kopf sub-handler,
so that its framework records progress step by step — uses the same stages in pieces:
:meth:`Executor.prepare` (stages 1-3, then the journal's "plan begun": from here on the plan is
finished or rolled back, never abandoned), :meth:`Executor.apply_step` once per step in order,
and :meth:`Executor.complete`. Each piece reads the journal first, so calling one again after a
crash repeats nothing that landed.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from logswarm.incidents import Incident
from logswarm.remediation.audit import AuditEvent, AuditKind, AuditLog
from logswarm.remediation.backend import ActionBackend
from logswarm.remediation.errors import RemediationError
from logswarm.remediation.guard import PlanLimits, screen_plan
from logswarm.remediation.plan import PlanStep, Receipt, RemediationPlan
from logswarm.remediation.receipts import JournalStore, PlanStatus, StepRecord, StepState
from logswarm.remediation.safety import Decision, SafetyAgent, TargetFacts, Verdict
from logswarm.remediation.vocabulary import ActionSpec

__all__ = ["ExecutionReport", "ExecutionStatus", "Executor", "StepResult", "StepStatus"]


class ExecutionStatus(enum.StrEnum):
    REJECTED = "rejected"
    DENIED = "denied"
    AWAITING_APPROVAL = "awaiting_approval"
    DRY_RUN_FAILED = "dry_run_failed"
    DRY_RUN_OK = "dry_run_ok"
    #: Screened, decided and dry-run; the journal has begun: apply the steps, in order.
    READY = "ready"
    SUCCEEDED = "succeeded"
    ROLLED_BACK = "rolled_back"
    ROLLBACK_FAILED = "rollback_failed"


class StepStatus(enum.StrEnum):
    APPLIED = "applied"
    UNCHANGED = "unchanged"
    FAILED = "failed"
    ROLLED_BACK = "rolled_back"
    ROLLBACK_FAILED = "rollback_failed"
    NOT_RUN = "not_run"


class StepResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    step_id: str
    status: StepStatus
    receipt: Receipt | None = None
    error: str | None = None


class ExecutionReport(BaseModel):
    """What happened to a plan, as data (also what the operator writes into status)."""

    model_config = ConfigDict(extra="forbid")

    plan_id: str | None
    status: ExecutionStatus
    problems: list[str] = Field(default_factory=list)
    decisions: list[Decision] = Field(default_factory=list)
    steps: list[StepResult] = Field(default_factory=list)

    @property
    def changed_world(self) -> bool:
        return any(s.status is StepStatus.APPLIED for s in self.steps)


def _describe(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text[:1000]


class Executor:
    """Carries out plans through provider backends, journaling every change."""

    ACTOR = "executor"

    def __init__(
        self,
        backends: Mapping[str, ActionBackend],
        *,
        safety: SafetyAgent,
        store: JournalStore,
        audit: AuditLog,
        limits: PlanLimits | None = None,
    ) -> None:
        self.backends = dict(backends)
        self.safety = safety
        self.store = store
        self.audit = audit
        self.limits = limits or PlanLimits()

    def _backend(self, action: ActionSpec) -> ActionBackend:
        try:
            return self.backends[action.provider]
        except KeyError as exc:
            raise RemediationError(f"no backend configured for {action.provider}") from exc

    def _audit(
        self, kind: AuditKind, plan_id: str | None, step_id: str | None, **detail: JsonValue
    ) -> None:
        self.audit.write(
            AuditEvent(kind=kind, actor=self.ACTOR, plan_id=plan_id, step_id=step_id, detail=detail)
        )

    # -- gate ---------------------------------------------------------------------------

    def screen(
        self, plan: RemediationPlan | str | bytes | Mapping[str, Any], *, incident: Incident
    ) -> tuple[RemediationPlan | None, list[str]]:
        raw: str | bytes | Mapping[str, Any]
        raw = plan.model_dump(mode="json") if isinstance(plan, RemediationPlan) else plan
        screening = screen_plan(raw, incident=incident, limits=self.limits)
        plan_id = screening.plan.id if screening.plan else None
        self._audit(
            AuditKind.SCREENED,
            plan_id,
            None,
            accepted=screening.accepted,
            problems=list[JsonValue](screening.problems),
            incident=incident.id,
        )
        return screening.plan, list(screening.problems)

    def assess(self, plan: RemediationPlan) -> dict[str, TargetFacts | None]:
        facts: dict[str, TargetFacts | None] = {}
        for step in plan.steps:
            try:
                facts[step.id] = self._backend(step.action).assess(step.action)
            except RemediationError:
                facts[step.id] = None  # unknown blast radius: the policy asks a person
        return facts

    def decide(self, plan: RemediationPlan) -> list[Decision]:
        return self.safety.decide(plan, facts=self.assess(plan))

    # -- execution ----------------------------------------------------------------------

    def execute(
        self,
        plan: RemediationPlan | str | bytes | Mapping[str, Any],
        *,
        incident: Incident,
        dry_run: bool = False,
    ) -> ExecutionReport:
        """Screen, decide, dry-run and (unless ``dry_run``) apply a plan; never raises for
        anything the plan or the world did — the outcome is in the report."""
        screened, stopped = self._gate(plan, incident=incident, dry_run=dry_run)
        if screened is None:
            return stopped
        return self._apply_plan(screened, stopped.decisions)

    def prepare(
        self,
        plan: RemediationPlan | str | bytes | Mapping[str, Any],
        *,
        incident: Incident,
        dry_run: bool = False,
    ) -> ExecutionReport:
        """Stages 1-3 (screen, decide, dry run); then begin the journal and report READY.

        Any other status means nothing was journaled and nothing may be applied. The plan to
        apply is the screened one, as the journal holds it (:meth:`journaled_plan`).
        """
        screened, stopped = self._gate(plan, incident=incident, dry_run=dry_run)
        if screened is None:
            return stopped
        self.store.begin(screened)
        return stopped.model_copy(update={"status": ExecutionStatus.READY})

    def _gate(
        self,
        plan: RemediationPlan | str | bytes | Mapping[str, Any],
        *,
        incident: Incident,
        dry_run: bool,
    ) -> tuple[RemediationPlan | None, ExecutionReport]:
        """Stages 1-3. ``(plan, report)`` when the plan may be applied (the report holds the
        decisions), else ``(None, report)`` saying why it stops here."""
        screened, problems = self.screen(plan, incident=incident)
        if screened is None:
            return None, ExecutionReport(
                plan_id=None, status=ExecutionStatus.REJECTED, problems=problems
            )
        decisions = self.decide(screened)
        denied = [d for d in decisions if d.verdict is Verdict.DENY]
        if denied:
            return None, ExecutionReport(
                plan_id=screened.id,
                status=ExecutionStatus.DENIED,
                decisions=decisions,
                problems=[f"{d.step_id}: {'; '.join(d.reasons)}" for d in denied],
            )
        waiting = [d for d in decisions if not d.executable]
        if waiting:
            return None, ExecutionReport(
                plan_id=screened.id,
                status=ExecutionStatus.AWAITING_APPROVAL,
                decisions=decisions,
                problems=[f"{d.step_id}: awaiting approval" for d in waiting],
            )
        dry_problems = self._dry_run(screened)
        if dry_problems:
            return None, ExecutionReport(
                plan_id=screened.id,
                status=ExecutionStatus.DRY_RUN_FAILED,
                decisions=decisions,
                problems=dry_problems,
            )
        report = ExecutionReport(
            plan_id=screened.id, status=ExecutionStatus.DRY_RUN_OK, decisions=decisions
        )
        return (None, report) if dry_run else (screened, report)

    def journaled_plan(self, plan_id: str) -> RemediationPlan:
        """The plan as it was screened and begun: the only version steps are applied from."""
        return self.store.load(plan_id).plan

    def apply_step(self, plan_id: str, step_id: str) -> StepResult:
        """Stage 4 for one step of a begun plan; never raises for what the world did.

        A step the journal has as applied is not applied again (``UNCHANGED`` with its
        receipt); a step whose predecessor has no receipt yet, or of a plan already finished,
        is ``NOT_RUN`` with the reason. A failure is journaled and returned as ``FAILED``: the
        caller rolls the plan back (:meth:`rollback`).
        """
        record = self.store.load(plan_id)
        plan = record.plan
        if record.status is not PlanStatus.RUNNING:
            return StepResult(
                step_id=step_id,
                status=StepStatus.NOT_RUN,
                error=f"plan {plan_id} is {record.status.value}",
            )
        ids = [s.id for s in plan.steps]
        if step_id not in ids:
            return StepResult(
                step_id=step_id, status=StepStatus.NOT_RUN, error=f"no step {step_id!r} in plan"
            )
        for earlier_id in ids[: ids.index(step_id)]:
            earlier_record = record.steps.get(earlier_id)
            if earlier_record is None or earlier_record.state is not StepState.APPLIED:
                return StepResult(
                    step_id=step_id,
                    status=StepStatus.NOT_RUN,
                    error=f"step {earlier_id} has not been applied yet",
                )
        return self._run_step(plan, plan.step(step_id), record.steps.get(step_id))

    def complete(self, plan_id: str) -> ExecutionReport:
        """Stage 4's end: SUCCEEDED once every step of the begun plan has its receipt."""
        record = self.store.load(plan_id)
        missing = [
            s.id
            for s in record.plan.steps
            if (r := record.steps.get(s.id)) is None or r.state is not StepState.APPLIED
        ]
        if record.status is PlanStatus.RUNNING and not missing:
            self.store.record_finished(plan_id, status=PlanStatus.SUCCEEDED)
            record = self.store.load(plan_id)
        status = {
            PlanStatus.SUCCEEDED: ExecutionStatus.SUCCEEDED,
            PlanStatus.ROLLED_BACK: ExecutionStatus.ROLLED_BACK,
            PlanStatus.FAILED: ExecutionStatus.ROLLBACK_FAILED,
            PlanStatus.RUNNING: ExecutionStatus.READY,
        }[record.status]
        return ExecutionReport(
            plan_id=plan_id,
            status=status,
            problems=[f"{step_id}: not applied yet" for step_id in missing]
            if record.status is PlanStatus.RUNNING
            else [],
        )

    def _dry_run(self, plan: RemediationPlan) -> list[str]:
        problems: list[str] = []
        for step in plan.steps:
            try:
                notes = self._backend(step.action).dry_run(step.action)
            except RemediationError as exc:
                problems.append(f"{step.id}: {_describe(exc)}")
                self._audit(AuditKind.DRY_RUN, plan.id, step.id, ok=False, error=_describe(exc))
            else:
                self._audit(
                    AuditKind.DRY_RUN, plan.id, step.id, ok=True, notes=list[JsonValue](notes)
                )
        return problems

    def _apply_plan(self, plan: RemediationPlan, decisions: list[Decision]) -> ExecutionReport:
        record = self.store.begin(plan)
        results: list[StepResult] = []
        failure: str | None = None
        for step in plan.steps:
            result = self._run_step(plan, step, record.steps.get(step.id))
            results.append(result)
            if result.status is StepStatus.FAILED:
                failure = f"{step.id}: {result.error}"
                break
        if failure is None:
            self.store.record_finished(plan.id, status=PlanStatus.SUCCEEDED)
            return ExecutionReport(
                plan_id=plan.id,
                status=ExecutionStatus.SUCCEEDED,
                decisions=decisions,
                steps=results,
            )
        rollback = self.rollback(plan.id)
        return ExecutionReport(
            plan_id=plan.id,
            status=rollback.status,
            decisions=decisions,
            problems=[failure, *rollback.problems],
            steps=results + rollback.steps,
        )

    def _run_step(
        self, plan: RemediationPlan, step: PlanStep, earlier: StepRecord | None
    ) -> StepResult:
        if earlier is not None and earlier.state is StepState.APPLIED and earlier.receipt:
            # Already applied by an earlier run of this very plan: the same step twice is once.
            return StepResult(step_id=step.id, status=StepStatus.UNCHANGED, receipt=earlier.receipt)
        try:
            receipt = self._apply_step(plan, step, earlier)
        except Exception as exc:  # any failure mid-plan must roll back
            self.store.record_failed(plan.id, step_id=step.id, error=_describe(exc))
            self._audit(AuditKind.APPLY_FAILED, plan.id, step.id, error=_describe(exc))
            return StepResult(step_id=step.id, status=StepStatus.FAILED, error=_describe(exc))
        return StepResult(
            step_id=step.id,
            status=StepStatus.APPLIED if receipt.changed else StepStatus.UNCHANGED,
            receipt=receipt,
        )

    def _apply_step(
        self, plan: RemediationPlan, step: PlanStep, earlier: StepRecord | None
    ) -> Receipt:
        backend = self._backend(step.action)

        def record_intent(pre_image: dict[str, JsonValue]) -> None:
            self.store.record_intent(
                plan.id,
                step_id=step.id,
                idempotency_key=f"{plan.id}/{step.id}",
                action=step.action,
                pre_image=pre_image,
            )

        receipt = backend.apply(
            step.action, plan_id=plan.id, step_id=step.id, record_intent=record_intent
        )
        interrupted = (
            earlier is not None
            and earlier.state in {StepState.INTENDED, StepState.FAILED}
            and earlier.intent_pre_image is not None
        )
        if interrupted and not receipt.changed and earlier is not None:
            # An earlier, interrupted attempt did land: undo must go back to *its* pre-image.
            receipt = receipt.model_copy(
                update={
                    "pre_image": earlier.intent_pre_image,
                    "changed": True,
                    "notes": [*receipt.notes, "pre-image from an interrupted earlier attempt"],
                }
            )
        self.store.record_applied(receipt)
        self._audit(
            AuditKind.APPLIED,
            plan.id,
            step.id,
            changed=receipt.changed,
            target=step.action.target(),
            conflicts_retried=receipt.conflicts_retried,
        )
        problems = backend.verify(receipt)
        self._audit(
            AuditKind.VERIFIED,
            plan.id,
            step.id,
            ok=not problems,
            problems=list[JsonValue](problems),
        )
        if problems:
            raise RemediationError("post-image not observed: " + "; ".join(problems))
        return receipt

    # -- rollback -----------------------------------------------------------------------

    def rollback(self, plan_id: str) -> ExecutionReport:
        """Undo every touched step of a journaled plan, newest first; safe to call again."""
        record = self.store.load(plan_id)
        results: list[StepResult] = []
        problems: list[str] = []
        for step in reversed(record.touched()):
            result = self._rollback_step(plan_id, step)
            results.append(result)
            if result.status is StepStatus.ROLLBACK_FAILED:
                problems.append(f"{step.step_id}: rollback failed: {result.error}")
        status = ExecutionStatus.ROLLBACK_FAILED if problems else ExecutionStatus.ROLLED_BACK
        self.store.record_finished(
            plan_id, status=PlanStatus.FAILED if problems else PlanStatus.ROLLED_BACK
        )
        return ExecutionReport(plan_id=plan_id, status=status, problems=problems, steps=results)

    def _rollback_step(self, plan_id: str, step: StepRecord) -> StepResult:
        action = step.action
        if step.receipt is not None and step.state is not StepState.FAILED:
            pre_image = step.receipt.pre_image
            changed = step.receipt.changed
        else:
            pre_image = step.intent_pre_image or {}
            changed = True
        if action is None:
            return StepResult(
                step_id=step.step_id, status=StepStatus.ROLLBACK_FAILED, error="no action recorded"
            )
        if not changed:
            self.store.record_rolled_back(plan_id, step_id=step.step_id)
            self._audit(AuditKind.ROLLED_BACK, plan_id, step.step_id, changed=False)
            return StepResult(step_id=step.step_id, status=StepStatus.ROLLED_BACK)
        try:
            backend = self._backend(action)
            backend.rollback(action, pre_image)
            problems = backend.verify_rollback(action, pre_image)
            if problems:
                raise RemediationError("pre-image not restored: " + "; ".join(problems))
        except Exception as exc:  # keep undoing the other steps, report this one
            self.store.record_rollback_failed(plan_id, step_id=step.step_id, error=_describe(exc))
            self._audit(AuditKind.ROLLBACK_FAILED, plan_id, step.step_id, error=_describe(exc))
            return StepResult(
                step_id=step.step_id, status=StepStatus.ROLLBACK_FAILED, error=_describe(exc)
            )
        self.store.record_rolled_back(plan_id, step_id=step.step_id)
        self._audit(AuditKind.ROLLED_BACK, plan_id, step.step_id, changed=True)
        return StepResult(step_id=step.step_id, status=StepStatus.ROLLED_BACK)

    def recover(self) -> list[ExecutionReport]:
        """After a crash: roll back every plan whose journal has no final status.

        To resume such a plan instead, call :meth:`execute` with the same plan: applied steps
        are skipped, interrupted ones re-applied under the same idempotency key.
        """
        return [self.rollback(plan_id) for plan_id in self.store.unfinished()]
