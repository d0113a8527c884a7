"""OpenAI-compatible servers for the LLM tier of the tests.

Two servers, both reached by litellm over real HTTP on loopback exactly like a production
provider (``openai/<alias>`` with ``api_base``):

- :class:`ScriptedOpenAIServer` — a small ``http.server`` speaking the chat-completions wire
  format, answering from a Python function. It always runs (no weights, no build), so the
  litellm path — request shape, ``response_format``, usage, errors, timeouts — is exercised
  against a real socket in every CI run.
- ``llama_server`` fixture — llama-cpp-python's server with a real GGUF model, when
  ``scripts/install/llm.sh`` has built it (``~/.cache/logswarm/llm``); tests marked ``llm``
  skip with the reason otherwise.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

Responder = Callable[[dict[str, Any]], str]

LLM_HOME = Path(os.environ.get("LOGSWARM_LLM_HOME", Path.home() / ".cache" / "logswarm" / "llm"))


class ScriptedOpenAIServer:
    """``POST /v1/chat/completions`` answered by ``responder(request_json) -> content``.

    A responder may raise :class:`ServerFaultError` to answer with an HTTP error. Every request
    body is kept in ``requests``.
    """

    def __init__(self, responder: Responder, *, model: str = "scripted") -> None:
        self.responder = responder
        self.model = model
        self.requests: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                if self.path.rstrip("/") == "/v1/models":
                    self._send(
                        200, {"object": "list", "data": [{"id": server.model, "object": "model"}]}
                    )
                else:
                    self._send(404, {"error": {"message": "not found"}})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                if self.path.rstrip("/") != "/v1/chat/completions":
                    self._send(404, {"error": {"message": "not found"}})
                    return
                server.requests.append(body)
                try:
                    content = server.responder(body)
                except ServerFaultError as fault:
                    self._send(
                        fault.status, {"error": {"message": str(fault), "type": "server_error"}}
                    )
                    return
                prompt_tokens = sum(
                    len(str(m.get("content", "")).split()) for m in body.get("messages", [])
                )
                completion_tokens = len(content.split())
                self._send(
                    200,
                    {
                        "id": f"chatcmpl-{len(server.requests)}",
                        "object": "chat.completion",
                        "created": 1_700_000_000,
                        "model": server.model,
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": content},
                                "finish_reason": "stop",
                            }
                        ],
                        "usage": {
                            "prompt_tokens": prompt_tokens,
                            "completion_tokens": completion_tokens,
                            "total_tokens": prompt_tokens + completion_tokens,
                        },
                    },
                )

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def api_base(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def __enter__(self) -> ScriptedOpenAIServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=10)


class ServerFaultError(Exception):
    def __init__(self, message: str, *, status: int = 500) -> None:
        super().__init__(message)
        self.status = status


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def llama_server() -> Iterator[str]:
    """api_base of llama-cpp-python's server on a real GGUF model (built by llm.sh)."""
    python = LLM_HOME / "venv" / "bin" / "python"
    model = LLM_HOME / "model.gguf"
    if not python.exists() or not model.exists():
        pytest.skip(f"no local LLM: run scripts/install/llm.sh (looked in {LLM_HOME})")
    port = _free_port()
    log = (LLM_HOME / "server.log").open("w")
    proc = subprocess.Popen(
        [
            str(python), "-m", "llama_cpp.server",
            "--model", str(model), "--model_alias", "local",
            "--host", "127.0.0.1", "--port", str(port),
            "--n_threads", "1", "--n_ctx", "4096", "--seed", "0",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None:
                pytest.fail(
                    f"llama server exited with {proc.returncode}; see {LLM_HOME / 'server.log'}"
                )
            try:
                if httpx.get(f"{base}/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("llama server did not come up within 180 s")
            time.sleep(0.5)  # polling a subprocess's readiness, not a timing assertion
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def have_llama() -> bool:
    return (LLM_HOME / "venv" / "bin" / "python").exists() and (LLM_HOME / "model.gguf").exists()


__all__ = [
    "LLM_HOME",
    "ScriptedOpenAIServer",
    "ServerFaultError",
    "have_llama",
    "llama_server",
]
