"""The engine that runs a :class:`~logswarm.agents.topology.graph.Graph` for one incident.

It walks the graph from its entry: builds each node's input from the run state (an *input
builder*, by name), invokes the node's role through a
:class:`~logswarm.agents.topology.transport.RoleTransport`, records a trajectory step, then
follows the outgoing edges whose condition holds. Fan-in nodes (``join="all"``) wait for all
their predecessors; loops are bounded by ``max_visits``. Nodes run one at a time in a
deterministic order, so a run is reproducible; parallel fan-out is a transport concern (agent
pods answer concurrently) and can come without changing graphs.

The trajectory is the audit record the seed asks of Model 3: per step the role, a digest of
its input, its output, the evidence it cited, the tool calls, tokens, cost and latency.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from logswarm.agents.accounting import CallRecord, UsageTotals
from logswarm.agents.contracts import PlanStep, RetrievalOutput, RootCause, ToolCallRecord
from logswarm.agents.errors import AgentError, TopologyError
from logswarm.agents.grounding import collect_claims
from logswarm.agents.topology.graph import Graph, Node
from logswarm.agents.topology.transport import RoleTransport
from logswarm.incidents import Incident

__all__ = ["Condition", "Engine", "InputBuilder", "RunState", "TrajectoryStep", "cited_ids"]

M = TypeVar("M", bound=BaseModel)


class TrajectoryStep(BaseModel):
    model_config = ConfigDict(extra="forbid")

    index: int
    node: str
    role: str
    backend: str
    input_digest: str
    output: dict[str, Any] | None = None
    evidence_cited: list[str] = Field(default_factory=list)
    tool_calls: list[ToolCallRecord] = Field(default_factory=list)
    calls: list[CallRecord] = Field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    latency_ms: float = 0.0
    notes: list[str] = Field(default_factory=list)
    error: str | None = None


@dataclass(slots=True)
class RunState:
    """Everything a run has produced so far; input builders and conditions read it."""

    graph: Graph
    incident: Incident
    params: Mapping[str, Any] = field(default_factory=dict)
    outputs: dict[str, BaseModel] = field(default_factory=dict)
    by_role: dict[str, BaseModel] = field(default_factory=dict)
    visits: Counter[str] = field(default_factory=Counter)
    trajectory: list[TrajectoryStep] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def latest(self, role: str, kind: type[M]) -> M | None:
        value = self.by_role.get(role)
        return value if isinstance(value, kind) else None

    def require(self, role: str, kind: type[M]) -> M:
        value = self.latest(role, kind)
        if value is None:
            raise TopologyError(f"graph {self.graph.name}: no {role} output before it is needed")
        return value

    def of_nodes(self, node_ids: set[str]) -> dict[str, BaseModel]:
        return {k: v for k, v in self.outputs.items() if k in node_ids}

    @property
    def usage(self) -> UsageTotals:
        return UsageTotals.of(c for step in self.trajectory for c in step.calls)


InputBuilder = Callable[[RunState, Node], BaseModel]
Condition = Callable[[RunState], bool]


def cited_ids(output: BaseModel) -> list[str]:
    """Evidence ids an output cites: its claims, culprits and plan targets, in order."""
    ids: list[str] = []
    for claim in collect_claims(output):
        ids.extend(claim.evidence)
    stack: list[object] = [output]
    while stack:
        value = stack.pop()
        if isinstance(value, RootCause) and value.entity:
            ids.append(value.entity)
        elif isinstance(value, PlanStep):
            ids.append(value.target_evidence)
        if isinstance(value, BaseModel):
            stack.extend(getattr(value, n) for n in type(value).model_fields)
        elif isinstance(value, list | tuple):
            stack.extend(value)
    return list(dict.fromkeys(ids))


def _digest(payload: BaseModel) -> str:
    return hashlib.sha256(payload.model_dump_json().encode()).hexdigest()[:16]


class Engine:
    """Runs graphs over a transport with named input builders and conditions."""

    def __init__(
        self,
        *,
        transport: RoleTransport,
        builders: Mapping[str, InputBuilder],
        conditions: Mapping[str, Condition],
        roles: set[str] | None = None,
        clock: Callable[[], float] = time.perf_counter,
        max_steps: int = 100,
    ) -> None:
        self._transport = transport
        self._builders = dict(builders)
        self._conditions = dict(conditions)
        self._roles = roles
        self._clock = clock
        self._max_steps = max_steps

    def run(
        self, graph: Graph, incident: Incident, *, params: Mapping[str, Any] | None = None
    ) -> RunState:
        graph.validate_against(
            roles=self._roles if self._roles is not None else {n.role for n in graph.nodes},
            builders=self._builders,
            conditions=self._conditions,
        )
        state = RunState(graph=graph, incident=incident, params=dict(params or {}))
        ready: deque[str] = deque([graph.entry, *graph.parallel_entries])
        arrived: dict[str, set[str]] = {}
        while ready:
            if len(state.trajectory) >= self._max_steps:
                state.notes.append(f"stopped after {self._max_steps} steps")
                break
            node = graph.node(ready.popleft())
            if state.visits[node.id] >= node.max_visits:
                state.notes.append(f"{node.id}: visit bound {node.max_visits} reached")
                continue
            if not self._step(state, node):
                continue
            for edge in graph.outgoing(node.id):
                if edge.when is not None and not self._conditions[edge.when](state):
                    continue
                target = graph.node(edge.target)
                got = arrived.setdefault(target.id, set())
                got.add(node.id)
                if target.join == "all":
                    if not graph.predecessors(target.id) <= got:
                        continue
                    got.clear()
                if target.id not in ready:
                    ready.append(target.id)
        return state

    def _step(self, state: RunState, node: Node) -> bool:
        index = len(state.trajectory)
        try:
            payload = self._builders[node.builder](state, node)
        except AgentError as e:
            state.trajectory.append(
                TrajectoryStep(index=index, node=node.id, role=node.role, backend="-",
                               input_digest="-", error=f"{type(e).__name__}: {e}")
            )  # fmt: skip
            return False
        digest = _digest(payload)
        started = self._clock()
        try:
            result = self._transport.invoke(node.role, payload)
        except AgentError as e:
            latency = (self._clock() - started) * 1000.0
            calls: list[CallRecord] = list(getattr(e, "records", []))
            state.trajectory.append(
                TrajectoryStep(
                    index=index, node=node.id, role=node.role, backend="-", input_digest=digest,
                    calls=calls, latency_ms=latency, error=f"{type(e).__name__}: {e}",
                    prompt_tokens=sum(c.prompt_tokens for c in calls),
                    completion_tokens=sum(c.completion_tokens for c in calls),
                    cost_usd=sum(c.cost_usd for c in calls),
                )
            )  # fmt: skip
            state.visits[node.id] += 1
            return False
        latency = (self._clock() - started) * 1000.0
        state.visits[node.id] += 1
        state.outputs[node.id] = result.output
        state.by_role[node.role] = result.output
        publish = node.params.get("publish")
        if isinstance(publish, Mapping):
            value = getattr(result.output, str(publish.get("field", "")), None)
            if isinstance(value, BaseModel):
                state.by_role[str(publish["role"])] = value
        tools = result.output.tool_calls if isinstance(result.output, RetrievalOutput) else []
        state.trajectory.append(
            TrajectoryStep(
                index=index,
                node=node.id,
                role=node.role,
                backend=result.backend,
                input_digest=digest,
                output=result.output.model_dump(mode="json"),
                evidence_cited=cited_ids(result.output),
                tool_calls=list(tools),
                calls=result.calls,
                prompt_tokens=sum(c.prompt_tokens for c in result.calls),
                completion_tokens=sum(c.completion_tokens for c in result.calls),
                cost_usd=sum(c.cost_usd for c in result.calls),
                latency_ms=latency,
                notes=result.notes,
            )
        )
        return True
