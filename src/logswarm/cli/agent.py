"""``logswarm agent --role R``: run one agent pod's HTTP server (what AgentPool pods execute).

Serves the role's contract on ``POST /v1/roles/R`` with ``/healthz``, ``/readyz`` and
``/metrics``. The backend is the offline deterministic reasoner unless ``--llm-model`` names a
litellm model (the operator passes the AgentPool role's ``llm`` as these flags, and its API key
as ``LOGSWARM_LLM_API_KEY`` from a Secret); see :mod:`logswarm.agents.server`.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from logswarm.agents import BackendConfig

__all__ = ["API_KEY_ENV", "add_parser", "backend_from_args", "run"]

#: The only way an API key reaches the agent: the environment, filled from a Secret reference.
API_KEY_ENV = "LOGSWARM_LLM_API_KEY"


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "agent",
        help="serve one or more agent roles over HTTP (the process of an agent pod)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--role", action="append", required=True, help="role to serve (repeatable)")
    p.add_argument("--host", default="0.0.0.0", help="address to listen on (default 0.0.0.0)")  # noqa: S104
    p.add_argument("--port", type=int, default=8080)
    llm = p.add_argument_group(
        "LLM", f"a litellm model for the served roles (API key from ${API_KEY_ENV})"
    )
    llm.add_argument("--llm-model", default=None, help="litellm model, e.g. openai/gpt-4o-mini")
    llm.add_argument("--llm-api-base", default=None, help="OpenAI-compatible base URL")
    llm.add_argument("--llm-temperature", type=float, default=None)
    llm.add_argument("--llm-max-tokens", type=int, default=None)
    llm.add_argument("--llm-timeout-seconds", type=float, default=None)


def backend_from_args(
    args: argparse.Namespace, environ: Mapping[str, str] | None = None
) -> BackendConfig:
    """The backend the flags ask for (the deterministic reasoner without ``--llm-model``)."""
    from logswarm.agents.server import role_backend

    env = os.environ if environ is None else environ
    return role_backend(
        args.role,
        model=args.llm_model,
        api_base=args.llm_api_base,
        api_key=env.get(API_KEY_ENV) or None,
        temperature=args.llm_temperature,
        max_tokens=args.llm_max_tokens,
        timeout_s=args.llm_timeout_seconds,
    )


def run(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from logswarm.agents.server import AgentServer

    try:
        backend = backend_from_args(args)
        server = AgentServer.for_backend(backend, roles=args.role, host=args.host, port=args.port)
    except (ValueError, ValidationError) as e:
        print(f"logswarm agent: {e}", file=sys.stderr)
        return 2
    # The server runs in its own thread; this one waits for SIGTERM (the kubelet's stop) or
    # Ctrl-C. Shutting down from the serving thread itself would deadlock. The wait is timed so
    # the handler runs between waits.
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    server.start()
    model = backend.model_for(args.role[0])
    reasoner = f"litellm model {model.model}" if model else "the deterministic reasoner"
    # The URL ends the line: scripts (and tests) read it from there.
    print(
        f"logswarm agent: serving {', '.join(sorted(server.roles))} with {reasoner} "
        f"on {server.url}",
        file=sys.stderr,
    )
    try:
        while not stopping.wait(timeout=0.5):
            pass
    except KeyboardInterrupt:
        pass
    server.stop()
    return 0
