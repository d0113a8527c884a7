"""Every AWS action against moto's real HTTP server: apply, verify, roll back, world restored."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from logswarm.remediation import (
    ActionSpec,
    AddNaclDenyEntry,
    AuditKind,
    CloudWatchCheck,
    Comparison,
    DeactivateAccessKey,
    DryRunError,
    ExecutionStatus,
    Provider,
    Reviewer,
    RevokeSecurityGroupIngress,
    SetAsgDesiredCapacity,
    SetLambdaReservedConcurrency,
    StepStatus,
    StopInstance,
    Verdict,
)
from logswarm.remediation.aws import AwsBackend, CloudWatchSource

pytestmark = pytest.mark.moto

ACTIONS: dict[str, Callable[[Any], ActionSpec]] = {
    "deactivate-key": lambda w: DeactivateAccessKey(
        user_name=w.user, access_key_id=w.access_key_id
    ),
    "revoke-sg": lambda w: RevokeSecurityGroupIngress(
        group_id=w.group_id, protocol="tcp", from_port=22, to_port=22, cidr="203.0.113.0/24"
    ),
    "nacl-deny": lambda w: AddNaclDenyEntry(
        network_acl_id=w.network_acl_id, rule_number=90, cidr="203.0.113.7/32"
    ),
    "nacl-deny-tcp": lambda w: AddNaclDenyEntry(
        network_acl_id=w.network_acl_id,
        rule_number=91,
        cidr="203.0.113.7/32",
        protocol="tcp",
        from_port=443,
        to_port=443,
        egress=True,
    ),
    "asg-desired": lambda w: SetAsgDesiredCapacity(group_name=w.asg, desired_capacity=4),
    "stop-instance": lambda w: StopInstance(instance_id=w.instance_id),
    "lambda-concurrency": lambda w: SetLambdaReservedConcurrency(
        function_name=w.function, reserved_concurrency=5
    ),
}


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_action_applies_verifies_rolls_back_to_the_pre_image(aws_world: Any, name: str) -> None:
    backend: AwsBackend = aws_world.backend
    action = ACTIONS[name](aws_world)
    before = backend.observe(action)

    backend.dry_run(action)
    assert backend.observe(action) == before, "a dry run must change nothing"

    intents: list[dict[str, Any]] = []
    receipt = backend.apply(action, plan_id="p", step_id="s1", record_intent=intents.append)
    assert receipt.changed
    assert intents == [before], "the pre-image is journaled before the write"
    assert receipt.pre_image == before
    assert backend.observe(action) != before
    assert backend.verify(receipt) == []

    again = backend.apply(action, plan_id="p", step_id="s1", record_intent=intents.append)
    assert not again.changed, "applying the same step twice equals once"
    assert len(intents) == 1

    backend.rollback(action, receipt.pre_image)
    assert backend.verify_rollback(action, receipt.pre_image) == []
    assert backend.observe(action) == before
    backend.rollback(action, receipt.pre_image)  # undoing twice is undoing once
    assert backend.observe(action) == before


def test_receipt_survives_json_round_trip(aws_world: Any) -> None:
    from logswarm.remediation import Receipt

    action = ACTIONS["revoke-sg"](aws_world)
    receipt = aws_world.backend.apply(
        action, plan_id="p", step_id="s1", record_intent=lambda _: None
    )
    restored = Receipt.model_validate_json(receipt.model_dump_json())
    assert restored == receipt
    aws_world.backend.rollback(restored.action, restored.pre_image)
    assert aws_world.backend.observe(action)["present"] is True


def test_ec2_dry_run_rejects_a_missing_rule(aws_world: Any) -> None:
    action = RevokeSecurityGroupIngress(
        group_id=aws_world.group_id, protocol="tcp", from_port=22, to_port=22, cidr="203.0.113.0/24"
    )
    aws_world.backend.apply(action, plan_id="p", step_id="s1", record_intent=lambda _: None)
    # the rule is gone now: the dry run says there is nothing to do rather than failing
    assert "already absent" in aws_world.backend.dry_run(action)[0]


def test_asg_dry_run_refuses_capacity_outside_bounds(aws_world: Any) -> None:
    with pytest.raises(DryRunError, match="outside"):
        aws_world.backend.dry_run(
            SetAsgDesiredCapacity(group_name=aws_world.asg, desired_capacity=9)
        )


def test_nacl_rule_number_taken_by_another_entry_is_not_clobbered(aws_world: Any) -> None:
    aws_world.clients.ec2.create_network_acl_entry(
        NetworkAclId=aws_world.network_acl_id,
        RuleNumber=90,
        Protocol="-1",
        RuleAction="allow",
        Egress=False,
        CidrBlock="10.0.0.0/8",
    )
    action = ACTIONS["nacl-deny"](aws_world)
    with pytest.raises(DryRunError, match="different rule"):
        aws_world.backend.dry_run(action)


def test_own_access_key_is_protected(aws_world: Any) -> None:
    from dataclasses import replace

    clients = replace(aws_world.clients, own_access_key_id=aws_world.access_key_id)
    facts = AwsBackend(clients).assess(ACTIONS["deactivate-key"](aws_world))
    assert facts.protected_reason == "the executor's own access key"


def _plan(world: Any, *names: str, plan_id: str = "plan-aws", **top: Any) -> dict[str, Any]:
    return {
        "id": plan_id,
        "incident_id": "inc-1",
        "steps": [
            {"id": f"s{i}", "action": ACTIONS[n](world).model_dump(mode="json")}
            for i, n in enumerate(names, start=1)
        ],
        **top,
    }


def test_executor_waits_for_a_person_then_applies_and_a_fresh_process_rolls_back(
    aws_world: Any, aws_harness: Any
) -> None:
    incident = aws_world.incident()
    plan_doc = _plan(aws_world, "revoke-sg", "deactivate-key", "asg-desired")
    before = {n: aws_world.backend.observe(ACTIONS[n](aws_world)) for n in ACTIONS}

    report = aws_harness.executor.execute(plan_doc, incident=incident)
    assert report.status is ExecutionStatus.AWAITING_APPROVAL  # untagged = production
    assert not report.changed_world

    from logswarm.remediation import RemediationPlan

    plan = RemediationPlan.model_validate(plan_doc)
    for decision in report.decisions:
        if decision.verdict is Verdict.REQUIRE_APPROVAL:
            aws_harness.safety.approve(plan, decision.step_id, approver="alice@example.com")
    report = aws_harness.executor.execute(plan_doc, incident=incident)
    assert report.status is ExecutionStatus.SUCCEEDED, report.problems
    assert [s.status for s in report.steps] == [StepStatus.APPLIED] * 3
    approved = [d for d in report.decisions if d.approval is not None]
    assert approved
    assert all(d.approval and d.approval.approver == "alice@example.com" for d in approved)

    # The same plan again is a no-op.
    again = aws_harness.executor.execute(plan_doc, incident=incident)
    assert [s.status for s in again.steps] == [StepStatus.UNCHANGED] * 3

    # A restarted process rolls back from the journal alone, newest step first.
    fresh = aws_harness.fresh({Provider.AWS: AwsBackend(aws_world.clients)})
    rollback = fresh.executor.rollback("plan-aws")
    assert rollback.status is ExecutionStatus.ROLLED_BACK
    assert [s.step_id for s in rollback.steps] == ["s3", "s2", "s1"]
    after = {n: aws_world.backend.observe(ACTIONS[n](aws_world)) for n in ACTIONS}
    assert after == before


class _FailOn:
    """Wraps the real backend; the write for ``step_id`` raises (a throttled API, say)."""

    def __init__(self, inner: AwsBackend, step_id: str, error: BaseException) -> None:
        self.inner = inner
        self.provider = inner.provider
        self.step_id = step_id
        self.error = error

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def apply(self, action: ActionSpec, *, plan_id: str, step_id: str, record_intent: Any) -> Any:
        if step_id != self.step_id:
            return self.inner.apply(
                action, plan_id=plan_id, step_id=step_id, record_intent=record_intent
            )

        def intent_then_write_then_fail(pre: Any) -> None:
            record_intent(pre)

        receipt = self.inner.apply(
            action, plan_id=plan_id, step_id=step_id, record_intent=intent_then_write_then_fail
        )
        del receipt  # the write landed, but the outcome is never recorded
        raise self.error


def _staging(world: Any) -> None:
    world.clients.ec2.create_tags(
        Resources=[world.instance_id, world.group_id], Tags=[{"Key": "env", "Value": "staging"}]
    )


def test_a_step_failing_mid_plan_rolls_back_the_earlier_steps(
    aws_world: Any, harness_factory: Any
) -> None:
    from logswarm.remediation import ActionError

    _staging(aws_world)
    names = ("asg-desired", "revoke-sg", "nacl-deny")
    before = {n: aws_world.backend.observe(ACTIONS[n](aws_world)) for n in names}
    backend = _FailOn(aws_world.backend, "s3", ActionError("throttled"))
    harness = harness_factory({Provider.AWS: backend})
    for step in ("s1", "s2", "s3"):
        from logswarm.remediation import RemediationPlan

        plan = RemediationPlan.model_validate(_plan(aws_world, *names))
        harness.safety.approve(plan, step, approver="alice@example.com")

    report = harness.executor.execute(_plan(aws_world, *names), incident=aws_world.incident())
    assert report.status is ExecutionStatus.ROLLED_BACK, report.problems
    assert "throttled" in report.problems[0]
    rolled = [s.step_id for s in report.steps if s.status is StepStatus.ROLLED_BACK]
    assert rolled == ["s3", "s2", "s1"], "the failed step's landed write is undone too"
    assert {n: aws_world.backend.observe(ACTIONS[n](aws_world)) for n in names} == before
    kinds = [e.kind for e in harness.audit.events]
    assert AuditKind.APPLY_FAILED in kinds
    assert AuditKind.ROLLED_BACK in kinds


class Crash(BaseException):
    """The process dying between the write and the journal's outcome record."""


