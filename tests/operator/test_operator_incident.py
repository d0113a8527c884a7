"""Agents' plan steps become executor actions only where the translation is exact."""

from __future__ import annotations

from typing import Any

import pytest

from logswarm.agents.contracts import ActionName, Claim
from logswarm.agents.contracts import PlanStep as AgentPlanStep
from logswarm.incidents import EntityKind
from logswarm.operator.incident import to_vocabulary
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
