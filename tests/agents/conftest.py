"""Fixtures of the agents tests: hand-built incidents and the local LLM servers."""

from __future__ import annotations

import pytest

from logswarm.agents.environment import AgentEnvironment
from logswarm.agents.reasoner import DeterministicReasoner
from logswarm.agents.tools import RecordStore, Toolbox
from tests.agents.fakes import bad_deploy_incident, credential_incident, oom_incident, records_for
from tests.support.llm_server import llama_server

__all__ = ["llama_server"]


@pytest.fixture
def incidents() -> dict[str, object]:
    return {"oom": oom_incident(), "deploy": bad_deploy_incident(), "cred": credential_incident()}


@pytest.fixture(scope="session")
def env() -> AgentEnvironment:
    return AgentEnvironment.default()


@pytest.fixture
def reasoner(env: AgentEnvironment) -> DeterministicReasoner:
    return DeterministicReasoner(env)


@pytest.fixture
def env_with_logs() -> AgentEnvironment:
    incident = oom_incident()
    return AgentEnvironment.default(toolbox=Toolbox(logs=RecordStore(records_for(incident))))
