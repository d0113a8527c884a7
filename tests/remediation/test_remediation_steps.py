"""The executor's stages in pieces: prepare, one step at a time, complete.

The operator applies each step as its own kopf sub-handler, across reconcile cycles and
possibly across operator restarts; these tests hold the piecewise API to the same contract as
:meth:`Executor.execute`: nothing before the gate passes, steps in order, a step that landed
never lands twice, a failure leaves a journal that rolls back.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import JsonValue

from logswarm.incidents import EntityKind
from logswarm.remediation import (
    ExecutionStatus,
    Executor,
    MemoryAuditLog,
    PlanStatus,
    Provider,
    ReceiptStore,
    RemediationPlan,
    SafetyAgent,
    SafetyPolicy,
    StepState,
)
from logswarm.remediation.backend import IntentRecorder
from logswarm.remediation.executor import StepStatus
from logswarm.remediation.plan import Receipt
from logswarm.remediation.redteam import RecordingBackend, make_incident
from logswarm.remediation.vocabulary import ActionSpec

INCIDENT = make_incident(
    [(EntityKind.NAMESPACE, "shop"), (EntityKind.DEPLOYMENT, "web"), (EntityKind.DEPLOYMENT, "api")]
)


def _plan() -> RemediationPlan:
    return RemediationPlan.model_validate(
        {
            "id": "fix-web",
            "incident_id": INCIDENT.id,
            "steps": [
                {
                    "id": f"scale-{name}",
                    "action": {
                        "kind": "k8s.workload.scale",
                        "namespace": "shop",
                        "name": name,
                        "replicas": 3,
                    },
                }
                for name in ("web", "api")
            ],
        }
    )


class FailingOn(RecordingBackend):
    """Records like its parent, but the change to ``name`` fails after its intent is journaled."""

    def __init__(self, name: str) -> None:
        super().__init__(Provider.KUBERNETES)
        self.name = name

    def apply(
        self,
        action: ActionSpec,
        *,
        plan_id: str,
        step_id: str,
        record_intent: IntentRecorder,
    ) -> Receipt:
        if getattr(action, "name", None) == self.name:
            pre: dict[str, JsonValue] = {"recorded": True}
            record_intent(pre)
            raise RuntimeError("the API server refused the change")
        return super().apply(action, plan_id=plan_id, step_id=step_id, record_intent=record_intent)


def _executor(tmp_path: Path, backend: RecordingBackend, **policy: object) -> Executor:
    audit = MemoryAuditLog()
    return Executor(
        {Provider.KUBERNETES: backend},
        safety=SafetyAgent(SafetyPolicy.model_validate(policy), audit=audit),
        store=ReceiptStore(tmp_path),
        audit=audit,
    )


def test_prepare_begins_the_journal_only_when_the_gate_passes(tmp_path: Path) -> None:
    backend = RecordingBackend(Provider.KUBERNETES)
    executor = _executor(tmp_path, backend)
    report = executor.prepare(_plan(), incident=INCIDENT)
    assert report.status is ExecutionStatus.READY
    assert executor.store.load("fix-web").status is PlanStatus.RUNNING
    assert executor.journaled_plan("fix-web") == _plan()
    assert backend.applied == []  # prepared, nothing changed yet

    # A plan naming a target the incident's evidence does not: rejected, nothing journaled.
    hostile = _plan().model_dump(mode="json")
    hostile["id"] = "hostile"
    hostile["steps"][0]["action"]["name"] = "payments"
    rejected = executor.prepare(hostile, incident=INCIDENT)
    assert rejected.status is ExecutionStatus.REJECTED
    assert not executor.store.exists("hostile")


def test_a_plan_that_needs_a_person_is_not_journaled(tmp_path: Path) -> None:
    backend = RecordingBackend(Provider.KUBERNETES)
    executor = _executor(tmp_path, backend, risk={"k8s.workload.scale": 3})
    report = executor.prepare(_plan(), incident=INCIDENT)
    assert report.status is ExecutionStatus.AWAITING_APPROVAL
    assert not executor.store.exists("fix-web")


def test_steps_apply_in_order_and_a_repeated_step_changes_nothing(tmp_path: Path) -> None:
    backend = RecordingBackend(Provider.KUBERNETES)
    executor = _executor(tmp_path, backend)
    executor.prepare(_plan(), incident=INCIDENT)

    early = executor.apply_step("fix-web", "scale-api")
    assert early.status is StepStatus.NOT_RUN
    assert early.error == "step scale-web has not been applied yet"

    first = executor.apply_step("fix-web", "scale-web")
    assert first.status is StepStatus.APPLIED
    assert first.receipt is not None
    again = executor.apply_step("fix-web", "scale-web")  # e.g. a restarted operator
    assert again.status is StepStatus.UNCHANGED
    assert again.receipt == first.receipt
    assert executor.complete("fix-web").status is ExecutionStatus.READY  # one step to go

    assert executor.apply_step("fix-web", "scale-api").status is StepStatus.APPLIED
    assert [step for _plan_id, step, _action in backend.applied] == ["scale-web", "scale-api"]
    done = executor.complete("fix-web")
    assert done.status is ExecutionStatus.SUCCEEDED
    assert executor.store.load("fix-web").status is PlanStatus.SUCCEEDED
    late = executor.apply_step("fix-web", "scale-api")
    assert late.status is StepStatus.NOT_RUN
    assert late.error == "plan fix-web is succeeded"


def test_a_failed_step_is_journaled_and_the_plan_rolls_back_from_its_receipts(
    tmp_path: Path,
) -> None:
    backend = FailingOn("api")
    executor = _executor(tmp_path, backend)
    executor.prepare(_plan(), incident=INCIDENT)
    assert executor.apply_step("fix-web", "scale-web").status is StepStatus.APPLIED
    failed = executor.apply_step("fix-web", "scale-api")
    assert failed.status is StepStatus.FAILED
    assert failed.error is not None
    assert "refused the change" in failed.error
    record = executor.store.load("fix-web")
    assert record.steps["scale-api"].state is StepState.FAILED

    rollback = executor.rollback("fix-web")
    assert rollback.status is ExecutionStatus.ROLLED_BACK
    # Both touched steps are undone, newest first: the failed one had journaled its intent.
    assert [getattr(a, "name", None) for a in backend.rolled_back] == ["api", "web"]
    assert executor.complete("fix-web").status is ExecutionStatus.ROLLED_BACK


@pytest.mark.parametrize("dry_run", [True, False])
def test_prepare_and_execute_agree_on_the_gate(tmp_path: Path, dry_run: bool) -> None:
    prepared = _executor(tmp_path / "a", RecordingBackend(Provider.KUBERNETES)).prepare(
        _plan(), incident=INCIDENT, dry_run=dry_run
    )
    executed = _executor(tmp_path / "b", RecordingBackend(Provider.KUBERNETES)).execute(
        _plan(), incident=INCIDENT, dry_run=dry_run
    )
    if dry_run:
        assert prepared.status is executed.status is ExecutionStatus.DRY_RUN_OK
    else:
        assert prepared.status is ExecutionStatus.READY
        assert executed.status is ExecutionStatus.SUCCEEDED
    assert [(d.step_id, d.verdict) for d in prepared.decisions] == [
        (d.step_id, d.verdict) for d in executed.decisions
    ]
