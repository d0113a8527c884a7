"""Topologies as data: nodes (a role with parameters), edges (optionally conditional).

A :class:`Graph` says *who talks to whom*, nothing about *how*: the engine runs it, a
transport reaches the roles. The shapes the seed needs are all expressible:

- a pipeline (Model 1 linear, Model 2 rag): a chain of unconditional edges;
- a loop (Model 3 smart: validation back to retrieval when evidence is thin): conditional
  edges plus a per-node visit bound, so no loop runs away;
- a fan-out / fan-in (Model 4 auction among specialists, Model 5 regions into a federation
  gateway, Model 6 debaters into a referee): several unconditional edges out of one node and a
  node with ``join="all"`` that waits for every predecessor.

A node may also *publish* its output (or one field of it) as another role's latest output
(``params={"publish": {"role": "root_cause_analysis", "field": "rca"}}``): the winning
specialist's or the referee's diagnosis is then what the planner, the analysis and the
benchmarks read as the RCA, without special cases downstream.

Graphs validate themselves (unknown nodes, missing entry, unknown conditions) and serialise
to plain JSON, so an AgentPool can carry one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from logswarm.agents.errors import TopologyError

__all__ = ["Edge", "Graph", "Node"]


class Node(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    role: str
    #: Name of the input builder (defaults to the role): how this node's input is made from
    #: the run's state.
    input: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    #: ``all``: run only once every predecessor has run (fan-in); ``any``: on the first arrival.
    join: Literal["any", "all"] = "any"
    #: How many times a loop may bring the run back here.
    max_visits: int = Field(default=1, ge=1, le=20)

    @property
    def builder(self) -> str:
        return self.input or self.role


class Edge(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str
    target: str
    #: Name of a condition on the run state; ``None`` means always.
    when: str | None = None


class Graph(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str = ""
    entry: str
    #: Nodes that start together with ``entry``: work that begins in several places at once
    #: (each region's coordinator, each debater) rather than fanning out of one node.
    parallel_entries: tuple[str, ...] = ()
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...] = ()

    def node(self, node_id: str) -> Node:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise TopologyError(f"graph {self.name}: no node {node_id!r}")

    def outgoing(self, node_id: str) -> list[Edge]:
        return [e for e in self.edges if e.source == node_id]

    def predecessors(self, node_id: str) -> set[str]:
        return {e.source for e in self.edges if e.target == node_id}

    def validate_against(
        self, *, roles: Iterable[str], builders: Iterable[str], conditions: Iterable[str]
    ) -> None:
        """Raise :class:`TopologyError` unless every name the graph uses is provided."""
        ids = [n.id for n in self.nodes]
        if len(set(ids)) != len(ids):
            raise TopologyError(f"graph {self.name}: duplicate node ids")
        for entry in (self.entry, *self.parallel_entries):
            if entry not in ids:
                raise TopologyError(f"graph {self.name}: entry {entry!r} is not a node")
        known_roles, known_builders, known_conditions = set(roles), set(builders), set(conditions)
        for n in self.nodes:
            if n.role not in known_roles:
                raise TopologyError(f"graph {self.name}: node {n.id} has unknown role {n.role!r}")
            if n.builder not in known_builders:
                raise TopologyError(
                    f"graph {self.name}: node {n.id} has no input builder {n.builder!r}"
                )
        for e in self.edges:
            for end in (e.source, e.target):
                if end not in ids:
                    raise TopologyError(f"graph {self.name}: edge names unknown node {end!r}")
            if e.when is not None and e.when not in known_conditions:
                raise TopologyError(f"graph {self.name}: unknown condition {e.when!r}")
