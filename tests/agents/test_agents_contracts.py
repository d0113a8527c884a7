"""Role contracts: every seed role of this issue has one, schemas are usable by a model."""

from __future__ import annotations

import json
from typing import get_args

import pytest

import logswarm.agents as agents
from logswarm.agents.contracts import (
    ACTION_TARGET_KINDS,
    ROLE_CONTRACTS,
    ActionName,
    Claim,
    PlanStep,
    Role,
    contract_for,
)
from logswarm.agents.topology.run import run_topology
from logswarm.incidents import EntityKind
from tests.agents.fakes import oom_incident

ISSUE_ROLES = {
    "planner", "executor", "reviewer", "retrieval", "root_cause_analysis",
    "intent_classifier", "validation", "remediation_recommender", "context_memory_manager",
}  # fmt: skip
LATER_ROLES = {
    "coordinator", "security_specialist", "performance_specialist", "network_specialist",
    "database_specialist", "debater", "referee", "safety", "federation_gateway",
    "regional_coordinator", "global_synthesizer", "learning",
}  # fmt: skip


def test_every_role_of_the_issue_has_a_contract() -> None:
    # Models 4-6 added the coordination roles; only the learning agent has none yet.
    assert set(ROLE_CONTRACTS) == ISSUE_ROLES | (LATER_ROLES - {"learning"})


def test_later_roles_are_named_but_have_no_contract_yet() -> None:
    assert {r.value for r in Role} >= LATER_ROLES
    with pytest.raises(KeyError, match="no contract yet"):
        contract_for(Role.LEARNING)


@pytest.mark.parametrize("role", sorted(ISSUE_ROLES))
def test_output_schema_is_plain_json(role: str) -> None:
    _, output_model = contract_for(role)
    schema = output_model.model_json_schema()
    assert schema["type"] == "object"
    json.dumps(schema)


def test_action_vocabulary_is_closed_and_every_action_has_a_target_kind() -> None:
    assert set(get_args(ActionName)) == set(ACTION_TARGET_KINDS)
    assert len(ACTION_TARGET_KINDS) == 13
    with pytest.raises(ValueError, match="action"):
        PlanStep(
            order=1, action="delete_namespace", target_kind=EntityKind.NAMESPACE, target="prod",
            target_evidence="E1", risk="high", rationale=Claim(text="x", evidence=["E1"]),
        )  # fmt: skip


def test_contracts_reject_unknown_fields() -> None:
    with pytest.raises(ValueError, match="extra"):
        Claim.model_validate({"text": "x", "evidence": [], "confidence": 1})


def test_incident_analysis_round_trips_through_json() -> None:
    analysis = run_topology("smart", [oom_incident()])[0]
    again = agents.IncidentAnalysis.model_validate_json(analysis.model_dump_json())
    assert again == analysis


def test_public_surface() -> None:
    assert set(agents.__all__) == {
        "ROLE_CONTRACTS", "TOPOLOGY_NAMES", "AgentEnvironment", "AgentError", "BackendConfig",
        "CallRecord", "ContractError", "DeterministicReasoner", "IncidentAnalysis", "LLMError",
        "LLMOutputInvalidError", "LLMTimeoutError", "LLMTransportError", "ModelConfig",
        "RecordStore", "ResourceError", "Role", "TopologyError", "TransportError", "UsageTotals",
        "build_agent", "check_grounding", "get_topology", "run_topology",
    }  # fmt: skip
    for name in agents.__all__:
        assert hasattr(agents, name), name
    assert agents.TOPOLOGY_NAMES == ("linear", "rag", "smart", "auction", "federated", "debate")