def _crash_at_second_step(
    aws_world: Any, harness_factory: Any
) -> tuple[tuple[str, ...], dict[str, Any], Any, Any]:
    """Approve and run a two-step plan whose process dies after writing step 2.

    Returns the action names, their state before, the plan and the crashed harness.
    """
    _staging(aws_world)
    names = ("revoke-sg", "nacl-deny")
    before = {n: aws_world.backend.observe(ACTIONS[n](aws_world)) for n in names}
    harness = harness_factory({Provider.AWS: _FailOn(aws_world.backend, "s2", Crash())})
    from logswarm.remediation import RemediationPlan

    plan = RemediationPlan.model_validate(_plan(aws_world, *names))
    for step in ("s1", "s2"):
        harness.safety.approve(plan, step, approver="alice@example.com")
    with pytest.raises(Crash):
        harness.executor.execute(plan, incident=aws_world.incident())
    return names, before, plan, harness


def test_crash_between_write_and_outcome_is_recovered_by_a_fresh_executor(
    aws_world: Any, harness_factory: Any
) -> None:
    names, before, _, harness = _crash_at_second_step(aws_world, harness_factory)
    assert aws_world.backend.observe(ACTIONS["nacl-deny"](aws_world))["entry"] is not None

    fresh = harness.fresh({Provider.AWS: AwsBackend(aws_world.clients)})
    assert fresh.executor.store.unfinished() == ["plan-aws"]
    (report,) = fresh.executor.recover()
    assert report.status is ExecutionStatus.ROLLED_BACK
    assert {n: aws_world.backend.observe(ACTIONS[n](aws_world)) for n in names} == before
    assert fresh.executor.store.unfinished() == []


