"""Topologies end to end on the offline backend, their trajectories, and the graph engine.

Includes the shapes later topologies need — an auction among specialists, regions federated
through a gateway, debaters judged by a referee — built as small test graphs with their own
roles and contracts, to show the engine and transports express them unchanged.
"""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from pydantic import BaseModel

from logswarm.agents import BackendConfig, RecordStore, run_topology
from logswarm.agents.backends import build_agent
from logswarm.agents.contracts import ROLE_CONTRACTS
from logswarm.agents.environment import AgentEnvironment
from logswarm.agents.errors import TopologyError, TransportError
from logswarm.agents.roles import RoleResult
from logswarm.agents.topology import (
    BUILDERS,
    CONDITIONS,
    Edge,
    Engine,
    Graph,
    HttpTransport,
    InProcessTransport,
    Node,
    RunState,
    handle_role_request,
)
from logswarm.incidents import Incident
from logswarm.records import LogRecord, Severity, SourceKind
from tests.agents.fakes import (
    T0,
    bad_deploy_incident,
    credential_incident,
    oom_incident,
    records_for,
)

EXPECTED = {
    "inc-oom": ("oom", "patch_resources"),
    "inc-deploy": ("bad_deploy", "rollback_deployment"),
    "inc-cred": ("credential_compromise", "deactivate_access_key"),
}
NODES = {
    "linear": ["plan", "execute", "review"],
    "rag": ["retrieve", "rca", "recommend", "plan", "execute", "review"],
    "smart": ["intent", "retrieve", "rca", "validate", "recommend", "plan", "execute", "review"],
}


@pytest.mark.parametrize("topology", ["linear", "rag", "smart"])
def test_topology_end_to_end_offline(topology: str) -> None:
    incidents = [oom_incident(), bad_deploy_incident(), credential_incident()]
    records = RecordStore([r for i in incidents for r in records_for(i)])
    analyses = run_topology(topology, incidents, records=records, backend=BackendConfig())
    assert [a.incident_id for a in analyses] == [i.id for i in incidents]
    for analysis in analyses:
        category, first_action = EXPECTED[analysis.incident_id]
        assert analysis.topology == topology
        assert analysis.backend == "deterministic"
        assert analysis.root_cause is not None
        assert analysis.root_cause.category == category
        assert analysis.plan
        assert analysis.plan[0].action == first_action
        assert analysis.plan_status == "planned"
        assert analysis.grounding.score == 1.0
        assert analysis.usage.calls == 0
        assert analysis.usage.cost_usd == 0
        assert [s.node for s in analysis.trajectory] == NODES[topology]
        assert analysis.errors == []


def test_trajectory_records_digest_output_evidence_and_tools() -> None:
    incident = oom_incident()
    analysis = run_topology("smart", [incident], records=RecordStore(records_for(incident)))[0]
    steps = {s.node: s for s in analysis.trajectory}
    assert all(len(s.input_digest) == 16 and s.output is not None for s in analysis.trajectory)
    assert steps["retrieve"].tool_calls
    assert steps["retrieve"].tool_calls[0].tool == "query_logs"
    assert set(steps["rca"].evidence_cited) <= incident.evidence_ids() | {
        "K1",
        "K2",
        "K3",
        "O1",
        "O2",
    }
    assert steps["rca"].output is not None
    assert steps["rca"].output["root_cause"]["category"] == "oom"
    assert steps["execute"].evidence_cited  # plan targets are cited evidence
    assert analysis.validation is not None
    assert analysis.validation.verdict == "accept"
    assert analysis.retrieved_categories[0] == "oom"


def _thin_incident() -> tuple[Incident, list[LogRecord]]:
    """Only the callers' timeouts are in the window; the OOM kills happened minutes before."""
    base = oom_incident()
    incident = base.model_copy(
        update={
            "templates": [base.templates[2]],
            "samples": base.samples[4:],
            "entities": [e for e in base.entities if e.value in {"checkout", "frontend", "frontend-5f6d-abcde"}],
        }
    )  # fmt: skip
    earlier = [
        LogRecord(
            timestamp=T0 - timedelta(minutes=m), source=SourceKind.CONTAINER, severity=Severity.ERROR,
            message="Container checkout OOMKilled exit code 137", service="checkout", file="k.log", line=m,
        )
        for m in (3, 5, 7)
    ]  # fmt: skip
    return incident, records_for(incident) + earlier


