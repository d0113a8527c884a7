"""Packaged resources: catalogue valid, prompts render for every role, overrides by folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from logswarm.agents.catalogue import load_catalogue, load_runbooks, resources_root
from logswarm.agents.contracts import (
    ROLE_CONTRACTS,
    ExecutorInput,
    IntentInput,
    PlannerInput,
    RCAInput,
    RecommenderInput,
    ReviewerInput,
    ValidationInput,
)
from logswarm.agents.environment import AgentEnvironment
from logswarm.agents.errors import ResourceError
from logswarm.agents.prompts import PromptLibrary
from logswarm.agents.reasoner import DeterministicReasoner
from tests.agents.fakes import oom_incident


def test_catalogue_loads_and_every_action_fits_its_target_kind() -> None:
    catalogue = load_catalogue()
    assert len(catalogue.playbooks) >= 20
    assert len(set(catalogue.categories)) == len(catalogue.playbooks)


def test_catalogue_rejects_an_action_on_the_wrong_kind(tmp_path: Path) -> None:
    bad = tmp_path / "p.yaml"
    bad.write_text(
        "version: 1\nplaybooks:\n- {id: x, category: x, domain: platform, intent: unknown, title: x,"
        " signals: [x], culprit_kinds: [pod], steps: [{actions: [{action: cordon_node, target_kind: pod}], risk: low}]}\n"
    )
    with pytest.raises(ResourceError, match="cordon_node"):
        load_catalogue(bad)
    (tmp_path / "q.yaml").write_text("version: 1\nplaybooks: [{id: 1}]\n")
    with pytest.raises(ResourceError):
        load_catalogue(tmp_path / "q.yaml")


def test_top_level_agents_folder_points_at_the_packaged_resources() -> None:
    repo = Path(__file__).resolve().parents[2]
    for name in ("prompts", "runbooks", "playbooks.yaml"):
        link = repo / "agents" / name
        assert link.exists(), link
        assert link.resolve() == Path(str(resources_root().joinpath(name))).resolve()


def test_every_llm_role_has_a_prompt_that_renders() -> None:
    incident = oom_incident()
    reasoner = DeterministicReasoner(AgentEnvironment.default())
    rca = reasoner.rca(RCAInput(incident=incident))
    plan = reasoner.plan(PlannerInput(incident=incident, rca=rca))
    payloads = {
        "intent_classifier": IntentInput(incident=incident),
        "root_cause_analysis": RCAInput(incident=incident, dependencies={"frontend": ["checkout"]}),
        "validation": ValidationInput(incident=incident, rca=rca),
        "remediation_recommender": RecommenderInput(incident=incident, rca=rca),
        "planner": PlannerInput(incident=incident, rca=rca),
        "executor": ExecutorInput(incident=incident, plan=plan),
        "reviewer": ReviewerInput(incident=incident),
    }
    prompts = PromptLibrary()
    catalogue = load_catalogue()
    from logswarm.agents.grounding import check_grounding

    extra: dict[str, dict[str, Any]] = {
        "root_cause_analysis": {"categories": catalogue.categories},
        "remediation_recommender": {"playbooks": catalogue.by_category("oom")},
        "planner": {"playbook_ids": [p.id for p in catalogue.playbooks]},
        "validation": {"grounding": check_grounding([], context=set())},
    }
    for role, payload in payloads.items():
        assert role in ROLE_CONTRACTS
        text = prompts.user(role=role, payload=payload, **extra.get(role, {}))
        assert "inc-oom" in text, role
        system = prompts.system(role=role, output_model=ROLE_CONTRACTS[role][1])
        assert "untrusted" in system
        assert "rollback_deployment" in system


def test_prompt_folder_can_be_overridden_and_missing_templates_fail_loudly(tmp_path: Path) -> None:
    (tmp_path / "planner.j2").write_text("custom {{ incident.id }}")
    prompts = PromptLibrary(tmp_path)
    assert (
        prompts.user(role="planner", payload=PlannerInput(incident=oom_incident()))
        == "custom inc-oom"
    )
    with pytest.raises(ResourceError, match="not found"):
        prompts.render("nothing.j2")
    (tmp_path / "strict.j2").write_text("{{ missing }}")
    with pytest.raises(ResourceError):
        prompts.render("strict.j2")


def test_runbook_front_matter() -> None:
    books = {b.name: b for b in load_runbooks()}
    assert books["oom-killed.md"].category == "oom"
    assert books["oom-killed.md"].title == "Container OOMKilled"
