"""Coordination topologies as declarative graphs, the engine that runs them, and transports.

See :mod:`.graph` (the data), :mod:`.engine` (the walk and the trajectory), :mod:`.transport`
(in-process or HTTP), :mod:`.builtin` (seed Models 1-3, registry of all six),
:mod:`.coordination` (seed Models 4-6), :mod:`.metrics` (their scores) and :mod:`.run`
(``run_topology``).
"""

from __future__ import annotations

from logswarm.agents.topology.builtin import (
    BUILDERS,
    CONDITIONS,
    TOPOLOGIES,
    auction,
    debate,
    federated,
    linear,
    rag,
    smart,
)
from logswarm.agents.topology.engine import (
    Condition,
    Engine,
    InputBuilder,
    RunState,
    TrajectoryStep,
    cited_ids,
)
from logswarm.agents.topology.graph import Edge, Graph, Node
from logswarm.agents.topology.transport import (
    ContractRegistry,
    HttpTransport,
    InProcessTransport,
    RoleTransport,
    handle_role_request,
)

__all__ = [
    "BUILDERS",
    "CONDITIONS",
    "TOPOLOGIES",
    "Condition",
    "ContractRegistry",
    "Edge",
    "Engine",
    "Graph",
    "HttpTransport",
    "InProcessTransport",
    "InputBuilder",
    "Node",
    "RoleTransport",
    "RunState",
    "TrajectoryStep",
    "auction",
    "cited_ids",
    "debate",
    "federated",
    "handle_role_request",
    "linear",
    "rag",
    "smart",
]
