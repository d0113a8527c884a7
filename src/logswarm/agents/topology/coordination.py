"""The seed's Models 4-6 as graphs, with their input builders and conditions.

- ``auction`` (Model 4, Contract Net)::

      announce ─┬→ bid-security ────┐            ┌→ solve-security ────┐
                ├→ bid-performance ─┤            ├→ solve-performance ─┤
                ├→ bid-network ─────┼→ award ────┼→ solve-network ─────┼→ recommend → plan
                └→ bid-database ────┘  (all)     └→ solve-database ────┘      → execute → review
                                                (only the winner's edge)          → feedback
      feedback updates the specialists' reputation for the next award (the seed's loop).

- ``federated`` (Model 5): ``region-0..N-1`` (each a regional coordinator on its region's
  evidence only) → ``gateway`` (insights, never raw data) → ``synthesize`` (cross-region
  correlation) → ``respond`` (the lead region's coordinator answers the global verdict) →
  recommend → plan → execute → review.
- ``debate`` (Model 6): ``debate-temporal``, ``debate-dependency``, ``debate-frequency`` →
  ``referee`` → recommend → plan → execute → ``safety`` (the HiTL gate) → review.

The winner's, the lead region's and the referee's diagnosis are *published* as the RCA and
the safety gate's plan as the executor's, so planner, analysis and benchmarks read them as for
the other topologies. Region slots are fixed when the graph is built (``federated(regions=N)``,
default 3): the regions an incident's evidence names are assigned to slots in sorted order;
unused slots report a quiet region, and regions beyond the slots are noted, not analysed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from logswarm.agents.contracts import (
    SPECIALIST_DOMAINS,
    CoordinatorInput,
    CoordinatorOutput,
    DebaterInput,
    DebaterOutput,
    ExecutorOutput,
    GatewayInput,
    GatewayOutput,
    GlobalSynthesisRef,
    RCAOutput,
    RefereeInput,
    RegionalInput,
    RegionalOutput,
    ReviewerOutput,
    Role,
    SafetyInput,
    SpecialistInput,
    SpecialistOutput,
    SynthesizerInput,
    SynthesizerOutput,
)
from logswarm.agents.coordination.federation import split_by_region
from logswarm.agents.errors import TopologyError
from logswarm.agents.topology.engine import Condition, InputBuilder, RunState
from logswarm.agents.topology.graph import Edge, Graph, Node
from logswarm.incidents import Incident

__all__ = [
    "COORDINATION_BUILDERS",
    "COORDINATION_CONDITIONS",
    "DEBATE_STRATEGIES",
    "auction",
    "debate",
    "federated",
    "specialist_node_id",
]

DEBATE_STRATEGIES = ("temporal", "dependency", "frequency")
_RCA_PUBLISH = {"publish": {"role": Role.ROOT_CAUSE_ANALYSIS.value, "field": "rca"}}


def specialist_node_id(phase: str, role: str) -> str:
    """``bid-security`` / ``solve-security`` for ``security_specialist``."""
    return f"{phase}-{SPECIALIST_DOMAINS[role]}"


def _dependencies(state: RunState) -> dict[str, list[str]]:
    deps = state.params.get("dependencies") or {}
    return {str(k): [str(x) for x in v] for k, v in dict(deps).items()}


def _predecessor_outputs(state: RunState, node: Node, kind: type[BaseModel]) -> list[Any]:
    """Outputs of ``node``'s predecessors that are ``kind``, in the graph's node order."""
    preds = state.graph.predecessors(node.id)
    return [
        state.outputs[n.id]
        for n in state.graph.nodes
        if n.id in preds and isinstance(state.outputs.get(n.id), kind)
    ]


def _coordinator(state: RunState, phase: str) -> CoordinatorOutput | None:
    found = [o for o in state.outputs.values() if isinstance(o, CoordinatorOutput)]
    return next((o for o in reversed(found) if o.phase == phase), None)


# --- Model 4 ------------------------------------------------------------------------------------


def _announce(state: RunState, node: Node) -> CoordinatorInput:
    return CoordinatorInput(phase="announce", incident=state.incident)


def _task(state: RunState) -> Any:
    announced = _coordinator(state, "announce")
    if announced is None or announced.task is None:
        raise TopologyError(f"graph {state.graph.name}: no announced task")
    return announced.task


def _bid(state: RunState, node: Node) -> SpecialistInput:
    return SpecialistInput(
        phase="bid",
        incident=state.incident,
        task=_task(state),
        dependencies=_dependencies(state),
    )


def _award(state: RunState, node: Node) -> CoordinatorInput:
    bids = [o.bid for o in _predecessor_outputs(state, node, SpecialistOutput)]
    return CoordinatorInput(phase="award", incident=state.incident, task=_task(state), bids=bids)


def _solve(state: RunState, node: Node) -> SpecialistInput:
    return SpecialistInput(
        phase="solve",
        incident=state.incident,
        task=_task(state),
        dependencies=_dependencies(state),
    )


def _feedback(state: RunState, node: Node) -> CoordinatorInput:
    awarded = _coordinator(state, "award")
    return CoordinatorInput(
        phase="feedback",
        incident=state.incident,
        task=awarded.task if awarded else None,
        award=awarded.award if awarded else None,
        rca=state.latest(Role.ROOT_CAUSE_ANALYSIS, RCAOutput),
        review=state.latest(Role.REVIEWER, ReviewerOutput),
    )


def _awarded_to(role: str) -> Condition:
    def condition(state: RunState) -> bool:
        awarded = _coordinator(state, "award")
        return awarded is not None and awarded.award is not None and awarded.award.winner == role

    return condition


# --- Model 5 ------------------------------------------------------------------------------------


def _quiet(incident: Incident, region: str) -> Incident:
    return incident.model_copy(
        update={"regions": [region], "samples": [], "templates": [], "entities": [], "services": []}
    )


def _regional(state: RunState, node: Node) -> RegionalInput:
    regions = split_by_region(state.incident)
    names = sorted(regions)
    slot = int(node.params.get("slot", 0))
    slots = int(node.params.get("slots", 1))
    if slot == slots - 1 and len(names) > slots:
        state.notes.append(
            f"{len(names) - slots} region(s) beyond the {slots} slots not analysed: "
            + ", ".join(names[slots:])
        )
    if slot < len(names):
        region = names[slot]
        sub = regions[region]
    else:
        region = f"slot-{slot}"
        sub = _quiet(state.incident, region)
    return RegionalInput(
        phase="analyse", region=region, incident=sub, dependencies=_dependencies(state)
    )


def _gateway(state: RunState, node: Node) -> GatewayInput:
    outputs: list[RegionalOutput] = _predecessor_outputs(state, node, RegionalOutput)
    # An unused slot is not a region: it has nothing to report across the federation.
    real = set(split_by_region(state.incident))
    return GatewayInput(
        reports=[o.report for o in outputs if o.report is not None and o.report.region in real]
    )


def _synthesizer(state: RunState, node: Node) -> SynthesizerInput:
    gateway = state.require(Role.FEDERATION_GATEWAY, GatewayOutput)
    return SynthesizerInput(
        insights=gateway.insights, min_regions=int(node.params.get("min_regions", 2))
    )


def _respond(state: RunState, node: Node) -> RegionalInput:
    synthesis = state.require(Role.GLOBAL_SYNTHESIZER, SynthesizerOutput)
    regions = split_by_region(state.incident)
    region = synthesis.lead_region if synthesis.lead_region in regions else sorted(regions)[0]
    return RegionalInput(
        phase="respond",
        region=region,
        incident=regions[region],
        dependencies=_dependencies(state),
        synthesis=GlobalSynthesisRef(
            scope=synthesis.scope, category=synthesis.category, regions=synthesis.regions
        ),
    )


# --- Model 6 ------------------------------------------------------------------------------------


def _debater(state: RunState, node: Node) -> DebaterInput:
    return DebaterInput.model_validate(
        {
            "incident": state.incident,
            "strategy": node.params.get("strategy", "frequency"),
            "dependencies": _dependencies(state),
        }
    )


def _referee(state: RunState, node: Node) -> RefereeInput:
    return RefereeInput(
        incident=state.incident,
        arguments=_predecessor_outputs(state, node, DebaterOutput),
        min_agreement=float(node.params.get("min_agreement", 0.6)),
    )


def _safety(state: RunState, node: Node) -> SafetyInput:
    labels: Mapping[str, Any] = node.params.get("environment_labels") or state.params.get(
        "environment_labels", {}
    )
    policy = node.params.get("policy") or state.params.get("safety_policy")
    return SafetyInput(
        incident=state.incident,
        plan=state.require(Role.EXECUTOR, ExecutorOutput),
        environment_labels={str(k): str(v) for k, v in labels.items()},
        policy=dict(policy) if policy else None,
    )


COORDINATION_BUILDERS: dict[str, InputBuilder] = {
    "coordinator_announce": _announce,
    "coordinator_award": _award,
    "coordinator_feedback": _feedback,
    "specialist_bid": _bid,
    "specialist_solve": _solve,
    "regional_analyse": _regional,
    "regional_respond": _respond,
    Role.FEDERATION_GATEWAY: _gateway,
    Role.GLOBAL_SYNTHESIZER: _synthesizer,
    Role.DEBATER: _debater,
    Role.REFEREE: _referee,
    Role.SAFETY: _safety,
}

COORDINATION_CONDITIONS: dict[str, Condition] = {
    f"awarded_{role}": _awarded_to(role) for role in SPECIALIST_DOMAINS
}


def _respond_chain(start: str) -> tuple[tuple[Node, ...], tuple[Edge, ...]]:
    nodes = (
        Node(id="recommend", role=Role.REMEDIATION_RECOMMENDER),
        Node(id="plan", role=Role.PLANNER),
        Node(id="execute", role=Role.EXECUTOR),
    )
    edges = (
        Edge(source=start, target="recommend"),
        Edge(source="recommend", target="plan"),
        Edge(source="plan", target="execute"),
    )
    return nodes, edges


def auction() -> Graph:
    specialists = list(SPECIALIST_DOMAINS)
    bids = [
        Node(id=specialist_node_id("bid", r), role=r, input="specialist_bid") for r in specialists
    ]
    solves = [
        Node(
            id=specialist_node_id("solve", r), role=r, input="specialist_solve", params=_RCA_PUBLISH
        )
        for r in specialists
    ]
    respond, respond_edges = _respond_chain(solves[0].id)
    nodes = (
        Node(id="announce", role=Role.COORDINATOR, input="coordinator_announce"),
        *bids,
        Node(id="award", role=Role.COORDINATOR, input="coordinator_award", join="all"),
        *solves,
        *respond,
        Node(id="review", role=Role.REVIEWER),
        Node(id="feedback", role=Role.COORDINATOR, input="coordinator_feedback"),
    )
    edges = (
        *(Edge(source="announce", target=b.id) for b in bids),
        *(Edge(source=b.id, target="award") for b in bids),
        *(
            Edge(source="award", target=s.id, when=f"awarded_{r}")
            for r, s in zip(specialists, solves, strict=True)
        ),
        *(Edge(source=s.id, target="recommend") for s in solves),
        *respond_edges[1:],
        Edge(source="execute", target="review"),
        Edge(source="review", target="feedback"),
    )
    return Graph(
        name="auction",
        description="Seed Model 4: specialists bid, the coordinator awards, reputation learns",
        entry="announce",
        nodes=nodes,
        edges=edges,
    )


def federated(*, regions: int = 3, min_regions: int = 2) -> Graph:
    if regions < 1:
        raise TopologyError("federated: at least one region slot")
    slots = [
        Node(
            id=f"region-{i}",
            role=Role.REGIONAL_COORDINATOR,
            input="regional_analyse",
            params={"slot": i, "slots": regions},
        )
        for i in range(regions)
    ]
    respond, respond_edges = _respond_chain("respond")
    nodes = (
        *slots,
        Node(id="gateway", role=Role.FEDERATION_GATEWAY, join="all"),
        Node(id="synthesize", role=Role.GLOBAL_SYNTHESIZER, params={"min_regions": min_regions}),
        Node(
            id="respond",
            role=Role.REGIONAL_COORDINATOR,
            input="regional_respond",
            params=_RCA_PUBLISH,
        ),
        *respond,
        Node(id="review", role=Role.REVIEWER),
    )
    edges = (
        *(Edge(source=s.id, target="gateway") for s in slots),
        Edge(source="gateway", target="synthesize"),
        Edge(source="synthesize", target="respond"),
        *respond_edges,
        Edge(source="execute", target="review"),
    )
    return Graph(
        name="federated",
        description="Seed Model 5: regions share insights through a gateway; global synthesis",
        entry=slots[0].id,
        parallel_entries=tuple(s.id for s in slots[1:]),
        nodes=nodes,
        edges=edges,
    )


def debate(*, strategies: tuple[str, ...] = DEBATE_STRATEGIES, min_agreement: float = 0.6) -> Graph:
    if not strategies:
        raise TopologyError("debate: at least one debater")
    debaters = [
        Node(id=f"debate-{s}", role=Role.DEBATER, params={"strategy": s}) for s in strategies
    ]
    respond, respond_edges = _respond_chain("referee")
    nodes = (
        *debaters,
        Node(
            id="referee",
            role=Role.REFEREE,
            join="all",
            params={**_RCA_PUBLISH, "min_agreement": min_agreement},
        ),
        *respond,
        Node(
            id="safety",
            role=Role.SAFETY,
            params={"publish": {"role": Role.EXECUTOR.value, "field": "plan"}},
        ),
        Node(id="review", role=Role.REVIEWER),
    )
    edges = (
        *(Edge(source=d.id, target="referee") for d in debaters),
        *respond_edges,
        Edge(source="execute", target="safety"),
        Edge(source="safety", target="review"),
    )
    return Graph(
        name="debate",
        description="Seed Model 6: debaters argue, a referee selects, a safety gate screens",
        entry=debaters[0].id,
        parallel_entries=tuple(d.id for d in debaters[1:]),
        nodes=nodes,
        edges=edges,
    )
