"""LogSwarm's Kubernetes API: the custom resources' models (one module per version).

Kept apart from the operator so that anything — handlers, the CLI, tests, ``crdgen`` — can
parse and build custom resources without importing kopf or kubernetes.
"""

from __future__ import annotations

from logswarm.api.v1alpha1 import (
    API_VERSION,
    APPROVED_BY_ANNOTATION,
    GROUP,
    VERSION,
    AgentPool,
    Incident,
    Remediation,
)

__all__ = [
    "API_VERSION",
    "APPROVED_BY_ANNOTATION",
    "GROUP",
    "VERSION",
    "AgentPool",
    "Incident",
    "Remediation",
]
