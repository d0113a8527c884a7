"""The pure AgentPool builders: names, owner references, probes and least-privilege RBAC."""

from __future__ import annotations

from typing import Any

import pytest

from logswarm.api.v1alpha1 import AgentPoolSpec, AgentPoolStatus, ConditionStatus
from logswarm.operator.agentpool import (
    AGENT_PORT,
    PoolRef,
    build_children,
    child_name,
    pool_readiness,
    pool_status,
    role_rules,
    roles_of,
)

POOL = PoolRef(name="payments", namespace="prod", uid="1234-abcd", generation=3)
WRITE_VERBS = {"create", "update", "patch", "delete", "deletecollection"}


def _spec(**extra: Any) -> dict[str, Any]:
    return AgentPoolSpec.model_validate({"topology": "rag", **extra}).model_dump(mode="json")


def _by_kind(children: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {c["metadata"]["name"]: c for c in children if c["kind"] == kind}


def test_topology_default_roles_each_get_a_full_set_of_children() -> None:
    children = build_children(POOL, _spec())
    roles = roles_of(_spec())
    assert "executor" in roles
    assert "root_cause_analysis" in roles
    for kind in ("Deployment", "Service", "ServiceAccount", "Role", "RoleBinding"):
        assert set(_by_kind(children, kind)) == {child_name("payments", r) for r in roles}
    assert list(_by_kind(children, "ConfigMap")) == ["payments-config"]


def test_listed_roles_replace_the_topology_defaults() -> None:
    spec = _spec(roles=[{"name": "planner", "replicas": 2}, {"name": "executor"}])
    assert roles_of(spec) == ["planner", "executor"]
    deployment = _by_kind(build_children(POOL, spec), "Deployment")["payments-planner"]
    assert deployment["spec"]["replicas"] == 2


def test_every_child_is_owned_by_the_pool_and_labelled() -> None:
    for child in build_children(POOL, _spec()):
        meta = child["metadata"]
        assert meta["namespace"] == "prod"
        assert meta["ownerReferences"] == [
            {
                "apiVersion": "logswarm.io/v1alpha1",
                "kind": "AgentPool",
                "name": "payments",
                "uid": "1234-abcd",
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]
        assert meta["labels"]["logswarm.io/pool"] == "payments"
        assert meta["labels"]["app.kubernetes.io/managed-by"] == "logswarm-operator"


def test_agent_deployment_runs_the_role_with_probes_as_non_root() -> None:
    deployments = _by_kind(build_children(POOL, _spec(), image="img:1"), "Deployment")
    deployment = deployments["payments-root-cause-analysis"]
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["image"] == "img:1"
    assert container["args"][:3] == ["agent", "--role", "root_cause_analysis"]
    assert container["ports"][0]["containerPort"] == AGENT_PORT
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert container["resources"]["requests"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["serviceAccountName"] == "payments-root-cause-analysis"
    selector = deployment["spec"]["selector"]["matchLabels"]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert selector.items() <= labels.items()
    service = _by_kind(build_children(POOL, _spec()), "Service")["payments-root-cause-analysis"]
    assert service["spec"]["selector"] == selector


def test_a_config_change_changes_the_pod_template_so_pods_roll() -> None:
    def template(spec: dict[str, Any]) -> dict[str, Any]:
        deployment = _by_kind(build_children(POOL, spec), "Deployment")["payments-planner"]
        return dict(deployment["spec"]["template"]["metadata"]["annotations"])

    assert template(_spec()) == template(_spec())
    assert template(_spec()) != template(_spec(allowedApprovers=["alice"]))


def test_the_role_binding_binds_the_role_to_its_own_service_account() -> None:
    bindings = _by_kind(build_children(POOL, _spec()), "RoleBinding")
    binding = bindings["payments-executor"]
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": "payments-executor",
    }
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "payments-executor", "namespace": "prod"}
    ]


@pytest.mark.parametrize("role", ["planner", "reviewer", "retrieval", "root_cause_analysis"])
def test_analyst_roles_only_read(role: str) -> None:
    verbs = {v for rule in role_rules(role) for v in rule["verbs"]}
    assert verbs == {"get", "list", "watch"}


def test_only_the_executor_writes_and_never_secrets() -> None:
    rules = role_rules("executor")
    written = {
        (group, resource)
        for rule in rules
        if WRITE_VERBS & set(rule["verbs"])
        for group in rule["apiGroups"]
        for resource in rule["resources"]
    }
    assert ("apps", "deployments") in written
    assert ("", "pods") in written
    assert ("networking.k8s.io", "networkpolicies") in written
    for rule in rules:
        assert "secrets" not in rule["resources"]
        assert "*" not in rule["verbs"]
        assert "*" not in rule["resources"]


def test_long_names_stay_dns_labels_and_unique() -> None:
    a = child_name("p" * 60, "remediation_recommender")
    b = child_name("p" * 60, "remediation_recommender2")
    assert len(a) <= 63
    assert a != b


def _deployment(role: str, *, ready: int, replicas: int = 1, observed: int = 1) -> dict[str, Any]:
    return {
        "metadata": {"labels": {"logswarm.io/role": role}, "generation": 1},
        "spec": {"replicas": replicas},
        "status": {
            "observedGeneration": observed,
            "readyReplicas": ready,
            "updatedReplicas": ready,
        },
    }


def test_readiness_per_role_and_conditions() -> None:
    roles = ["planner", "executor", "reviewer"]
    deployments = [_deployment("planner", ready=1), _deployment("executor", ready=0)]
    assert pool_readiness(roles, deployments)["planner"]["ready"] is True
    assert pool_readiness(roles, deployments)["executor"]["ready"] is False
    assert pool_readiness(roles, deployments)["reviewer"]["ready"] is False

    status = pool_status(AgentPoolStatus(), roles=roles, deployments=deployments, generation=3)
    conditions = {c.type: c for c in status.conditions}
    assert conditions["Ready"].status is ConditionStatus.FALSE
    assert conditions["Progressing"].status is ConditionStatus.TRUE
    assert conditions["Ready"].observed_generation == 3
    assert status.ready_roles == "1/3"

    everything = [_deployment(r, ready=1) for r in roles]
    done = pool_status(status, roles=roles, deployments=everything, generation=3)
    conditions = {c.type: c for c in done.conditions}
    assert conditions["Ready"].status is ConditionStatus.TRUE
    assert conditions["Progressing"].reason == "RolloutComplete"
