"""Agents' plan steps become executor actions only where the translation is exact."""

from __future__ import annotations

from typing import Any

import pytest

from logswarm.agents.contracts import ActionName, Claim
from logswarm.agents.contracts import PlanStep as AgentPlanStep
from logswarm.incidents import EntityKind
from logswarm.operator.incident import scaled_quantity, to_vocabulary
from logswarm.remediation import RemediationPlan


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
