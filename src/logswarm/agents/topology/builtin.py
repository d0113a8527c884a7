"""The seed's Models 1-3 as graphs, the registry of all six topologies, builders, conditions.

- ``linear`` (Model 1): planner -> executor -> reviewer. The planner reads the detector
  evidence itself; no retrieval, no separate RCA.
- ``rag`` (Model 2): retrieval -> RCA -> remediation recommender -> planner -> executor ->
  reviewer. Retrieval brings similar past incidents and runbooks (and tool observations).
- ``smart`` (Model 3): intent -> retrieval -> RCA -> validation, looping back to retrieval
  (wider window, more entities) while validation finds the evidence thin, at most three
  rounds; then recommender -> planner -> executor -> reviewer.

Models 4-6 (``auction``, ``federated``, ``debate``) live in :mod:`.coordination`; their
builders and conditions are merged into :data:`BUILDERS` and :data:`CONDITIONS` here, and
:data:`TOPOLOGIES` names all six.

Input builders turn the run state into a role's input contract; they are looked up by name,
so a graph written as data (an AgentPool field) can use them.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

from logswarm.agents.contracts import (
    ExecutorInput,
    ExecutorOutput,
    IntentInput,
    IntentOutput,
    MetricObservation,
    PlannerInput,
    PlannerOutput,
    RCAInput,
    RCAOutput,
    RecommenderInput,
    RecommenderOutput,
    RetrievalInput,
    RetrievalOutput,
    ReviewerInput,
    Role,
    ValidationInput,
    ValidationOutput,
)
from logswarm.agents.topology.coordination import (
    COORDINATION_BUILDERS,
    COORDINATION_CONDITIONS,
    auction,
    debate,
    federated,
)
from logswarm.agents.topology.engine import Condition, InputBuilder, RunState
from logswarm.agents.topology.graph import Edge, Graph, Node

__all__ = [
    "BUILDERS",
    "CONDITIONS",
    "TOPOLOGIES",
    "auction",
    "debate",
    "federated",
    "linear",
    "rag",
    "smart",
]


def _intent(state: RunState, node: Node) -> IntentInput:
    return IntentInput(incident=state.incident)


def _retrieval(state: RunState, node: Node) -> RetrievalInput:
    validation = state.latest(Role.VALIDATION, ValidationOutput)
    return RetrievalInput(
        incident=state.incident,
        intent=state.latest(Role.INTENT_CLASSIFIER, IntentOutput),
        k=int(node.params.get("k", 3)),
        round=state.visits[node.id],
        requested=validation.requested_evidence if validation else [],
    )


def _rca(state: RunState, node: Node) -> RCAInput:
    deps = state.params.get("dependencies") or {}
    return RCAInput(
        incident=state.incident,
        intent=state.latest(Role.INTENT_CLASSIFIER, IntentOutput),
        retrieval=state.latest(Role.RETRIEVAL, RetrievalOutput),
        dependencies={str(k): [str(x) for x in v] for k, v in dict(deps).items()},
    )


def _validation(state: RunState, node: Node) -> ValidationInput:
    executor = state.latest(Role.EXECUTOR, ExecutorOutput)
    return ValidationInput(
        incident=state.incident,
        rca=state.require(Role.ROOT_CAUSE_ANALYSIS, RCAOutput),
        retrieval=state.latest(Role.RETRIEVAL, RetrievalOutput),
        steps=executor.steps if executor else [],
        min_confidence=float(node.params.get("min_confidence", 0.5)),
        min_grounding=float(node.params.get("min_grounding", 0.8)),
    )


def _recommender(state: RunState, node: Node) -> RecommenderInput:
    return RecommenderInput(
        incident=state.incident,
        rca=state.require(Role.ROOT_CAUSE_ANALYSIS, RCAOutput),
        retrieval=state.latest(Role.RETRIEVAL, RetrievalOutput),
    )


def _planner(state: RunState, node: Node) -> PlannerInput:
    return PlannerInput(
        incident=state.incident,
        retrieval=state.latest(Role.RETRIEVAL, RetrievalOutput),
        rca=state.latest(Role.ROOT_CAUSE_ANALYSIS, RCAOutput),
        recommendations=state.latest(Role.REMEDIATION_RECOMMENDER, RecommenderOutput),
        validation=state.latest(Role.VALIDATION, ValidationOutput),
    )


def _executor(state: RunState, node: Node) -> ExecutorInput:
    return ExecutorInput(
        incident=state.incident,
        plan=state.require(Role.PLANNER, PlannerOutput),
        recommendations=state.latest(Role.REMEDIATION_RECOMMENDER, RecommenderOutput),
    )


def _reviewer(state: RunState, node: Node) -> ReviewerInput:
    executor = state.latest(Role.EXECUTOR, ExecutorOutput)
    observed = state.params.get("metrics") or {}
    metrics = [MetricObservation.model_validate(m) for m in observed.get(state.incident.id, [])]
    return ReviewerInput(
        incident=state.incident, steps=executor.steps if executor else [], metrics=metrics
    )


BUILDERS: dict[str, InputBuilder] = {
    Role.INTENT_CLASSIFIER: _intent,
    Role.RETRIEVAL: _retrieval,
    Role.ROOT_CAUSE_ANALYSIS: _rca,
    Role.VALIDATION: _validation,
    Role.REMEDIATION_RECOMMENDER: _recommender,
    Role.PLANNER: _planner,
    Role.EXECUTOR: _executor,
    Role.REVIEWER: _reviewer,
    **COORDINATION_BUILDERS,
}


def _evidence_thin(state: RunState) -> bool:
    validation = state.latest(Role.VALIDATION, ValidationOutput)
    if validation is None or validation.verdict != "need_more_evidence":
        return False
    retrieval = next((n for n in state.graph.nodes if n.role == Role.RETRIEVAL), None)
    return retrieval is not None and state.visits[retrieval.id] < retrieval.max_visits


CONDITIONS: dict[str, Condition] = {
    "evidence_thin": _evidence_thin,
    "evidence_sufficient": lambda state: not _evidence_thin(state),
    **COORDINATION_CONDITIONS,
}


def _chain(*ids_roles: tuple[str, str]) -> tuple[tuple[Node, ...], tuple[Edge, ...]]:
    nodes = tuple(Node(id=i, role=r) for i, r in ids_roles)
    edges = tuple(Edge(source=a.id, target=b.id) for a, b in itertools.pairwise(nodes))
    return nodes, edges


def linear() -> Graph:
    nodes, edges = _chain(
        ("plan", Role.PLANNER), ("execute", Role.EXECUTOR), ("review", Role.REVIEWER)
    )
    return Graph(
        name="linear",
        description="Seed Model 1: planner -> executor -> reviewer on detector evidence",
        entry="plan",
        nodes=nodes,
        edges=edges,
    )


def rag() -> Graph:
    nodes, edges = _chain(
        ("retrieve", Role.RETRIEVAL),
        ("rca", Role.ROOT_CAUSE_ANALYSIS),
        ("recommend", Role.REMEDIATION_RECOMMENDER),
        ("plan", Role.PLANNER),
        ("execute", Role.EXECUTOR),
        ("review", Role.REVIEWER),
    )
    return Graph(
        name="rag",
        description="Seed Model 2: retrieval-augmented RCA and planning",
        entry="retrieve",
        nodes=nodes,
        edges=edges,
    )


def smart(*, rounds: int = 3) -> Graph:
    nodes = (
        Node(id="intent", role=Role.INTENT_CLASSIFIER),
        Node(id="retrieve", role=Role.RETRIEVAL, max_visits=rounds),
        Node(id="rca", role=Role.ROOT_CAUSE_ANALYSIS, max_visits=rounds),
        Node(id="validate", role=Role.VALIDATION, max_visits=rounds),
        Node(id="recommend", role=Role.REMEDIATION_RECOMMENDER),
        Node(id="plan", role=Role.PLANNER),
        Node(id="execute", role=Role.EXECUTOR),
        Node(id="review", role=Role.REVIEWER),
    )
    edges = (
        Edge(source="intent", target="retrieve"),
        Edge(source="retrieve", target="rca"),
        Edge(source="rca", target="validate"),
        Edge(source="validate", target="retrieve", when="evidence_thin"),
        Edge(source="validate", target="recommend", when="evidence_sufficient"),
        Edge(source="recommend", target="plan"),
        Edge(source="plan", target="execute"),
        Edge(source="execute", target="review"),
    )
    return Graph(
        name="smart",
        description="Seed Model 3: intent -> retrieve -> validate (loop while thin) -> respond",
        entry="intent",
        nodes=nodes,
        edges=edges,
    )


TOPOLOGIES: dict[str, Callable[[], Graph]] = {
    "linear": linear,
    "rag": rag,
    "smart": smart,
    "auction": auction,
    "federated": federated,
    "debate": debate,
}
