"""The agent pod's HTTP server, over real sockets: a topology run across it, and its edges."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from logswarm.agents import AgentEnvironment, BackendConfig, build_agent, run_topology
from logswarm.agents.server import AgentServer
from logswarm.agents.topology.transport import HttpTransport, InProcessTransport
from tests.agents.fakes import oom_incident


@pytest.fixture(scope="module")
def local() -> InProcessTransport:
    return InProcessTransport.single(build_agent(BackendConfig(), AgentEnvironment.default()))


@pytest.fixture
def server(local: InProcessTransport) -> Iterator[AgentServer]:
    with AgentServer(local, port=0, max_body_bytes=64 * 1024) as srv:
        yield srv


def test_a_topology_over_real_http_equals_the_in_process_run(
    server: AgentServer, local: InProcessTransport
) -> None:
    incident = oom_incident()
    with httpx.Client(timeout=30) as client:
        remote = HttpTransport(client=client, default_base_url=server.url)
        over_http = run_topology("smart", [incident], transport=remote)[0]
    in_process = run_topology("smart", [incident], transport=local)[0]
    assert over_http.root_cause is not None
    assert over_http.root_cause == in_process.root_cause
    assert over_http.plan == in_process.plan
    metrics = httpx.get(f"{server.url}/metrics").text
    assert 'logswarm_agent_requests_total{role="root_cause_analysis",status="200"}' in metrics


def test_probes_answer(server: AgentServer) -> None:
    assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok"}
    assert httpx.get(f"{server.url}/readyz").json() == {"ready": True}


def test_bad_requests_get_clear_errors(server: AgentServer) -> None:
    url = f"{server.url}/v1/roles/root_cause_analysis"
    not_json = httpx.post(url, content=b"{not json", headers={"Content-Type": "application/json"})
    assert not_json.status_code == 400
    assert "not JSON" in not_json.json()["error"]
    wrong_shape = httpx.post(url, json={"input": {"incident": {"id": 1}}})
    assert wrong_shape.status_code == 422
    assert "root_cause_analysis contract" in wrong_shape.json()["error"]
    too_big = httpx.post(url, content=b"x" * (65 * 1024))
    assert too_big.status_code == 413
    unknown = httpx.post(f"{server.url}/v1/roles/not_a_role", json={"input": {}})
    assert unknown.status_code == 404


def test_a_pod_serves_only_its_roles(local: InProcessTransport) -> None:
    with AgentServer(local, roles=["planner"], port=0) as srv:
        answer = httpx.post(f"{srv.url}/v1/roles/root_cause_analysis", json={"input": {}})
        assert answer.status_code == 404
        assert answer.json()["serves"] == ["planner"]
    with pytest.raises(ValueError, match="unknown role"):
        AgentServer(local, roles=["oracle"], port=0)


def test_the_cli_serves_and_stops_on_sigterm() -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "logswarm.cli.main",
            "agent",
            "--role",
            "planner",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()  # "logswarm agent: serving planner on http://127.0.0.1:PORT"
        url = line.rsplit(" on ", 1)[-1].strip()
        assert url.startswith("http://127.0.0.1:"), line
        deadline = time.monotonic() + 30
        while True:
            try:
                assert httpx.get(f"{url}/readyz").json() == {"ready": True}
                break
            except httpx.ConnectError:
                if time.monotonic() > deadline:
                    raise
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()


def test_metrics_are_prometheus_text(server: AgentServer) -> None:
    response = httpx.get(f"{server.url}/metrics")
    assert response.headers["content-type"].startswith("text/plain")
    assert "# TYPE logswarm_agent_request_seconds histogram" in response.text
    json.dumps(response.text)  # plain text, no binary