def test_crash_then_resume_finishes_the_plan_and_keeps_the_true_pre_image(
    aws_world: Any, harness_factory: Any
) -> None:
    names, before, plan, harness = _crash_at_second_step(aws_world, harness_factory)

    fresh = harness.fresh({Provider.AWS: AwsBackend(aws_world.clients)})
    for step in ("s1", "s2"):
        fresh.safety.approve(plan, step, approver="alice@example.com")
    resumed = fresh.executor.execute(plan, incident=aws_world.incident())
    assert resumed.status is ExecutionStatus.SUCCEEDED
    s2 = resumed.steps[1]
    assert s2.receipt is not None
    assert s2.receipt.pre_image == {"entry": None}
    fresh.executor.rollback(plan.id)
    assert {n: aws_world.backend.observe(ACTIONS[n](aws_world)) for n in names} == before


def test_dry_run_mode_changes_nothing(aws_world: Any, aws_harness: Any) -> None:
    _staging(aws_world)
    before = aws_world.backend.observe(ACTIONS["revoke-sg"](aws_world))
    report = aws_harness.executor.execute(
        _plan(aws_world, "revoke-sg"), incident=aws_world.incident(), dry_run=True
    )
    assert report.status is ExecutionStatus.DRY_RUN_OK, report.problems
    assert aws_world.backend.observe(ACTIONS["revoke-sg"](aws_world)) == before


def _put_metric(world: Any, value: float) -> None:
    world.clients.cloudwatch.put_metric_data(
        Namespace="Shop",
        MetricData=[
            {
                "MetricName": "ErrorRate",
                "Dimensions": [{"Name": "Service", "Value": "checkout"}],
                "Value": value,
                "Timestamp": datetime.now(UTC) - timedelta(seconds=30),
            }
        ],
    )


CHECK = CloudWatchCheck(
    namespace="Shop",
    metric_name="ErrorRate",
    dimensions={"Service": "checkout"},
    stat="Maximum",
    comparison=Comparison.LT,
    threshold=0.05,
    window_seconds=600,
)


def test_cloudwatch_check_passes_and_fails_on_real_datapoints(aws_world: Any) -> None:
    source = CloudWatchSource(aws_world.clients.cloudwatch)
    assert not source.evaluate(CHECK).passed, "no data is not a pass"
    _put_metric(aws_world, 0.01)
    ok = source.evaluate(CHECK)
    assert ok.passed
    assert ok.value == pytest.approx(0.01)
    _put_metric(aws_world, 0.5)
    assert not source.evaluate(CHECK).passed


def test_reviewer_rolls_back_when_cloudwatch_says_the_fix_did_not_work(
    aws_world: Any, aws_harness: Any
) -> None:
    _staging(aws_world)
    before = aws_world.backend.observe(ACTIONS["revoke-sg"](aws_world))
    plan_doc = _plan(aws_world, "revoke-sg", verification=[CHECK.model_dump(mode="json")])
    report = aws_harness.executor.execute(plan_doc, incident=aws_world.incident())
    assert report.status is ExecutionStatus.SUCCEEDED, report.problems
    _put_metric(aws_world, 0.9)

    from logswarm.remediation import RemediationPlan

    reviewer = Reviewer(
        {"cloudwatch": CloudWatchSource(aws_world.clients.cloudwatch)},
        executor=aws_harness.executor,
        audit=aws_harness.audit,
    )
    review = reviewer.review(RemediationPlan.model_validate(plan_doc))
    assert not review.passed
    assert review.rolled_back
    assert aws_world.backend.observe(ACTIONS["revoke-sg"](aws_world)) == before
