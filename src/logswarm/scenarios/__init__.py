"""Seeded generators of realistic multi-source cloud logs with injected incidents and ground truth.

Why: LogSwarm has to be demonstrated and scored without a cluster or an AWS account. This package
simulates a small shop on EKS (pods, nodes, CoreDNS, a Postgres) in one AWS account and writes
the files production would hold — CRI container logs, Kubernetes events, RFC 5424 node syslog,
CloudTrail as delivered to S3, VPC Flow Logs — plus per-service metrics, with incidents from a
catalogue injected as causally ordered symptoms. The answers (ground truth, line labels) are
written beside the logs, never inside them.

Layers: :mod:`.topology` (the world) -> :mod:`.formats` (exact line formats) -> :mod:`.engine`
(streams, injection context, writer) -> :mod:`.background` / :mod:`.catalogue`,
:mod:`.kinds_kubernetes`, :mod:`.kinds_aws` (normal life and the suite's fault kinds, all
registered in :data:`CATALOGUE`) -> :mod:`.generator` (the API below).
"""

from __future__ import annotations

# The suite's further kinds register themselves in CATALOGUE on import.
from logswarm.scenarios import kinds_aws, kinds_kubernetes  # noqa: F401
from logswarm.scenarios.catalogue import CATALOGUE, REMEDIATIONS, Outcome, ScenarioSpec, scenario
from logswarm.scenarios.engine import Injection
from logswarm.scenarios.generator import (
    BASE_TIME,
    DEMO_SCENARIOS,
    GeneratedBundle,
    generate,
    generate_demo,
    generate_lines,
    load_bundle,
    load_ground_truth,
    load_line_labels,
)

__all__ = [
    "BASE_TIME",
    "CATALOGUE",
    "DEMO_SCENARIOS",
    "REMEDIATIONS",
    "GeneratedBundle",
    "Injection",
    "Outcome",
    "ScenarioSpec",
    "generate",
    "generate_demo",
    "generate_lines",
    "load_bundle",
    "load_ground_truth",
    "load_line_labels",
    "scenario",
]
