"""Agents' plan steps become executor actions only where the translation is exact: Kubernetes
and AWS steps from their target, params, evidence or the live object; nothing guessed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from logswarm.actions import ACTION_NAMES
from logswarm.agents.contracts import ActionName, Claim
from logswarm.agents.contracts import PlanStep as AgentPlanStep
from logswarm.incidents import Entity, EntityKind, EvidenceLine, TimeWindow
from logswarm.incidents import Incident as AnalysisIncident
from logswarm.operator.incident import (
    AsgCapacity,
    AwsReadError,
    IngressRule,
    analyse,
    scaled_quantity,
    to_vocabulary,
)
from logswarm.remediation import RemediationPlan
from logswarm.remediation.vocabulary import AGENT_ACTION_KINDS, ActionKind


def _step(action: ActionName, target: str = "web", **params: Any) -> AgentPlanStep:
    return AgentPlanStep(
        order=1,
        action=action,
        target_kind=EntityKind.DEPLOYMENT,
        target=target,
        target_evidence="E1",
        params=params,
        risk="low",
        rationale=Claim(text="because", evidence=["E1"]),
    )


@pytest.mark.parametrize(
    ("step", "kind"),
    [
        (_step("restart_deployment"), "k8s.deployment.restart"),
        (_step("scale_deployment", replicas=4), "k8s.workload.scale"),
        (_step("rollback_deployment"), "k8s.deployment.rollback"),
        (_step("delete_pod", "web-abc"), "k8s.pod.delete"),
    ],
)
def test_translated_steps_are_valid_vocabulary(step: AgentPlanStep, kind: str) -> None:
    action, problem = to_vocabulary(step, namespace="shop")
    assert problem is None
    assert action is not None
    assert action["kind"] == kind
    plan = RemediationPlan.model_validate(
        {"id": "p", "incident_id": "i", "steps": [{"id": "s", "action": action}]}
    )
    assert plan.steps[0].action.target().endswith("shop/" + step.target)


def test_a_qualified_target_names_its_namespace() -> None:
    action, _ = to_vocabulary(_step("restart_deployment", "billing/api"), namespace="shop")
    assert action == {"kind": "k8s.deployment.restart", "namespace": "billing", "name": "api"}


def test_steps_without_an_exact_translation_are_reported_not_guessed() -> None:
    assert to_vocabulary(_step("patch_resources", memory_limit_factor=2), namespace="s")[0] is None
    action, problem = to_vocabulary(_step("scale_deployment"), namespace="s")
    assert action is None
    assert problem is not None
    assert "replicas" in problem


def _deployment(*containers: dict[str, Any]) -> dict[str, Any]:
    return {"spec": {"template": {"spec": {"containers": list(containers)}}}}


@pytest.mark.parametrize(
    ("quantity", "factor", "resource", "expected"),
    [
        ("256Mi", 2, "memory", "512Mi"),
        ("1Gi", 1.5, "memory", "1536Mi"),
        ("500M", 2, "memory", "954Mi"),  # 10^9 bytes, rounded up to whole MiB
        ("300m", 2, "cpu", "600m"),
        ("1", 1.5, "cpu", "1500m"),
        ("lots", 2, "memory", None),
        ("256Mi", 0, "memory", None),
    ],
)
def test_scaled_quantity(quantity: str, factor: float, resource: str, expected: str | None) -> None:
    assert scaled_quantity(quantity, factor, resource) == expected


def test_a_relative_limit_becomes_absolute_from_the_live_workload() -> None:
    reads: list[tuple[str, str]] = []

    def read(namespace: str, name: str) -> dict[str, Any]:
        reads.append((namespace, name))
        return _deployment(
            {"name": "web", "resources": {"limits": {"memory": "256Mi", "cpu": "500m"}}},
            {"name": "sidecar", "resources": {"limits": {"memory": "64Mi"}}},
        )

    action, problem = to_vocabulary(
        _step("patch_resources", memory_limit_factor=2), namespace="shop", read_workload=read
    )
    assert problem is None
    assert reads == [("shop", "web")]
    assert action == {
        "kind": "k8s.container.resources",
        "namespace": "shop",
        "name": "web",
        "container": "web",
        "limits": {"memory": "512Mi"},
    }
    plan = RemediationPlan.model_validate(
        {"id": "p", "incident_id": "i", "steps": [{"id": "s", "action": action}]}
    )
    assert plan.steps[0].action.kind == "k8s.container.resources"


@pytest.mark.parametrize(
    ("workload", "why"),
    [
        (None, "needs deployment shop/web"),
        (_deployment({"name": "web", "resources": {}}), "no memory limit"),
        (_deployment({"name": "a"}, {"name": "b"}), "which of the 2 containers"),
    ],
)
def test_a_relative_limit_without_a_clear_base_is_reported(
    workload: dict[str, Any] | None, why: str
) -> None:
    action, problem = to_vocabulary(
        _step("patch_resources", memory_limit_factor=2),
        namespace="shop",
        read_workload=lambda _ns, _name: workload,
    )
    assert action is None
    assert problem is not None
    assert why in problem


# --- one table from agent names to executor kinds, and the AWS translations ------------------

KEY = "AKIAEXAMPLEKEY000001"
GROUP = "sg-0123456789abcdef0"


class FakeAws:
    """An :class:`AwsReader` with fixed answers, recording what was read."""

    def __init__(
        self,
        *,
        rules: list[IngressRule] | None = None,
        capacity: AsgCapacity | None = None,
        concurrency: int | None = None,
        fail: bool = False,
    ) -> None:
        self.rules = rules or []
        self.capacity = capacity or AsgCapacity(desired=2, minimum=1, maximum=6)
        self.concurrency = concurrency
        self.fail = fail
        self.reads: list[str] = []

    def _read(self, what: str) -> None:
        self.reads.append(what)
        if self.fail:
            raise AwsReadError(f"{what}: AccessDenied")

    def ingress_rules(self, group_id: str) -> list[IngressRule]:
        self._read(group_id)
        return self.rules

    def asg_capacity(self, group_name: str) -> AsgCapacity:
        self._read(group_name)
        return self.capacity

    def lambda_reserved_concurrency(self, function_name: str) -> int | None:
        self._read(function_name)
        return self.concurrency


def _incident(*lines: str, users: tuple[str, ...] = ("alice",)) -> AnalysisIncident:
    return AnalysisIncident(
        id="i",
        title="t",
        severity="High",
        window=TimeWindow(
            start=datetime(2026, 1, 1, tzinfo=UTC), end=datetime(2026, 1, 1, 0, 10, tzinfo=UTC)
        ),
        anomaly_score=1.0,
        samples=[
            EvidenceLine(
                id=f"L{n}",
                file="cloudtrail.json",
                line=n,
                source="cloudtrail",
                severity="WARNING",
                message=text,
            )
            for n, text in enumerate(lines, 1)
        ],
        entities=[
            Entity(id="E1", kind=EntityKind.ACCESS_KEY, value=KEY),
            *(
                Entity(id=f"E{n}", kind=EntityKind.IAM_USER, value=user)
                for n, user in enumerate(users, 2)
            ),
        ],
    )


def _aws_step(action: ActionName, target: str, **params: Any) -> AgentPlanStep:
    return AgentPlanStep(
        order=1,
        action=action,
        target_kind=EntityKind.INSTANCE,
        target=target,
        target_evidence="E1",
        params=params,
        risk="high",
        rationale=Claim(text="because", evidence=["E1"]),
    )


def _valid(action: dict[str, Any] | None) -> dict[str, Any]:
    assert action is not None
    plan = RemediationPlan.model_validate(
        {"id": "p", "incident_id": "i", "steps": [{"id": "s", "action": action}]}
    )
    assert plan.steps[0].action.kind == action["kind"]
    return action


def test_every_agent_action_name_has_exactly_one_executor_kind() -> None:
    assert set(AGENT_ACTION_KINDS) == ACTION_NAMES
    assert len(set(AGENT_ACTION_KINDS.values())) == len(ACTION_NAMES)
    assert ActionKind.UNCORDON_NODE not in AGENT_ACTION_KINDS.values()  # an undo, never a remedy


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        (_step("isolate_pod", "web-abc"), {"namespace": "shop", "name": "web-abc"}),
        (_step("cordon_node", "node-1"), {"name": "node-1"}),
        (_aws_step("stop_instance", "i-0123456789abcdef0"), {"instance_id": "i-0123456789abcdef0"}),
        (
            _aws_step("deactivate_access_key", KEY, user_name="bob"),
            {"user_name": "bob", "access_key_id": KEY},
        ),
        (
            _aws_step(
                "revoke_security_group_ingress",
                GROUP,
                cidr="0.0.0.0/0",
                protocol="tcp",
                from_port=22,
                to_port=22,
            ),
            {"group_id": GROUP, "protocol": "tcp", "from_port": 22, "to_port": 22},
        ),
        (
            _aws_step(
                "revoke_security_group_ingress", GROUP, cidr="0.0.0.0/0", protocol="tcp", port=3389
            ),
            {"from_port": 3389, "to_port": 3389, "cidr": "0.0.0.0/0"},
        ),
        (
            _aws_step("revoke_security_group_ingress", GROUP, cidr="10.0.0.0/8", protocol="-1"),
            {"protocol": "-1", "cidr": "10.0.0.0/8"},
        ),
        (
            _aws_step(
                "add_nacl_deny",
                "203.0.113.7",
                network_acl_id="acl-0123456789abcdef0",
                rule_number=90,
            ),
            {
                "network_acl_id": "acl-0123456789abcdef0",
                "rule_number": 90,
                "cidr": "203.0.113.7/32",
            },
        ),
        (_aws_step("set_asg_capacity", "web-asg", desired_capacity=5), {"desired_capacity": 5}),
        (
            _aws_step("set_lambda_concurrency", "ingest", reserved_concurrency=50),
            {"function_name": "ingest", "reserved_concurrency": 50},
        ),
    ],
)
def test_exact_translations_from_target_and_params(
    step: AgentPlanStep, expected: dict[str, Any]
) -> None:
    action, problem = to_vocabulary(step, namespace="shop")
    assert problem is None
    action = _valid(action)
    assert action["kind"] == AGENT_ACTION_KINDS[step.action]
    assert expected.items() <= action.items()


def test_the_owner_of_an_access_key_is_the_iam_user_named_with_it_in_the_evidence() -> None:
    incident = _incident(
        f"ConsoleLogin by alice with {KEY} from 198.51.100.23",
        "DescribeInstances by bob",
        users=("alice", "bob"),
    )
    action, problem = to_vocabulary(
        _aws_step("deactivate_access_key", KEY), namespace="s", incident=incident
    )
    assert problem is None
    assert _valid(action) == {
        "kind": "aws.iam.deactivate_access_key",
        "user_name": "alice",
        "access_key_id": KEY,
    }


@pytest.mark.parametrize(
    ("incident", "why"),
    [
        (None, "found none"),
        (_incident("ConsoleLogin by alice from 198.51.100.23"), "found none"),  # key not on it
        (_incident(f"{KEY} used by alicex"), "found none"),  # a longer name is another user
        (
            _incident(f"{KEY} used by alice, then by bob", users=("alice", "bob")),
            "found alice, bob",
        ),
    ],
)
def test_an_access_key_without_one_clear_owner_is_not_translated(
    incident: AnalysisIncident | None, why: str
) -> None:
    action, problem = to_vocabulary(
        _aws_step("deactivate_access_key", KEY), namespace="s", incident=incident
    )
    assert action is None
    assert problem is not None
    assert "needs the IAM user that owns the key" in problem
    assert why in problem


def test_an_open_security_group_rule_is_read_from_aws_when_the_plan_names_no_port() -> None:
    aws = FakeAws(
        rules=[IngressRule("tcp", 22, 22, "0.0.0.0/0"), IngressRule("tcp", 443, 443, "10.0.0.0/8")]
    )
    step = _aws_step("revoke_security_group_ingress", GROUP, cidr="0.0.0.0/0")
    action, problem = to_vocabulary(step, namespace="s", aws=aws)
    assert problem is None
    assert aws.reads == [GROUP]
    assert _valid(action) == {
        "kind": "aws.ec2.revoke_security_group_ingress",
        "group_id": GROUP,
        "protocol": "tcp",
        "from_port": 22,
        "to_port": 22,
        "cidr": "0.0.0.0/0",
    }


@pytest.mark.parametrize(
    ("aws", "why"),
    [
        (None, "needs the rule's protocol and ports"),
        (FakeAws(fail=True), "cannot read its rules"),
        (FakeAws(rules=[IngressRule("tcp", 22, 22, "10.0.0.0/8")]), "by no rule"),
        (
            FakeAws(
                rules=[
                    IngressRule("tcp", 22, 22, "0.0.0.0/0"),
                    IngressRule("tcp", 443, 443, "0.0.0.0/0"),
                ]
            ),
            "by 2 rules (tcp 22-22 from 0.0.0.0/0; tcp 443-443 from 0.0.0.0/0)",
        ),
    ],
)
def test_a_security_group_rule_that_is_not_one_clear_rule_is_not_translated(
    aws: FakeAws | None, why: str
) -> None:
    step = _aws_step("revoke_security_group_ingress", GROUP, cidr="0.0.0.0/0")
    action, problem = to_vocabulary(step, namespace="s", aws=aws)
    assert action is None
    assert problem is not None
    assert why in problem


def test_a_revocation_needs_its_cidr() -> None:
    action, problem = to_vocabulary(
        _aws_step("revoke_security_group_ingress", GROUP, protocol="tcp", port=22), namespace="s"
    )
    assert action is None
    assert "param cidr" in (problem or "")


@pytest.mark.parametrize(
    ("step", "why"),
    [
        (_aws_step("add_nacl_deny", "203.0.113.7"), "needs the network ACL (param network_acl_id)"),
        (
            _aws_step(
                "add_nacl_deny",
                "2001:db8::1",
                network_acl_id="acl-0123456789abcdef0",
                rule_number=9,
            ),
            "only IPv4",
        ),
        (_aws_step("add_nacl_deny", "not-an-ip"), "not an IP address"),
        (_aws_step("stop_instance", "web-1"), "is not valid: instance_id"),
        (_aws_step("deactivate_access_key", "AKIA-bad", user_name="alice"), "is not valid"),
        (_step("restart_deployment", "Web_App"), "is not valid: name"),
        (_aws_step("set_asg_capacity", "web-asg"), "needs desired_capacity or desired_delta"),
        (_aws_step("set_lambda_concurrency", "ingest"), "needs reserved_concurrency"),
    ],
)
def test_steps_with_missing_or_malformed_identifiers_say_what_is_wrong(
    step: AgentPlanStep, why: str
) -> None:
    action, problem = to_vocabulary(step, namespace="s")
    assert action is None
    assert problem is not None
    assert why in problem


def test_relative_capacity_and_concurrency_become_absolute_from_aws() -> None:
    aws = FakeAws(capacity=AsgCapacity(desired=3, minimum=1, maximum=8), concurrency=25)
    asg, problem = to_vocabulary(
        _aws_step("set_asg_capacity", "web-asg", desired_delta=2), namespace="s", aws=aws
    )
    assert problem is None
    assert _valid(asg)["desired_capacity"] == 5
    fn, problem = to_vocabulary(
        _aws_step("set_lambda_concurrency", "ingest", reserved_concurrency_factor=1.5),
        namespace="s",
        aws=aws,
    )
    assert problem is None
    assert _valid(fn)["reserved_concurrency"] == 38  # rounded up
    assert aws.reads == ["web-asg", "ingest"]


@pytest.mark.parametrize(
    ("step", "aws", "why"),
    [
        (_aws_step("set_asg_capacity", "web-asg", desired_delta=2), None, "no AWS region"),
        (
            _aws_step("set_asg_capacity", "web-asg", desired_delta=2),
            FakeAws(capacity=AsgCapacity(desired=5, minimum=1, maximum=6)),
            "5+2 = 7 is outside the group's size 1..6",
        ),
        (
            _aws_step("set_asg_capacity", "web-asg", desired_delta=2),
            FakeAws(fail=True),
            "AccessDenied",
        ),
        (
            _aws_step("set_lambda_concurrency", "ingest", reserved_concurrency_factor=2),
            None,
            "no AWS region",
        ),
        (
            _aws_step("set_lambda_concurrency", "ingest", reserved_concurrency_factor=2),
            FakeAws(concurrency=None),
            "no reserved concurrency to multiply",
        ),
    ],
)
def test_relative_aws_steps_without_a_clear_base_are_reported(
    step: AgentPlanStep, aws: FakeAws | None, why: str
) -> None:
    action, problem = to_vocabulary(step, namespace="s", aws=aws)
    assert action is None
    assert problem is not None
    assert why in problem


def _incident_body(**evidence: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "key-leak", "namespace": "sec", "uid": "u-1", "generation": 1},
        "spec": {
            "summary": "access key used from an unusual location",
            "severity": "High",
            "window": {"start": "2026-01-01T00:00:00Z", "end": "2026-01-01T00:10:00Z"},
            "poolRef": {"name": "ops"},
            "evidence": evidence,
        },
    }


def test_a_compromised_key_incident_yields_an_aws_remediation_without_metric_checks() -> None:
    body = _incident_body(
        samples=[
            {
                "id": "L1",
                "file": "cloudtrail.json",
                "line": 1,
                "source": "cloudtrail",
                "severity": "WARNING",
                "message": f"ConsoleLogin by alice with access key {KEY} from 198.51.100.23 "
                "(impossible travel, unusual location)",
            }
        ],
        entities=[
            {"id": "E1", "kind": "access_key", "value": KEY},
            {"id": "E2", "kind": "iam_user", "value": "alice"},
            {"id": "E3", "kind": "ip", "value": "198.51.100.23"},
        ],
    )
    analysis = analyse(body, topology="linear")
    (manifest,) = analysis.remediations
    actions = [s["action"] for s in manifest["spec"]["steps"]]
    assert {
        "kind": "aws.iam.deactivate_access_key",
        "user_name": "alice",
        "access_key_id": KEY,
    } in actions
    assert manifest["spec"]["verification"] == []  # see the module docstring: no CloudWatch check
    # The NACL deny needs an ACL the evidence does not name: reported, not guessed.
    assert any("add_nacl_deny" in p and "network_acl_id" in p for p in analysis.untranslated)
    proposed = next(c for c in analysis.status.conditions if c.type == "RemediationProposed")
    assert proposed.reason == "PartlyProposed"
