"""``run_topology``: the one call the CLI, the operator and the benchmarks make.

It assembles a run from what the caller has — incidents, optionally the records they came
from (for the log tools), a backend, optionally a knowledge base, cluster reader, metric
source or a transport to remote agent pods — and returns one
:class:`~logswarm.agents.analysis.IncidentAnalysis` per incident. Agents (and so the LLM cache)
are shared across the incidents of one call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from logswarm.agents.analysis import IncidentAnalysis, analysis_from_state
from logswarm.agents.backends import BackendConfig, build_agent
from logswarm.agents.contracts import MetricObservation
from logswarm.agents.environment import AgentEnvironment
from logswarm.agents.errors import TopologyError
from logswarm.agents.llm import ChatClient
from logswarm.agents.tools import ClusterReader, MetricSource, RecordStore, Toolbox
from logswarm.agents.topology.builtin import BUILDERS, CONDITIONS, TOPOLOGIES
from logswarm.agents.topology.engine import Engine
from logswarm.agents.topology.graph import Graph
from logswarm.agents.topology.transport import InProcessTransport, RoleTransport
from logswarm.incidents import Incident

__all__ = ["TOPOLOGY_NAMES", "get_topology", "run_topology"]

TOPOLOGY_NAMES = tuple(TOPOLOGIES)


def get_topology(name: str) -> Graph:
    try:
        return TOPOLOGIES[name]()
    except KeyError:
        raise TopologyError(
            f"unknown topology {name!r}; this build has {', '.join(TOPOLOGY_NAMES)}"
        ) from None


def run_topology(
    name: str | Graph,
    incidents: Sequence[Incident],
    *,
    records: RecordStore | None = None,
    backend: BackendConfig | None = None,
    env: AgentEnvironment | None = None,
    metrics: MetricSource | None = None,
    cluster: ClusterReader | None = None,
    transport: RoleTransport | None = None,
    client: ChatClient | None = None,
    dependencies: Mapping[str, Sequence[str]] | None = None,
    observed_metrics: Mapping[str, Sequence[MetricObservation]] | None = None,
) -> list[IncidentAnalysis]:
    """Run topology ``name`` (or a custom graph) on every incident, in order.

    ``dependencies`` maps a service to the services it calls (used by RCA);
    ``observed_metrics`` maps an incident id to before/after metric values (used by the
    reviewer). ``client`` replaces the litellm client (tests); ``transport`` replaces the
    in-process agents (agent pods over HTTP).
    """
    graph = name if isinstance(name, Graph) else get_topology(name)
    backend = backend or BackendConfig()
    if env is None:
        env = AgentEnvironment.default(
            toolbox=Toolbox(logs=records, metrics=metrics, cluster=cluster)
        )
    if transport is None:
        transport = InProcessTransport.single(build_agent(backend, env, client=client))
    engine = Engine(transport=transport, builders=BUILDERS, conditions=CONDITIONS)
    params: dict[str, Any] = {
        "dependencies": {k: list(v) for k, v in (dependencies or {}).items()},
        "metrics": {k: [m.model_dump() for m in v] for k, v in (observed_metrics or {}).items()},
    }
    return [
        analysis_from_state(engine.run(graph, incident, params=params), backend=backend.label)
        for incident in incidents
    ]
