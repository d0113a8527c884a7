"""Incidents from outside, end to end: the operator's intake against a real API server.

The operator runs as in a pod (``python -m logswarm.operator``, which starts the intake from
its kopf start-up hook) with the intake on a loopback port. The tests speak real HTTP to it,
as Alertmanager and Fluent Bit would, and read the result back from the API server with
kubectl: one Incident per alert fingerprint however often it is delivered, and one Incident
for an anomaly injected into pushed logs.
"""

from __future__ import annotations

import json
import random
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from tests.support.envtest import EnvTest

pytestmark = pytest.mark.envtest

CRDS = Path(__file__).resolve().parents[2] / "crds"
T = TypeVar("T")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _eventually(probe: Callable[[], T | None], *, what: str, log: Path, timeout: float = 60) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(
                f"timed out waiting for {what}\n--- operator log ---\n{log.read_text()[-4000:]}"
            )
        time.sleep(0.2)


class Operator:
    def __init__(self, envtest: EnvTest, namespace: str, url: str, log: Path) -> None:
        self.envtest = envtest
        self.namespace = namespace
        self.url = url
        self.log = log

    def incidents(self, source: str) -> list[dict[str, Any]]:
        result = self.envtest.kubectl(
            "get", "incidents", "-n", self.namespace, "-l", f"logswarm.io/source={source}",
            "-o", "json",
        )  # fmt: skip
        return list(json.loads(result.stdout)["items"])


