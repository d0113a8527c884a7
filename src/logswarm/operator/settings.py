"""How the operator configures kopf, and the few knobs of its own.

kopf's defaults keep handler progress in ``kopf.zalando.org/*`` annotations, results in
``status.<handler-id>`` and its finalizer as ``kopf.zalando.org/KopfFinalizerMarker``. LogSwarm
owns its API group, so all three live under ``logswarm.io`` instead, and status is written
explicitly by the handlers (conditions, never handler results).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

import kopf

from logswarm.api.v1alpha1 import GROUP
from logswarm.operator.agentpool import DEFAULT_IMAGE
from logswarm.operator.intake.config import IntakeConfig

__all__ = ["FINALIZER", "KOPF_ANNOTATION_PREFIX", "OperatorConfig", "apply_kopf_settings"]

FINALIZER = f"{GROUP}/finalizer"
#: kopf's own annotations (handler progress, last-handled configuration). A sub-domain of our
#: group rather than ``logswarm.io`` itself: kopf marks its prefix (``<prefix>/kopf-managed``)
#: and then leaves *every* annotation under that prefix out of its change detection — which
#: would hide a person's ``logswarm.io/approved-by`` from the approval handler.
KOPF_ANNOTATION_PREFIX = f"operator.{GROUP}"


@dataclass(frozen=True)
class OperatorConfig:
    """The operator's own settings, read once at start-up (never at import)."""

    #: Image of the agent pods. The chart sets it to the operator's own image: one image runs
    #: the operator and every role, so the two cannot drift apart.
    agent_image: str = DEFAULT_IMAGE
    #: How long a Remediation's verification checks may keep failing after the last step was
    #: applied before the plan is rolled back. Rollouts take a while to become ready; two
    #: minutes covers a typical Deployment without leaving a bad change in place for long.
    verify_grace_seconds: float = 120.0
    #: How often a Remediation under verification is looked at again.
    verify_interval_seconds: float = 5.0
    #: Port of the operator's Prometheus ``/metrics`` (0: not served). The chart sets it.
    metrics_port: int = 0
    #: A Remediation still awaiting approval this long after it asked is expired: it will not
    #: run, and a late approval is refused (the evidence it was based on is stale by then).
    approval_timeout_seconds: float = 24 * 3600.0
    #: AWS region and endpoint of the executor's AWS backend (endpoint: e.g. a moto server in
    #: tests, a VPC endpoint in a cluster). Without a region AWS actions cannot run.
    aws_region: str | None = None
    aws_endpoint_url: str | None = None
    #: The intake (Alertmanager webhook, log push, pod-log streaming): ``LOGSWARM_INTAKE_*``.
    intake: IntakeConfig = field(default_factory=IntakeConfig)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> OperatorConfig:
        env = os.environ if environ is None else environ
        default = cls()
        return cls(
            agent_image=env.get("LOGSWARM_AGENT_IMAGE", default.agent_image),
            verify_grace_seconds=float(
                env.get("LOGSWARM_VERIFY_GRACE_SECONDS", default.verify_grace_seconds)
            ),
            verify_interval_seconds=float(
                env.get("LOGSWARM_VERIFY_INTERVAL_SECONDS", default.verify_interval_seconds)
            ),
            metrics_port=int(env.get("LOGSWARM_METRICS_PORT") or default.metrics_port),
            approval_timeout_seconds=float(
                env.get("LOGSWARM_APPROVAL_TIMEOUT_SECONDS", default.approval_timeout_seconds)
            ),
            aws_region=env.get("LOGSWARM_REGION") or env.get("AWS_REGION") or None,
            aws_endpoint_url=env.get("LOGSWARM_AWS_ENDPOINT_URL") or None,
            intake=IntakeConfig.from_environ(env),
        )


def apply_kopf_settings(settings: kopf.OperatorSettings) -> None:
    """Put kopf's bookkeeping under our API group and post Kubernetes Events."""
    settings.persistence.finalizer = FINALIZER
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(
        prefix=KOPF_ANNOTATION_PREFIX
    )
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix=KOPF_ANNOTATION_PREFIX, key="last-handled-configuration"
    )
    # Events are for people watching `kubectl describe`: info and above, not kopf's debug.
    settings.posting.enabled = True
    settings.posting.level = logging.INFO
    settings.posting.reporting_component = "logswarm-operator"
    # The handlers are sync (the kubernetes client is); a few threads cover several pools.
    settings.execution.max_workers = 4
