"""The agent pod's HTTP server: one or more roles' contracts served as JSON.

The operator runs ``logswarm agent --role R`` in every agent pod of an AgentPool; the topology
runner reaches it through :class:`~logswarm.agents.topology.transport.HttpTransport`. The
request handling itself is :func:`~logswarm.agents.topology.transport.handle_role_request`, the
same function the client's tests fake, so client and server share one wire format. This module
only adds what a pod needs around it:

- ``POST /v1/roles/{role}``: the role's input contract in, its output contract out
  (404 for a role this pod does not serve, 400 for a body that is not JSON, 413 past
  ``max_body_bytes``);
- ``GET /healthz`` (the process is alive) and ``GET /readyz`` (the agent is built and
  serving), for the Deployment's probes;
- ``GET /metrics``: requests by role and status, and their latency, in Prometheus' format.

It is a standard-library threading server: a role call is CPU-bound reasoning or one blocking
LLM call, and the pod scales by replicas, not by an event loop.

Which reasoner answers is the pod's configuration, not the server's: :func:`role_backend` turns
the flags the operator puts on the pod (the AgentPool's per-role ``llm``) into a
:class:`~logswarm.agents.BackendConfig` — litellm for the served roles when a model is named,
the offline deterministic reasoner otherwise — and :meth:`AgentServer.for_backend` builds the
agent on it and reports the choice as ``logswarm_agent_backend_info``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from pydantic import SecretStr

from logswarm.agents.backends import BackendConfig, build_agent
from logswarm.agents.contracts import ROLE_CONTRACTS
from logswarm.agents.environment import AgentEnvironment
from logswarm.agents.llm import ChatClient, ModelConfig
from logswarm.agents.topology.transport import (
    InProcessTransport,
    RoleTransport,
    handle_role_request,
)

__all__ = ["AgentServer", "role_backend"]


def role_backend(
    roles: Iterable[str],
    *,
    model: str | None = None,
    api_base: str | None = None,
    api_key: str | None = None,
    temperature: float | None = None,
    max_tokens: int | None = None,
    timeout_s: float | None = None,
) -> BackendConfig:
    """The backend of a pod serving ``roles``: litellm with ``model`` for each, when one is
    named; else the deterministic reasoner. ``api_key`` comes from the pod's environment (a
    Secret reference), never from a flag."""
    if not model:
        return BackendConfig()
    settings: dict[str, Any] = {"model": model, "api_base": api_base}
    if api_key:
        settings["api_key"] = SecretStr(api_key)
    if temperature is not None:
        settings["temperature"] = temperature
    if max_tokens is not None:
        settings["max_tokens"] = max_tokens
    if timeout_s is not None:
        settings["timeout_s"] = timeout_s
    config = ModelConfig(**settings)
    return BackendConfig(kind="litellm", roles=dict.fromkeys(roles, config))


_ROLE_PREFIX = "/v1/roles/"


class AgentServer:
    """Serves ``roles`` (all built-in roles when None) through ``transport`` on ``host:port``.

    ``port=0`` picks a free port (see :attr:`port`). Use as a context manager or call
    :meth:`start` / :meth:`stop`.
    """

    def __init__(
        self,
        transport: RoleTransport,
        *,
        roles: Iterable[str] | None = None,
        host: str = "127.0.0.1",
        port: int = 8080,
        max_body_bytes: int = 4 * 1024 * 1024,
    ) -> None:
        served = set(roles) if roles is not None else set(ROLE_CONTRACTS)
        unknown = sorted(served - set(ROLE_CONTRACTS))
        if unknown:
            raise ValueError(f"unknown role(s) {unknown}; known: {sorted(ROLE_CONTRACTS)}")
        self.roles = frozenset(served)
        #: The backend the roles run on, when built by :meth:`for_backend`.
        self.backend: BackendConfig | None = None
        self.registry = CollectorRegistry()
        self._requests = Counter(
            "logswarm_agent_requests", "Role requests by role and HTTP status.",
            ["role", "status"], registry=self.registry,
        )  # fmt: skip
        self._latency = Histogram(
            "logswarm_agent_request_seconds", "Time to answer a role request.",
            ["role"], registry=self.registry,
        )  # fmt: skip
        self._backend_info = Gauge(
            "logswarm_agent_backend_info", "Which reasoner answers each served role (always 1).",
            ["role", "backend", "model"], registry=self.registry,
        )  # fmt: skip
        self._transport = transport
        self._max_body = max_body_bytes
        self._ready = threading.Event()
        self._httpd = ThreadingHTTPServer((host, port), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @classmethod
    def for_backend(
        cls,
        backend: BackendConfig,
        *,
        roles: Iterable[str],
        host: str = "127.0.0.1",
        port: int = 8080,
        client: ChatClient | None = None,
        env: AgentEnvironment | None = None,
    ) -> AgentServer:
        """A server whose roles are answered by ``backend`` in this process (``client``: the
        LLM seam, litellm when None)."""
        agent = build_agent(backend, env or AgentEnvironment.default(), client=client)
        served = list(roles)
        server = cls(InProcessTransport.single(agent), roles=served, host=host, port=port)
        server.backend = backend
        for role in served:
            model = backend.model_for(role)
            server._backend_info.labels(
                role=role,
                backend="litellm" if model is not None else "deterministic",
                model=model.model if model is not None else "",
            ).set(1)
        return server

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        host = self._httpd.server_address[0]
        return f"http://{host.decode() if isinstance(host, bytes) else host}:{self.port}"

    def start(self) -> AgentServer:
        self._thread = threading.Thread(
            target=self.serve_forever, name="logswarm-agent", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._ready.set()
        self._httpd.serve_forever(poll_interval=0.2)

    def stop(self) -> None:
        self._ready.clear()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> AgentServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- request handling ---------------------------------------------------------------------

    def _answer(self, method: str, path: str, body: bytes | None) -> tuple[int, str, bytes]:
        if method == "GET" and path == "/healthz":
            return _json(HTTPStatus.OK, {"status": "ok"})
        if method == "GET" and path == "/readyz":
            ready = self._ready.is_set()
            return _json(
                HTTPStatus.OK if ready else HTTPStatus.SERVICE_UNAVAILABLE, {"ready": ready}
            )
        if method == "GET" and path == "/metrics":
            return HTTPStatus.OK, CONTENT_TYPE_LATEST, generate_latest(self.registry)
        if method == "POST" and path.startswith(_ROLE_PREFIX):
            role = path[len(_ROLE_PREFIX) :]
            started = time.perf_counter()
            status, payload = self._role(role, body)
            if role in self.roles:
                self._latency.labels(role=role).observe(time.perf_counter() - started)
            self._requests.labels(
                role=role if role in ROLE_CONTRACTS else "unknown", status=str(status)
            ).inc()
            return _json(status, payload)
        return _json(HTTPStatus.NOT_FOUND, {"error": f"no route for {method} {path}"})

    def _role(self, role: str, body: bytes | None) -> tuple[int, dict[str, Any]]:
        if role not in self.roles:
            return HTTPStatus.NOT_FOUND, {
                "error": f"this pod does not serve role {role!r}",
                "serves": sorted(self.roles),
            }
        if body is None:
            return HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {
                "error": f"request body over {self._max_body} bytes"
            }
        try:
            doc = json.loads(body)
        except ValueError as e:
            return HTTPStatus.BAD_REQUEST, {"error": f"request body is not JSON: {e}"}
        if not isinstance(doc, dict):
            return HTTPStatus.BAD_REQUEST, {
                "error": 'request body must be an object {"input": ...}'
            }
        return handle_role_request(role=role, body=doc, transport=self._transport)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                self._reply(*server._answer("GET", self.path, None))

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length > server._max_body:
                    self.close_connection = True  # the unread body must not be parsed as a request
                    self._reply(*server._answer("POST", self.path, None))
                    return
                self._reply(*server._answer("POST", self.path, self.rfile.read(length)))

            def _reply(self, status: int, content_type: str, payload: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                return  # access logs would flood the pod's log; /metrics counts requests

        return Handler


def _json(status: int, payload: dict[str, Any]) -> tuple[int, str, bytes]:
    return status, "application/json", json.dumps(payload).encode("utf-8")