@pytest.fixture(scope="module")
def operator(envtest: EnvTest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Operator]:
    envtest.kubectl("apply", "--server-side", "--force-conflicts", "-f", str(CRDS))
    envtest.kubectl("wait", "--for=condition=Established", "--timeout=60s", "-f", str(CRDS))
    namespace = f"t-{uuid.uuid4().hex[:12]}"
    envtest.request("POST", "/api/v1/namespaces", body={"metadata": {"name": namespace}})
    pool = {
        "apiVersion": "logswarm.io/v1alpha1",
        "kind": "AgentPool",
        "metadata": {"name": "core"},
        "spec": {"topology": "linear", "logSources": {"httpPush": {"enabled": True}}},
    }
    envtest.kubectl("apply", "-n", namespace, "-f", "-", input=json.dumps(pool))
    port = _free_port()
    log = tmp_path_factory.mktemp("intake") / "operator.log"
    env = {
        **envtest.environ(),
        "LOGSWARM_INTAKE_BIND": "127.0.0.1",
        "LOGSWARM_INTAKE_PORT": str(port),
        "LOGSWARM_INTAKE_NAMESPACE": namespace,
        "OMP_NUM_THREADS": "1",
    }
    with log.open("w") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "logswarm.operator", "--namespace", namespace, "--verbose"],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        assert process.poll() is None, f"operator exited:\n{log.read_text()[-4000:]}"
        try:
            return httpx.get(f"{url}/healthz", timeout=1).text == "ok"
        except httpx.TransportError:
            return False

    try:
        _eventually(healthy, what="the intake to listen", log=log)
        yield Operator(envtest, namespace, url, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _alertmanager_payload(status: str) -> dict[str, Any]:
    """What Alertmanager 0.27's webhook receiver posts (``version: 4``)."""
    alert = {
        "status": status,
        "labels": {
            "alertname": "KubeDeploymentReplicasMismatch",
            "namespace": "shop",
            "deployment": "checkout",
            "severity": "warning",
        },
        "annotations": {"summary": "Deployment shop/checkout has not matched replicas for 15m"},
        "startsAt": "2026-11-25T05:40:00Z",
        "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else "2026-11-25T05:55:00Z",
        "generatorURL": "http://prometheus.monitoring:9090/graph?g0.expr=kube_deployment",
        "fingerprint": "c0ffee00c0ffee01",
    }
    return {
        "version": "4",
        "groupKey": '{}/{severity="warning"}:{alertname="KubeDeploymentReplicasMismatch"}',
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "logswarm",
        "groupLabels": {"alertname": "KubeDeploymentReplicasMismatch"},
        "commonLabels": alert["labels"],
        "commonAnnotations": alert["annotations"],
        "externalURL": "http://alertmanager.monitoring:9093",
        "alerts": [alert],
    }


def test_two_deliveries_of_one_alert_make_exactly_one_incident(operator: Operator) -> None:
    url = f"{operator.url}/alertmanager?pool=core"
    outcomes = []
    for _ in range(2):  # Alertmanager repeats a firing group every repeat_interval
        response = httpx.post(url, json=_alertmanager_payload("firing"), timeout=30)
        assert response.status_code == 200, response.text
        outcomes.append(response.json()["alerts"][0]["outcome"])
    assert outcomes == ["created", "updated"]
    (incident,) = operator.incidents("alertmanager")
    assert incident["metadata"]["name"] == "alert-c0ffee00c0ffee01"
    assert incident["spec"]["fingerprint"] == "c0ffee00c0ffee01"
    assert incident["spec"]["source"] == "alertmanager"
    assert incident["spec"]["poolRef"] == {"name": "core"}
    assert incident["metadata"]["annotations"]["logswarm.io/alert-deliveries"] == "2"

    response = httpx.post(url, json=_alertmanager_payload("resolved"), timeout=30)
    assert response.json()["alerts"][0]["outcome"] == "resolved"
    (incident,) = operator.incidents("alertmanager")
    assert incident["metadata"]["annotations"]["logswarm.io/alert-status"] == "resolved"

    bad = httpx.post(url, json={"version": "4", "status": "firing"}, timeout=30)
    assert bad.status_code == 400
    assert "alerts" in bad.json()["error"]
    assert len(operator.incidents("alertmanager")) == 1


def _fluent_bit_records(
    start: datetime, minutes: int, anomalous_minute: int
) -> list[dict[str, Any]]:
    """Fluent Bit's ``http`` output (``format json``) after its kubernetes filter."""
    rng = random.Random(7)
    records = []
    for minute in range(minutes):
        n = 40 + rng.randint(-4, 4)
        for i in range(n):
            ts = start + timedelta(minutes=minute, seconds=i * 60 / n)
            if minute == anomalous_minute and i % 2 == 0:
                log = f"ERROR dial tcp 10.0.3.{rng.randint(2, 9)}:5432: connect: connection refused"
            else:
                log = f"GET /api/cart/{rng.randint(1, 999)} 200 {rng.randint(1, 40)}ms"
            records.append(
                {
                    "date": ts.timestamp(),
                    "log": log + "\n",
                    "stream": "stdout",
                    "kubernetes": {
                        "pod_name": "checkout-5d8f-q7x2k",
                        "namespace_name": "shop",
                        "container_name": "checkout",
                        "labels": {"app": "checkout"},
                    },
                }
            )
    return records


def test_pushed_logs_with_an_anomaly_create_an_incident(operator: Operator) -> None:
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=30)
    records = _fluent_bit_records(start, minutes=20, anomalous_minute=15)
    for chunk in range(0, len(records), 250):  # Fluent Bit flushes in chunks
        response = httpx.post(
            f"{operator.url}/ingest/fluentbit?pool=core",
            json=records[chunk : chunk + 250],
            timeout=30,
        )
        assert response.status_code == 202, response.text

    (incident,) = _eventually(
        lambda: operator.incidents("httpPush"),
        what="an Incident from pushed logs",
        log=operator.log,
    )
    spec = incident["spec"]
    assert spec["source"] == "httpPush"
    assert spec["poolRef"] == {"name": "core"}
    assert incident["metadata"]["name"] == f"logs-{spec['fingerprint']}"
    assert spec["window"]["start"].startswith(
        (start + timedelta(minutes=15)).strftime("%Y-%m-%dT%H:%M")
    )
    samples = spec["evidence"]["samples"]
    assert any("connection refused" in s["message"] for s in samples)
    assert all(
        s["file"] == f"push/{operator.namespace}/core" and s["id"].startswith("L") for s in samples
    )
    assert {"kind": "pod", "value": "checkout-5d8f-q7x2k"}.items() <= next(
        e for e in spec["evidence"]["entities"] if e["kind"] == "pod"
    ).items()
    # A pool that does not take pushed logs is refused, and nothing more is created.
    refused = httpx.post(f"{operator.url}/ingest?pool=nosuchpool", json=records[:5], timeout=30)
    assert refused.status_code == 404
    assert len(operator.incidents("httpPush")) == 1