def test_smart_loops_back_to_retrieval_while_evidence_is_thin() -> None:
    incident, records = _thin_incident()
    analysis = run_topology("smart", [incident], records=RecordStore(records))[0]
    nodes = [s.node for s in analysis.trajectory]
    assert nodes[:7] == ["intent", "retrieve", "rca", "validate", "retrieve", "rca", "validate"]
    verdicts = [
        s.output["verdict"] for s in analysis.trajectory if s.node == "validate" and s.output
    ]
    assert verdicts == ["need_more_evidence", "accept"]
    second = [s for s in analysis.trajectory if s.node == "retrieve"][1]
    assert second.tool_calls[0].arguments["start"] < (T0 - timedelta(minutes=10)).isoformat()
    assert analysis.root_cause is not None
    assert analysis.root_cause.category == "oom"
    assert analysis.root_cause.entity_value == "checkout"
    # Without the loop (Model 2 on the same evidence) the cause stays unknown.
    rag = run_topology("rag", [incident], records=RecordStore(records))[0]
    assert rag.root_cause is not None
    assert rag.root_cause.category == "unknown"


def test_smart_loop_is_bounded_and_then_escalates() -> None:
    incident, _ = _thin_incident()
    analysis = run_topology("smart", [incident])[0]
    assert [s.node for s in analysis.trajectory].count("retrieve") == 3
    assert analysis.escalate
    assert analysis.plan_status in {"escalated", "nothing_to_do"}


def test_the_same_graph_runs_over_http_with_the_same_result() -> None:
    incident = oom_incident()
    env = AgentEnvironment.default()
    local = InProcessTransport.single(build_agent(BackendConfig(), env))

    def pod(request: httpx.Request) -> httpx.Response:
        role = request.url.path.rsplit("/", 1)[-1]
        status, body = handle_role_request(
            role=role, body=httpx.Response(200, content=request.content).json(), transport=local
        )
        return httpx.Response(status, json=body)

    with httpx.Client(transport=httpx.MockTransport(pod)) as client:
        remote = HttpTransport(client=client, default_base_url="http://agents.logswarm.svc:8080")
        over_http = run_topology("smart", [incident], env=env, transport=remote)[0]
    in_process = run_topology("smart", [incident], env=env, transport=local)[0]
    assert over_http.root_cause == in_process.root_cause
    assert over_http.plan == in_process.plan
    assert [s.output for s in over_http.trajectory] == [s.output for s in in_process.trajectory]


def test_http_transport_reports_unreachable_pods_and_bad_payloads() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with httpx.Client(transport=httpx.MockTransport(down)) as client:
        remote = HttpTransport(client=client, default_base_url="http://x")
        analysis = run_topology("linear", [oom_incident()], transport=remote)[0]
    assert analysis.errors
    assert "TransportError" in analysis.errors[0]
    assert analysis.root_cause is None
    status, body = handle_role_request(
        role="planner", body={"input": {"nope": 1}}, transport=InProcessTransport({})
    )
    assert status == 422
    assert "planner" in body["error"]
    assert handle_role_request(role="dancer", body={}, transport=InProcessTransport({}))[0] == 404
    with pytest.raises(TransportError):
        InProcessTransport({}).invoke("planner", oom_incident())


def test_graph_validation_names_what_is_missing() -> None:
    engine = Engine(
        transport=InProcessTransport({}),
        builders=BUILDERS,
        conditions=CONDITIONS,
        roles=set(ROLE_CONTRACTS),
    )
    bad = [
        Graph(name="g", entry="x", nodes=(Node(id="a", role="planner"),)),
        Graph(name="g", entry="a", nodes=(Node(id="a", role="juggler"),)),
        Graph(name="g", entry="a", nodes=(Node(id="a", role="planner"),), edges=(Edge(source="a", target="b"),)),
        Graph(name="g", entry="a", nodes=(Node(id="a", role="planner"),), edges=(Edge(source="a", target="a", when="moon"),)),
    ]  # fmt: skip
    for graph in bad:
        with pytest.raises(TopologyError):
            engine.run(graph, oom_incident())
    with pytest.raises(TopologyError, match="unknown topology"):
        run_topology("hierarchical", [oom_incident()])


