"""A real Prometheus for tests, scraping a test exporter, both on loopback.

Why the real server: the Reviewer's PromQL checks depend on Prometheus's own semantics
(range queries, staleness, the JSON shape of ``/api/v1/query_range``), which a fake would
only imitate. ``scripts/install/prometheus.sh`` installs Debian's ``prometheus`` package; this
plugin runs that binary itself — never the system service — with a temporary config and data
directory, scraping a prometheus-client exporter started in-process on a free port every
second.

Fixture ``prometheus`` (session) yields a :class:`RunningPrometheus`: its ``url``, the
exporter's ``gauge`` (label ``case``: give every test its own value), and
``wait_for(query, value)``, which polls the HTTP API with a deadline until a scrape has
brought ``value`` in. Tests using it are marked ``prometheus``.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

__all__ = ["RunningPrometheus", "prometheus", "running_prometheus"]

STARTUP_TIMEOUT_SECONDS = 90.0
SCRAPE_TIMEOUT_SECONDS = 60.0
GAUGE_NAME = "logswarm_test_error_ratio"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


@dataclass
class RunningPrometheus:
    url: str
    #: ``gauge.labels(case="...").set(value)``: what the next scrape will see.
    gauge: Any

    def instant(self, query: str) -> list[float]:
        body = _get_json(f"{self.url}/api/v1/query?" + urllib.parse.urlencode({"query": query}))
        return [float(item["value"][1]) for item in body["data"]["result"]]

    def wait_for(
        self, query: str, value: float, *, timeout: float = SCRAPE_TIMEOUT_SECONDS
    ) -> None:
        """Poll until the query's newest value is ``value`` (a scrape has happened since)."""
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(urllib.error.URLError, OSError, KeyError, ValueError):
                if value in self.instant(query):
                    return
            if time.monotonic() > deadline:
                raise TimeoutError(f"Prometheus never returned {value} for {query}")
            time.sleep(0.2)  # polling an external server's state, with a deadline


def _config(exporter_port: int) -> str:
    return (
        "global:\n"
        "  scrape_interval: 1s\n"
        "  evaluation_interval: 1s\n"
        "scrape_configs:\n"
        "  - job_name: exporter\n"
        "    static_configs:\n"
        f"      - targets: ['127.0.0.1:{exporter_port}']\n"
    )


@contextlib.contextmanager
def running_prometheus() -> Iterator[RunningPrometheus]:
    from prometheus_client import CollectorRegistry, Gauge, start_http_server

    binary = shutil.which("prometheus")
    if binary is None:
        raise RuntimeError("no prometheus binary: run scripts/install/prometheus.sh")
    registry = CollectorRegistry()
    gauge = Gauge(GAUGE_NAME, "Test error ratio for the Reviewer", ["case"], registry=registry)
    exporter_port = _free_port()
    server, thread = start_http_server(exporter_port, addr="127.0.0.1", registry=registry)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    workdir = Path(tempfile.mkdtemp(prefix="logswarm-prometheus-"))
    config = workdir / "prometheus.yml"
    config.write_text(_config(exporter_port))
    log_path = workdir / "prometheus.log"
    process: subprocess.Popen[bytes] | None = None
    try:
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [
                    binary,
                    f"--config.file={config}",
                    f"--storage.tsdb.path={workdir / 'data'}",
                    f"--web.listen-address=127.0.0.1:{port}",
                    "--log.level=warn",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=workdir,
            )
        running = RunningPrometheus(url=url, gauge=gauge)
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    "prometheus exited early:\n" + log_path.read_text(errors="replace")[-2000:]
                )
            with (
                contextlib.suppress(urllib.error.URLError, OSError),
                urllib.request.urlopen(f"{url}/-/ready", timeout=2) as response,
            ):
                if response.status == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("prometheus did not become ready within the deadline")
            time.sleep(0.2)  # polling a child's readiness, with a deadline
        running.wait_for('up{job="exporter"}', 1.0)  # the first scrape has happened
        yield running
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "prometheus" in getattr(item, "fixturenames", ()) and not item.get_closest_marker(
            "prometheus"
        ):
            item.add_marker(pytest.mark.prometheus)


@pytest.fixture(scope="session")
def prometheus() -> Iterator[RunningPrometheus]:
    with running_prometheus() as running:
        yield running
