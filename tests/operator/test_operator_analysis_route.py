"""Where an Incident's topology runs: the pool's agent pods over HTTP, or in-process — chosen
from the pool's readiness and the operator's analysis mode, and always said in the status."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from logswarm.agents import AgentEnvironment, BackendConfig, build_agent
from logswarm.agents.server import AgentServer
from logswarm.agents.topology.transport import InProcessTransport
from logswarm.operator.agentpool import (
    AGENT_PORT,
    PoolRef,
    agent_url,
    build_children,
    validate_url_template,
)
from logswarm.operator.incident import (
    AgentsUnavailableError,
    AnalysisMode,
    Route,
    agent_transport,
    analyse,
    choose_route,
    topology_roles,
    waiting_status,
)
from logswarm.operator.settings import OperatorConfig, parse_agent_urls

LINEAR = ["planner", "executor", "reviewer"]


def _pool(
    *, ready: dict[str, bool] | None = None, generation: int = 1, observed: int = 1, **spec: Any
) -> dict[str, Any]:
    roles = ready if ready is not None else dict.fromkeys(LINEAR, True)
    return {
        "metadata": {"name": "ops", "namespace": "shop", "uid": "p-1", "generation": generation},
        "spec": {"topology": "linear", **spec},
        "status": {
            "observedGeneration": observed,
            "roles": [
                {"name": r, "replicas": 1, "readyReplicas": int(ok), "ready": ok}
                for r, ok in roles.items()
            ],
        },
    }


def _incident() -> dict[str, Any]:
    return {
        "metadata": {"name": "web-errors", "namespace": "shop", "uid": "i-1", "generation": 1},
        "spec": {
            "summary": "web returns 5xx",
            "severity": "High",
            "window": {"start": "2026-01-01T00:00:00Z", "end": "2026-01-01T00:10:00Z"},
            "poolRef": {"name": "ops"},
            "evidence": {
                "samples": [
                    {
                        "id": "L1",
                        "file": "web.log",
                        "line": 1,
                        "source": "kubernetes",
                        "severity": "ERROR",
                        "message": "OOMKilled: container web in deployment web exceeded its "
                        "memory limit",
                    }
                ],
                "entities": [
                    {"id": "E1", "kind": "deployment", "value": "web"},
                    {"id": "E2", "kind": "namespace", "value": "shop"},
                ],
            },
        },
    }


# --- URLs --------------------------------------------------------------------------------------


def test_a_roles_url_names_the_service_the_pool_builds() -> None:
    children = build_children(
        PoolRef(name="ops", namespace="shop", uid="u"), {"topology": "linear"}
    )
    services = {c["metadata"]["name"]: c for c in children if c["kind"] == "Service"}
    for role in LINEAR:
        url = agent_url("ops", role, namespace="shop")
        service = services[f"ops-{role}"]
        assert url == f"http://ops-{role}.shop.svc:{AGENT_PORT}"
        assert service["spec"]["ports"][0]["port"] == AGENT_PORT


def test_a_long_pool_name_keeps_the_services_hashed_name() -> None:
    pool = "a-very-long-pool-name-that-goes-on-and-on-and-on-for-ever"
    children = build_children(PoolRef(name=pool, namespace="ns", uid="u"), {"topology": "linear"})
    (service,) = [
        c
        for c in children
        if c["kind"] == "Service" and c["metadata"]["labels"]["logswarm.io/role"] == "planner"
    ]
    url = agent_url(pool, "planner", namespace="ns")
    assert url == f"http://{service['metadata']['name']}.ns.svc:{AGENT_PORT}"


def test_the_url_template_can_point_elsewhere() -> None:
    proxy = "http://127.0.0.1:8001/api/v1/namespaces/{namespace}/services/{service}:{port}/proxy"
    assert (
        agent_url("ops", "planner", namespace="shop", template=proxy)
        == "http://127.0.0.1:8001/api/v1/namespaces/shop/services/ops-planner:8080/proxy"
    )
    assert agent_url("ops", "planner", namespace="shop", template="http://{role}.{pool}.test") == (
        "http://planner.ops.test"
    )


@pytest.mark.parametrize(
    "template", ["http://{nope}.svc", "{service}.{namespace}.svc", "http://{", "http://{0}"]
)
def test_a_bad_url_template_is_refused(template: str) -> None:
    with pytest.raises(ValueError, match="agent URL template"):
        validate_url_template(template)


# --- the route decision ------------------------------------------------------------------------


def test_a_ready_pool_is_reached_over_http_at_its_services() -> None:
    route = choose_route(AnalysisMode.AGENTS_OR_IN_PROCESS, pool=_pool(), topology="linear")
    assert route.via == "agents"
    assert route.base_urls == {r: f"http://ops-{r}.shop.svc:8080" for r in LINEAR}


def test_per_role_urls_win_over_the_template() -> None:
    route = choose_route(
        AnalysisMode.AGENTS,
        pool=_pool(),
        topology="linear",
        url_template="http://{service}.example:{port}",
        agent_urls={"planner": "http://127.0.0.1:9001"},
    )
    assert route.base_urls == {
        "planner": "http://127.0.0.1:9001",
        "executor": "http://ops-executor.example:8080",
        "reviewer": "http://ops-reviewer.example:8080",
    }


@pytest.mark.parametrize(
    ("pool", "roles", "why"),
    [
        (
            _pool(ready={"planner": True, "executor": False, "reviewer": False}),
            ("executor", "reviewer"),
            "not ready: executor, reviewer",
        ),
        (_pool(ready={}), tuple(LINEAR), "not ready: planner, executor, reviewer"),
        (_pool(generation=2, observed=1), tuple(LINEAR), "does not describe generation 2 yet"),
        (
            _pool(roles=["planner", "reviewer"]),
            ("executor",),
            "runs no agent pod for executor (spec.roles)",
        ),
    ],
)
def test_a_pool_not_ready_for_every_role_of_the_topology_is_not_used(
    pool: dict[str, Any], roles: tuple[str, ...], why: str
) -> None:
    fallback = choose_route(AnalysisMode.AGENTS_OR_IN_PROCESS, pool=pool, topology="linear")
    assert (fallback.via, fallback.fallback, fallback.roles) == ("in-process", True, roles)
    assert why in fallback.reason
    wait = choose_route(AnalysisMode.AGENTS, pool=pool, topology="linear")
    assert (wait.via, wait.fallback, wait.roles) == ("wait", False, roles)
    assert wait.reason == fallback.reason


def test_in_process_mode_never_calls_the_pods() -> None:
    route = choose_route(AnalysisMode.IN_PROCESS, pool=_pool(), topology="linear")
    assert route.via == "in-process"
    assert not route.fallback
    assert "LOGSWARM_ANALYSIS_MODE=in-process" in route.reason


def test_the_roles_that_must_be_ready_are_the_topologys() -> None:
    assert topology_roles("linear") == LINEAR
    route = choose_route(
        AnalysisMode.AGENTS, pool=_pool(ready=dict.fromkeys(LINEAR, True)), topology="rag"
    )
    assert route.via == "wait"
    assert set(route.roles) == {"retrieval", "root_cause_analysis", "remediation_recommender"}


def test_an_unknown_topology_is_left_to_the_analysis_to_report() -> None:
    route = choose_route(AnalysisMode.AGENTS, pool=_pool(), topology="nope")
    assert route.via == "in-process"
    analysis = analyse(_incident(), topology="nope", route=route)
    (analysed,) = analysis.status.conditions
    assert analysed.reason == "TopologyUnavailable"


# --- the analysis over HTTP, and its fallback ----------------------------------------------------


@pytest.fixture(scope="module")
def local() -> InProcessTransport:
    return InProcessTransport.single(build_agent(BackendConfig(), AgentEnvironment.default()))


@pytest.fixture
def agents(local: InProcessTransport) -> Iterator[AgentServer]:
    with AgentServer(local, roles=LINEAR, port=0) as server:
        yield server


def _requests(server: AgentServer, role: str) -> float:
    value = server.registry.get_sample_value(
        "logswarm_agent_requests_total", {"role": role, "status": "200"}
    )
    return value or 0.0


def test_the_analysis_runs_over_http_and_says_so(agents: AgentServer) -> None:
    route = Route(via="agents", base_urls=dict.fromkeys(LINEAR, agents.url))
    with agent_transport(route, timeout_seconds=30) as transport:
        remote = analyse(_incident(), topology="linear", route=route, agents=transport)
    local = analyse(_incident(), topology="linear")
    assert all(_requests(agents, role) >= 1 for role in LINEAR)
    assert remote.provenance is not None
    assert (remote.provenance.transport, remote.provenance.fallback) == ("http", False)
    analysed = next(c for c in remote.status.conditions if c.type == "Analysed")
    assert "by the pool's agent pods over HTTP (deterministic)" in analysed.message
    assert all("[http: deterministic]" in t.summary for t in remote.status.trajectory)
    assert {(t.transport, t.backend) for t in remote.status.trajectory} == {
        ("http", "deterministic")
    }
    # The same topology code either way: only the transport differs.
    assert remote.status.root_cause == local.status.root_cause
    assert remote.remediations == local.remediations
    assert [t.role for t in remote.status.trajectory] == [t.role for t in local.status.trajectory]
    assert all("[in-process: deterministic]" in t.summary for t in local.status.trajectory)
    assert {(t.transport, t.backend) for t in local.status.trajectory} == {
        ("in-process", "deterministic")
    }


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nothing listens once the socket is closed


def test_a_failed_call_falls_back_in_process_visibly() -> None:
    down = f"http://127.0.0.1:{_closed_port()}"
    route = Route(via="agents", base_urls=dict.fromkeys(LINEAR, down), fallback=True)
    with agent_transport(route, timeout_seconds=5) as transport:
        analysis = analyse(_incident(), topology="linear", route=route, agents=transport)
    assert analysis.provenance is not None
    assert (analysis.provenance.transport, analysis.provenance.fallback) == ("in-process", True)
    analysed = next(c for c in analysis.status.conditions if c.type == "Analysed")
    assert analysed.reason == "RootCauseFound"
    assert "falling back because a call to the agent pods failed: planner: TransportError" in (
        analysed.message
    )
    assert analysis.remediations  # the answer is still there


def test_without_fallback_a_failed_call_means_waiting() -> None:
    down = f"http://127.0.0.1:{_closed_port()}"
    route = Route(via="agents", base_urls=dict.fromkeys(LINEAR, down))
    with (
        agent_transport(route, timeout_seconds=5) as transport,
        pytest.raises(AgentsUnavailableError) as caught,
    ):
        analyse(_incident(), topology="linear", route=route, agents=transport)
    assert caught.value.reason == "AgentCallFailed"
    assert caught.value.roles == ("planner",)


def test_a_pool_that_is_not_ready_falls_back_and_says_which_roles() -> None:
    route = choose_route(
        AnalysisMode.AGENTS_OR_IN_PROCESS,
        pool=_pool(ready={"planner": True, "executor": True, "reviewer": False}),
        topology="linear",
    )
    with agent_transport(route, timeout_seconds=5) as transport:
        assert transport is None  # no client is even opened
        analysis = analyse(_incident(), topology="linear", route=route, agents=transport)
    analysed = next(c for c in analysis.status.conditions if c.type == "Analysed")
    assert analysed.message.endswith(
        "analysed in the operator, in-process (deterministic), falling back because agent "
        "pods of AgentPool ops not ready: reviewer"
    )


def test_waiting_for_the_agents_is_a_condition_and_news_only_once() -> None:
    route = choose_route(AnalysisMode.AGENTS, pool=_pool(ready={}), topology="linear")
    with pytest.raises(AgentsUnavailableError) as caught:
        analyse(_incident(), topology="linear", route=route)
    assert caught.value.reason == "AgentsNotReady"
    body = _incident()
    body["status"] = {
        "observedGeneration": 0,
        "conditions": [
            {
                "type": "RemediationProposed",
                "status": "True",
                "reason": "Proposed",
                "lastTransitionTime": "2026-01-01T00:00:00Z",
            }
        ],
    }
    patch, news = waiting_status(body, caught.value)
    assert news
    assert patch["phase"] == "Pending"
    assert "observedGeneration" not in patch  # not analysed: it runs again when the pods answer
    analysed = next(c for c in patch["conditions"] if c["type"] == "Analysed")
    assert (analysed["status"], analysed["reason"]) == ("False", "AgentsNotReady")
    assert "planner, executor, reviewer" in analysed["message"]
    assert {c["type"] for c in patch["conditions"]} == {"RemediationProposed", "Analysed"}
    body["status"]["conditions"] = patch["conditions"]
    assert waiting_status(body, caught.value)[1] is False


def test_the_http_client_is_closed_after_the_run() -> None:
    route = Route(via="agents", base_urls={"planner": "http://127.0.0.1:1"})
    with agent_transport(route, timeout_seconds=1) as transport:
        client = transport._client  # type: ignore[union-attr]
        assert isinstance(client, httpx.Client)
        assert client.timeout.connect == 1
    assert client.is_closed


# --- settings ----------------------------------------------------------------------------------


def test_analysis_settings_from_the_environment() -> None:
    default = OperatorConfig()
    assert default.analysis_mode is AnalysisMode.AGENTS_OR_IN_PROCESS
    assert default.agent_url_template == "http://{service}.{namespace}.svc:{port}"
    config = OperatorConfig.from_environ(
        {
            "LOGSWARM_ANALYSIS_MODE": "agents",
            "LOGSWARM_AGENT_URL_TEMPLATE": "http://{service}.{namespace}:{port}",
            "LOGSWARM_AGENT_URLS": "planner=http://127.0.0.1:9001, executor=http://127.0.0.1:9002",
            "LOGSWARM_AGENT_TIMEOUT_SECONDS": "20",
            "LOGSWARM_AGENT_RETRY_SECONDS": "2",
        }
    )
    assert config.analysis_mode is AnalysisMode.AGENTS
    assert config.agent_url_template == "http://{service}.{namespace}:{port}"
    assert config.agent_urls == {
        "planner": "http://127.0.0.1:9001",
        "executor": "http://127.0.0.1:9002",
    }
    assert (config.agent_timeout_seconds, config.agent_retry_seconds) == (20.0, 2.0)
    assert OperatorConfig.from_environ({"LOGSWARM_ANALYSIS_MODE": "in-process"}).analysis_mode is (
        AnalysisMode.IN_PROCESS
    )


@pytest.mark.parametrize(
    ("environ", "match"),
    [
        ({"LOGSWARM_ANALYSIS_MODE": "sometimes"}, "LOGSWARM_ANALYSIS_MODE='sometimes'"),
        ({"LOGSWARM_AGENT_URL_TEMPLATE": "http://{svc}"}, "agent URL template"),
        ({"LOGSWARM_AGENT_URLS": "oracle=http://x"}, "unknown role 'oracle'"),
        ({"LOGSWARM_AGENT_URLS": "planner"}, "not role=http"),
        ({"LOGSWARM_AGENT_TIMEOUT_SECONDS": "-1"}, "must be positive"),
    ],
)
def test_bad_analysis_settings_stop_the_operator_at_start_up(
    environ: dict[str, str], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        OperatorConfig.from_environ(environ)


def test_agent_urls_accept_commas_or_whitespace() -> None:
    assert parse_agent_urls("") == {}
    assert parse_agent_urls("planner=http://a:1\nreviewer=https://b") == {
        "planner": "http://a:1",
        "reviewer": "https://b",
    }
