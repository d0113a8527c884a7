"""The intake's HTTP surface in-process: status codes, metrics, back-pressure, detection.

A real aiohttp server on loopback with a fake :class:`IncidentWriter` (the API-server seam);
the envtest tier runs the same server inside the operator against a real API server.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import REGISTRY

from logswarm.api.v1alpha1 import IncidentSource
from logswarm.operator.intake.alertmanager import Alert
from logswarm.operator.intake.config import IntakeConfig, StreamConfig
from logswarm.operator.intake.server import Intake, PoolKey, build_app
from logswarm.operator.intake.stream import Detection
from tests.operator.test_intake_alertmanager import payload
from tests.operator.test_intake_stream import minutes


class FakeWriter:
    def __init__(self) -> None:
        self.alerts: list[tuple[str, str, str]] = []
        self.detections: list[tuple[Detection, str, str, IncidentSource]] = []
        self.fail_alerts = False
        self.refuse: dict[str, str] = {}

    def alert(self, alert: Alert, *, namespace: str, pool: str, group_key: str) -> str:
        if self.fail_alerts:
            raise RuntimeError("API server unreachable")
        self.alerts.append((alert.key(), namespace, pool))
        return "created"

    def detection(
        self, detection: Detection, *, namespace: str, pool: str, source: IncidentSource
    ) -> str:
        self.detections.append((detection, namespace, pool, source))
        return "created" if detection.opened else "updated"

    def pool_refusal(self, namespace: str, pool: str) -> str | None:
        return self.refuse.get(pool)


CONFIG = IntakeConfig(namespace="ops", stream=StreamConfig(n_estimators=25))


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest_asyncio.fixture
async def served() -> AsyncIterator[tuple[TestClient[Any, Any], Intake, FakeWriter]]:
    writer = FakeWriter()
    intake = Intake(CONFIG, writer, idle_check_seconds=0.05)
    await intake.start()
    async with TestClient(TestServer(build_app(intake))) as client:
        yield client, intake, writer
    await intake.stop()


@pytest.mark.asyncio
async def test_alerts_are_recorded_with_the_pool_from_label_query_or_default(
    served: tuple[TestClient[Any, Any], Intake, FakeWriter],
) -> None:
    client, _, writer = served
    body = payload()
    body["alerts"].append(
        {**body["alerts"][0], "fingerprint": "00000000000000aa", "labels": {"logswarm_pool": "db"}}
    )
    response = await client.post("/alertmanager?pool=web", json=body)
    assert response.status == 200, await response.text()
    answer = await response.json()
    assert [a["outcome"] for a in answer["alerts"]] == ["created", "created"]
    assert writer.alerts == [("4a8f0c1d2e3b5a69", "ops", "web"), ("00000000000000aa", "ops", "db")]


@pytest.mark.asyncio
async def test_a_bad_payload_is_a_400_that_says_why_and_is_counted(
    served: tuple[TestClient[Any, Any], Intake, FakeWriter],
) -> None:
    client, _, writer = served
    before = metric(
        "logswarm_intake_rejected_requests_total", endpoint="alertmanager", reason="invalid_payload"
    )
    response = await client.post("/alertmanager?pool=web", data=json.dumps({"version": "4"}))
    assert response.status == 400
    assert "alerts" in (await response.json())["error"]
    after = metric(
        "logswarm_intake_rejected_requests_total", endpoint="alertmanager", reason="invalid_payload"
    )
    assert after == before + 1
    assert writer.alerts == []


@pytest.mark.asyncio
async def test_an_alert_without_a_pool_is_refused(
    served: tuple[TestClient[Any, Any], Intake, FakeWriter],
) -> None:
    client, _, _ = served
    response = await client.post("/alertmanager", json=payload())
    assert response.status == 400
    assert "?pool=NAME" in (await response.json())["error"]


@pytest.mark.asyncio
async def test_an_unreachable_api_server_answers_503_so_alertmanager_retries(
    served: tuple[TestClient[Any, Any], Intake, FakeWriter],
) -> None:
    client, _, writer = served
    writer.fail_alerts = True
    before = metric("logswarm_intake_alerts_total", status="firing", outcome="failed")
    response = await client.post("/alertmanager?pool=web", json=payload())
    assert response.status == 503
    assert metric("logswarm_intake_alerts_total", status="firing", outcome="failed") == before + 1


@pytest.mark.asyncio
async def test_pushed_logs_with_an_anomaly_yield_one_incident(
    served: tuple[TestClient[Any, Any], Intake, FakeWriter],
) -> None:
    client, intake, writer = served
    records = minutes(0, 20, anomalous={15}, service="checkout")
    body = [
        {
            "date": r.timestamp.timestamp(),
            "log": r.message,
            "kubernetes": {"labels": {"app": "checkout"}},
        }
        for r in records
        if r.timestamp is not None
    ]
    for start in range(0, len(body), 200):  # as Fluent Bit flushes: several chunks
        response = await client.post("/ingest/fluentbit?pool=core", json=body[start : start + 200])
        assert response.status == 202, await response.text()
    await intake.drained()
    opened = [d for d, *_ in writer.detections if d.opened]
    assert len(opened) == 1
    (detection, namespace, pool, source) = writer.detections[0]
    assert (namespace, pool, source) == ("ops", "core", IncidentSource.HTTP_PUSH)
    # Evidence points at the pool's pushed stream, numbered across chunks.
    assert all(s.file == "push/ops/core" for s in detection.incident.samples)
    assert max(s.line for s in detection.incident.samples) > 200


@pytest.mark.asyncio
async def test_malformed_records_are_kept_and_counted(
    served: tuple[TestClient[Any, Any], Intake, FakeWriter],
) -> None:
    client, intake, _ = served
    before = metric("logswarm_intake_dead_letters_total", source="httpPush")
    response = await client.post(
        "/ingest/vector?pool=core", data='{"message": "ok"}\n{"message": broken\n'
    )
    assert response.status == 202
    assert await response.json() == {"accepted": 1, "deadLetters": 1}
    assert metric("logswarm_intake_dead_letters_total", source="httpPush") == before + 1
    letters = (await (await client.get("/deadletters")).json())["deadLetters"]
    assert letters[-1]["reason"].startswith("invalid JSON")
    assert letters[-1]["line"] == 2
    await intake.drained()


@pytest.mark.asyncio
async def test_a_full_buffer_answers_429_and_counts_the_drop() -> None:
    writer = FakeWriter()
    intake = Intake(replace(CONFIG, max_buffered_records=5), writer)  # worker not started
    async with TestClient(TestServer(build_app(intake))) as client:
        before = metric(
            "logswarm_intake_records_dropped_total", source="httpPush", reason="buffer_full"
        )
        ok = await client.post("/ingest?pool=core", json=[{"log": f"line {i}"} for i in range(5)])
        full = await client.post("/ingest?pool=core", json=[{"log": "one more"}])
        assert (ok.status, full.status) == (202, 429)
        assert full.headers["Retry-After"] == "5"
        dropped = metric(
            "logswarm_intake_records_dropped_total", source="httpPush", reason="buffer_full"
        )
        assert dropped == before + 1
        assert intake.buffered == 5


@pytest.mark.asyncio
async def test_a_pool_that_does_not_take_pushed_logs_is_refused(
    served: tuple[TestClient[Any, Any], Intake, FakeWriter],
) -> None:
    client, _, writer = served
    writer.refuse["closed"] = "AgentPool ops/closed does not enable logSources.httpPush"
    response = await client.post("/ingest?pool=closed", json=[{"log": "x"}])
    assert response.status == 404
    assert "httpPush" in (await response.json())["error"]
    bad = await client.post("/ingest?pool=Not_A_Name", json=[{"log": "x"}])
    assert bad.status == 400
    none = await client.post("/ingest", data=b"[]")
    assert none.status == 400


@pytest.mark.asyncio
async def test_health_and_metrics(
    served: tuple[TestClient[Any, Any], Intake, FakeWriter],
) -> None:
    client, _, _ = served
    assert (await (await client.get("/healthz")).text()) == "ok"
    text = await (await client.get("/metrics")).text()
    assert "logswarm_intake_rejected_requests_total" in text


@pytest.mark.asyncio
async def test_a_busy_pool_does_not_keep_a_quiet_pools_last_window_open() -> None:
    now = [0.0]
    writer = FakeWriter()
    intake = Intake(CONFIG, writer, clock=lambda: now[0], idle_check_seconds=50)
    await intake.start()
    try:
        quiet = PoolKey("ops", "quiet", IncidentSource.HTTP_PUSH)
        busy = PoolKey("ops", "busy", IncidentSource.HTTP_PUSH)
        # The anomaly is in minute 15, the quiet pool's last (still open) window.
        assert intake.accept(quiet, minutes(0, 16, anomalous={15}), [])
        await intake.drained()
        assert writer.detections == []
        now[0] += CONFIG.stream.idle_close_seconds + 1
        assert intake.accept(busy, minutes(0, 1, service="other"), [])
        await intake.drained()
    finally:
        await intake.stop()
    ((detection, _, pool, _),) = writer.detections
    assert pool == "quiet"
    assert detection.opened


@pytest.mark.asyncio
async def test_a_taken_port_leaves_the_operator_running_without_the_intake(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import socket

    from logswarm.operator.intake import hooks

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        monkeypatch.setenv("LOGSWARM_INTAKE_BIND", "127.0.0.1")
        monkeypatch.setenv("LOGSWARM_INTAKE_PORT", str(port))
        monkeypatch.setattr(hooks, "load_api_client", lambda: object())
        await hooks.start()  # must not raise
    assert hooks.current() is None
    assert metric("logswarm_intake_up") == 0
    await hooks.stop()


@pytest.mark.asyncio
async def test_the_startup_hook_serves_and_the_cleanup_hook_stops(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import socket

    import httpx

    from logswarm.operator.intake import hooks

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("LOGSWARM_INTAKE_BIND", "127.0.0.1")
    monkeypatch.setenv("LOGSWARM_INTAKE_PORT", str(port))
    monkeypatch.setattr(hooks, "load_api_client", lambda: object())
    await hooks.start()
    try:
        assert hooks.current() is not None
        assert metric("logswarm_intake_up") == 1
        async with httpx.AsyncClient() as http:
            assert (await http.get(f"http://127.0.0.1:{port}/healthz")).text == "ok"
    finally:
        await hooks.stop()
    assert hooks.current() is None
