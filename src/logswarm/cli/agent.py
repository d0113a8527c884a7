"""``logswarm agent --role R``: run one agent pod's HTTP server (what AgentPool pods execute).

Serves the role's contract on ``POST /v1/roles/R`` with ``/healthz``, ``/readyz`` and
``/metrics``. The backend is the offline deterministic reasoner unless the pool configures a
model; see :mod:`logswarm.agents.server`.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Any

__all__ = ["add_parser", "run"]


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


def run(args: argparse.Namespace) -> int:
    from logswarm.agents import AgentEnvironment, BackendConfig, build_agent
    from logswarm.agents.server import AgentServer
    from logswarm.agents.topology.transport import InProcessTransport

    agent = build_agent(BackendConfig(), AgentEnvironment.default())
    try:
        server = AgentServer(
            InProcessTransport.single(agent), roles=args.role, host=args.host, port=args.port
        )
    except ValueError as e:
        print(f"logswarm agent: {e}", file=sys.stderr)
        return 2
    # The server runs in its own thread; this one waits for SIGTERM (the kubelet's stop) or
    # Ctrl-C. Shutting down from the serving thread itself would deadlock. The wait is timed so
    # the handler runs between waits.
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    server.start()
    print(
        f"logswarm agent: serving {', '.join(sorted(server.roles))} on {server.url}",
        file=sys.stderr,
    )
    try:
        while not stopping.wait(timeout=0.5):
            pass
    except KeyboardInterrupt:
        pass
    server.stop()
    return 0