# --- later topologies' shapes, with test roles ---------------------------------------------


class Task(BaseModel):
    incident_id: str
    note: str = ""


class Bid(BaseModel):
    bidder: str
    amount: float


class Verdict(BaseModel):
    winner: str
    seen: list[str]


class ScriptedAgent:
    """Test roles: specialists bid by domain fit, regions summarise, debaters argue."""

    def run(self, role: str, payload: BaseModel) -> RoleResult:
        assert isinstance(payload, Task)
        if role in {"specialist", "region", "debater"}:
            return RoleResult(
                output=Bid(bidder=payload.note, amount=len(payload.note) / 10), backend="scripted"
            )
        raise AssertionError(role)


class Judge:
    def run(self, role: str, payload: BaseModel) -> RoleResult:
        assert isinstance(payload, Verdicts)
        best = max(payload.bids, key=lambda b: b.amount)
        return RoleResult(
            output=Verdict(winner=best.bidder, seen=sorted(b.bidder for b in payload.bids)),
            backend="scripted",
        )


class Verdicts(BaseModel):
    bids: list[Bid]


def _task(state: RunState, node: Node) -> Task:
    return Task(incident_id=state.incident.id, note=str(node.params.get("name", "")))


def _collect(state: RunState, node: Node) -> Verdicts:
    bids = [
        o for o in state.of_nodes(state.graph.predecessors(node.id)).values() if isinstance(o, Bid)
    ]
    return Verdicts(bids=bids)


def _fan_in(name: str, worker_role: str, judge_role: str, workers: list[str]) -> Graph:
    nodes = [Node(id="start", role="dispatcher", input="task")]
    nodes += [Node(id=w, role=worker_role, input="task", params={"name": w}) for w in workers]
    nodes += [Node(id="judge", role=judge_role, input="collect", join="all")]
    edges = [Edge(source="start", target=w) for w in workers] + [
        Edge(source=w, target="judge") for w in workers
    ]
    return Graph(name=name, entry="start", nodes=tuple(nodes), edges=tuple(edges))


class Dispatcher:
    def run(self, role: str, payload: BaseModel) -> RoleResult:
        return RoleResult(output=Bid(bidder="dispatcher", amount=0), backend="scripted")


@pytest.mark.parametrize(
    ("name", "worker", "judge", "workers", "winner"),
    [
        (
            "auction",
            "specialist",
            "coordinator",
            ["security", "performance", "network", "database"],
            "performance",
        ),
        (
            "federated",
            "region",
            "federation_gateway",
            ["eu-west-1", "us-east-1", "ap-south-1"],
            "ap-south-1",
        ),
        ("debate", "debater", "referee", ["opus", "gpt-4o", "deepseek-r1"], "deepseek-r1"),
    ],
)
def test_fan_out_fan_in_shapes_of_later_topologies(
    name: str, worker: str, judge: str, workers: list[str], winner: str
) -> None:
    contracts: dict[str, tuple[type[BaseModel], type[BaseModel]]] = {
        worker: (Task, Bid),
        judge: (Verdicts, Verdict),
        "dispatcher": (Task, Bid),
    }
    local = InProcessTransport(
        {worker: ScriptedAgent(), judge: Judge(), "dispatcher": Dispatcher()}
    )

    def pod(request: httpx.Request) -> httpx.Response:
        role = request.url.path.rsplit("/", 1)[-1]
        status, body = handle_role_request(
            role=role,
            body=httpx.Response(200, content=request.content).json(),
            transport=local,
            contracts=contracts,
        )
        return httpx.Response(status, json=body)

    graph = _fan_in(name, worker, judge, workers)
    with httpx.Client(transport=httpx.MockTransport(pod)) as client:
        for transport in (
            local,
            HttpTransport(client=client, default_base_url="http://pods", contracts=contracts),
        ):
            engine = Engine(
                transport=transport, builders={"task": _task, "collect": _collect}, conditions={}
            )
            state = engine.run(graph, oom_incident())
            verdict = state.outputs["judge"]
            assert isinstance(verdict, Verdict)
            assert verdict.winner == winner
            assert verdict.seen == sorted(workers)
            # The judge ran once, after every worker.
            order = [s.node for s in state.trajectory]
            assert order.count("judge") == 1
            assert order[-1] == "judge"
