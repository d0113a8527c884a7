"""The reasoning half of LogSwarm: typed agent roles, one LLM layer, tools and topologies.

Seams, from the outside in:

- :func:`run_topology` — incidents in, one :class:`IncidentAnalysis` each out (root cause,
  plan, validation, grounding, trajectory, cost). The CLI, operator and benchmarks call this.
- :class:`BackendConfig` — which model answers each role: the deterministic reasoner (the
  offline default and the seed's control group) or any litellm model / local server.
- :mod:`logswarm.agents.contracts` — each role's pydantic input and output.
- :mod:`logswarm.agents.topology` — graphs, the engine, and the ``RoleTransport`` seam
  (in-process call or HTTP to agent pods).
- :mod:`logswarm.agents.tools` — logs, metrics and cluster reads, errors returned as data.
- :mod:`logswarm.agents.llm` — the only module that imports litellm.
"""

from __future__ import annotations

from logswarm.agents.accounting import CallRecord, UsageTotals
from logswarm.agents.analysis import IncidentAnalysis
from logswarm.agents.backends import BackendConfig, build_agent
from logswarm.agents.contracts import ROLE_CONTRACTS, Role
from logswarm.agents.environment import AgentEnvironment
from logswarm.agents.errors import (
    AgentError,
    ContractError,
    LLMError,
    LLMOutputInvalidError,
    LLMTimeoutError,
    LLMTransportError,
    ResourceError,
    TopologyError,
    TransportError,
)
from logswarm.agents.grounding import check_grounding
from logswarm.agents.llm import ModelConfig
from logswarm.agents.reasoner import DeterministicReasoner
from logswarm.agents.tools import RecordStore
from logswarm.agents.topology.run import TOPOLOGY_NAMES, get_topology, run_topology

__all__ = [
    "ROLE_CONTRACTS",
    "TOPOLOGY_NAMES",
    "AgentEnvironment",
    "AgentError",
    "BackendConfig",
    "CallRecord",
    "ContractError",
    "DeterministicReasoner",
    "IncidentAnalysis",
    "LLMError",
    "LLMOutputInvalidError",
    "LLMTimeoutError",
    "LLMTransportError",
    "ModelConfig",
    "RecordStore",
    "ResourceError",
    "Role",
    "TopologyError",
    "TransportError",
    "UsageTotals",
    "build_agent",
    "check_grounding",
    "get_topology",
    "run_topology",
]
