"""The safety policy's ratings, approvals (who, when, what exactly) and the audit trail."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from logswarm.remediation import (
    ApprovalBook,
    ApprovalRequiredError,
    AuditKind,
    BlastRadius,
    JsonlAuditLog,
    PolicyDeniedError,
    RemediationPlan,
    Risk,
    SafetyAgent,
    SafetyPolicy,
    TargetFacts,
    Verdict,
)

STAGING = TargetFacts(labels={"env": "staging"})
PROD = TargetFacts(labels={"env": "prod"})


def _plan(action: dict[str, Any], plan_id: str = "plan-1") -> RemediationPlan:
    return RemediationPlan.model_validate(
        {"id": plan_id, "incident_id": "inc-1", "steps": [{"id": "s1", "action": action}]}
    )


RESTART = {"kind": "k8s.deployment.restart", "namespace": "shop", "name": "checkout"}
STOP = {"kind": "aws.ec2.stop_instance", "instance_id": "i-0123456789abcdef0"}


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def audit_path(tmp_path: Path) -> Path:
    return tmp_path / "audit.jsonl"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def agent(audit_path: Path, clock: Clock) -> SafetyAgent:
    return SafetyAgent(audit=JsonlAuditLog(audit_path), clock=clock)


def _decide(agent: SafetyAgent, action: dict[str, Any], facts: TargetFacts | None) -> Any:
    (decision,) = agent.decide(_plan(action), facts={"s1": facts})
    return decision


@pytest.mark.parametrize(
    ("action", "facts", "verdict"),
    [
        (RESTART, STAGING, Verdict.ALLOW),
        (RESTART, PROD, Verdict.ALLOW),
        (
            RESTART,
            TargetFacts(labels={"env": "prod"}, blast_radius=BlastRadius(pods=11)),
            Verdict.REQUIRE_APPROVAL,
        ),
        (
            RESTART,
            TargetFacts(labels={"env": "prod"}, blast_radius=BlastRadius(pods=201)),
            Verdict.DENY,
        ),
        (RESTART, None, Verdict.REQUIRE_APPROVAL),
        (STOP, STAGING, Verdict.REQUIRE_APPROVAL),
        ({**RESTART, "kind": "k8s.pod.delete", "name": "checkout-1"}, STAGING, Verdict.ALLOW),
        (
            {**RESTART, "kind": "k8s.pod.delete", "name": "checkout-1"},
            PROD,
            Verdict.REQUIRE_APPROVAL,
        ),
        (
            {**RESTART, "kind": "k8s.workload.scale", "replicas": 0},
            STAGING,
            Verdict.REQUIRE_APPROVAL,
        ),
        ({**RESTART, "namespace": "kube-public"}, STAGING, Verdict.DENY),
        ({**RESTART, "name": "logswarm-api"}, STAGING, Verdict.DENY),
        (RESTART, TargetFacts(labels={"app.kubernetes.io/part-of": "logswarm"}), Verdict.DENY),
        (
            {
                "kind": "aws.ec2.add_network_acl_deny",
                "network_acl_id": "acl-0123456789abcdef0",
                "rule_number": 5,
                "cidr": "10.0.0.0/8",
            },
            STAGING,
            Verdict.REQUIRE_APPROVAL,
        ),
        (
            {
                "kind": "aws.ec2.add_network_acl_deny",
                "network_acl_id": "acl-0123456789abcdef0",
                "rule_number": 5,
                "cidr": "203.0.113.7/32",
            },
            STAGING,
            Verdict.ALLOW,
        ),
    ],
)
def test_policy_rates_kind_scope_environment_and_blast_radius(
    agent: SafetyAgent, action: dict[str, Any], facts: TargetFacts | None, verdict: Verdict
) -> None:
    assert _decide(agent, action, facts).verdict is verdict


def test_rules_from_config_can_relax_but_never_lift_a_protection(audit_path: Path) -> None:
    policy = SafetyPolicy.model_validate(
        {
            "rules": [
                {
                    "kinds": ["aws.ec2.stop_instance"],
                    "labels": {"env": "staging"},
                    "verdict": "allow",
                    "reason": "staging is cattle",
                },
                {"namespaces": ["kube-*"], "verdict": "allow"},
            ]
        }
    )
    agent = SafetyAgent(policy, audit=JsonlAuditLog(audit_path))
    assert _decide(agent, STOP, STAGING).verdict is Verdict.ALLOW
    assert _decide(agent, STOP, PROD).verdict is Verdict.REQUIRE_APPROVAL
    assert _decide(agent, {**RESTART, "namespace": "kube-system"}, STAGING).verdict is Verdict.DENY


def test_an_approval_records_who_and_when_and_binds_to_the_exact_action(
    agent: SafetyAgent, clock: Clock, audit_path: Path
) -> None:
    plan = _plan(STOP)
    approval = agent.approve(plan, "s1", approver="alice@example.com", comment="INC-42")
    assert approval.approver == "alice@example.com"
    assert approval.approved_at == clock.now
    decision = _decide(agent, STOP, PROD)
    assert decision.executable
    assert decision.approval == approval

    other = _plan({**STOP, "instance_id": "i-0fedcba9876543210"})
    (changed,) = agent.decide(other, facts={"s1": PROD})
    assert not changed.executable

    lines = [json.loads(line) for line in audit_path.read_text().splitlines()]
    assert lines[0]["kind"] == AuditKind.APPROVAL
    assert lines[0]["actor"] == "alice@example.com"
    assert all(line["kind"] == AuditKind.DECISION for line in lines[1:])


def test_approvals_expire(agent: SafetyAgent, clock: Clock) -> None:
    agent.approve(_plan(STOP), "s1", approver="alice@example.com")
    clock.now += timedelta(hours=2)
    assert not _decide(agent, STOP, PROD).executable


@pytest.mark.parametrize(
    "approver",
    [
        "logswarm-executor",
        "system:serviceaccount:default:x",
        "reviewer",
        "rca-agent",
        "",
        " alice",
        "a\tb",
    ],
)
def test_agents_and_malformed_identities_cannot_approve(agent: SafetyAgent, approver: str) -> None:
    with pytest.raises(PolicyDeniedError):
        agent.approve(_plan(STOP), "s1", approver=approver)
    assert not _decide(agent, STOP, PROD).executable


def test_an_approver_allow_list_is_enforced(audit_path: Path) -> None:
    agent = SafetyAgent(
        SafetyPolicy(approvers=["*@sre.example.com"]), audit=JsonlAuditLog(audit_path)
    )
    with pytest.raises(PolicyDeniedError, match="not an authorised approver"):
        agent.approve(_plan(STOP), "s1", approver="mallory@example.com")
    agent.approve(_plan(STOP), "s1", approver="bob@sre.example.com")
    assert _decide(agent, STOP, PROD).executable


def test_approvals_survive_a_restart(tmp_path: Path, audit_path: Path) -> None:
    book = tmp_path / "approvals.json"
    first = SafetyAgent(audit=JsonlAuditLog(audit_path), approvals=ApprovalBook(book))
    first.approve(_plan(STOP), "s1", approver="alice@example.com")
    second = SafetyAgent(audit=JsonlAuditLog(audit_path), approvals=ApprovalBook(book))
    assert _decide(second, STOP, PROD).executable


def test_require_executable_raises_the_right_error(agent: SafetyAgent) -> None:
    with pytest.raises(ApprovalRequiredError):
        agent.require_executable(agent.decide(_plan(STOP), facts={"s1": PROD}))
    with pytest.raises(PolicyDeniedError):
        agent.require_executable(
            agent.decide(_plan({**RESTART, "namespace": "kube-system"}), facts={"s1": STAGING})
        )


def test_decision_records_risk_and_blast_radius(agent: SafetyAgent) -> None:
    facts = TargetFacts(
        labels={"env": "prod"}, blast_radius=BlastRadius(pods=4), reduces_capacity=True
    )
    decision = _decide(agent, {**RESTART, "kind": "k8s.workload.scale", "replicas": 1}, facts)
    assert decision.risk is Risk.MEDIUM
    assert decision.blast_radius.pods == 4
    assert decision.production
    assert "reduces capacity" in decision.reasons
