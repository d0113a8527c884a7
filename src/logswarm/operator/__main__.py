"""``python -m logswarm.operator``: run the operator with LogSwarm's kopf settings.

Standalone by default (no kopf peering objects to install); ``--peering`` turns peering on for
several replicas with leader-like priority. ``--namespace`` (repeatable) limits the watch;
without it the operator is cluster-wide.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import kopf


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m logswarm.operator", description=__doc__)
    parser.add_argument("-n", "--namespace", action="append", default=[], help="watch only this")
    parser.add_argument("--peering", default=None, help="kopf peering name (default: standalone)")
    parser.add_argument("--priority", type=int, default=0)
    parser.add_argument("--liveness", default=None, help="e.g. http://0.0.0.0:8081/healthz")
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("--debug", action="store_true")
    args = parser.parse_args(argv)

    kopf.configure(verbose=args.verbose, debug=args.debug)
    # Registers the handlers (and their on.startup, which applies our settings).
    import logswarm.operator.handlers  # noqa: F401

    # The intake: Alertmanager webhook, log push endpoint, pod-log daemons (kopf hooks).
    from logswarm.operator.intake import hooks as _intake_hooks  # noqa: F401

    kopf.run(
        standalone=args.peering is None,
        peering_name=args.peering,
        priority=args.priority,
        liveness_endpoint=args.liveness,
        clusterwide=not args.namespace,
        namespaces=args.namespace,
    )


if __name__ == "__main__":
    main()
