"""How the operator configures kopf, and the few knobs of its own.

kopf's defaults keep handler progress in ``kopf.zalando.org/*`` annotations, results in
``status.<handler-id>`` and its finalizer as ``kopf.zalando.org/KopfFinalizerMarker``. LogSwarm
owns its API group, so all three live under ``logswarm.io`` instead, and status is written
explicitly by the handlers (conditions, never handler results).

:class:`OperatorConfig` is read from ``LOGSWARM_*`` environment variables once, at start-up; a
malformed value stops the operator there with a message naming the variable, rather than
surfacing later as a half-working reconcile.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

import kopf

from logswarm.agents.contracts import Role
from logswarm.api.v1alpha1 import GROUP
from logswarm.operator.agentpool import (
    DEFAULT_AGENT_URL_TEMPLATE,
    DEFAULT_IMAGE,
    validate_url_template,
)
from logswarm.operator.incident import AnalysisMode
from logswarm.operator.intake.config import IntakeConfig

__all__ = [
    "FINALIZER",
    "KOPF_ANNOTATION_PREFIX",
    "OperatorConfig",
    "apply_kopf_settings",
    "parse_agent_urls",
]

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
    #: Where an Incident's topology runs (``LOGSWARM_ANALYSIS_MODE``): ``agents`` (the pool's
    #: agent pods over HTTP, waiting while any role the topology calls is not ready, and
    #: retrying a failed call), ``in-process`` (the deterministic reasoner inside the operator,
    #: never the pods) or ``agents-or-in-process``: the pods when every role is ready, else —
    #: or when a call to them fails — the in-process reasoner, said in the ``Analysed``
    #: condition, in every trajectory entry and in a Warning Event ``AnalysedInProcess``.
    #: That is the default because the in-process reasoner is the evidence-based control group
    #: every model must beat, not a guess: an Incident gets a root cause and a gated
    #: Remediation in seconds even while the pods are starting, scaled to zero or broken (a
    #: missing LLM Secret keeps them from starting) — when people need an answer most — and
    #: its Remediations pass the same safety policy and approval. A team that wants only its
    #: configured models to answer sets ``agents``.
    analysis_mode: AnalysisMode = AnalysisMode.AGENTS_OR_IN_PROCESS
    #: How the operator reaches a role's agent Service (``LOGSWARM_AGENT_URL_TEMPLATE``;
    #: placeholders ``{service}``, ``{namespace}``, ``{port}``, ``{pool}``, ``{role}``). The
    #: default is the Service's cluster DNS name; out of the cluster, ``kubectl proxy``'s
    #: service proxy path works for every role at once.
    agent_url_template: str = DEFAULT_AGENT_URL_TEMPLATE
    #: Per-role URLs that win over the template (``LOGSWARM_AGENT_URLS``,
    #: ``role=url,role=url``): one ``kubectl port-forward`` per role, or local agent servers in
    #: tests. Empty in a cluster.
    agent_urls: dict[str, str] = field(default_factory=dict)
    #: How long one role call over HTTP may take (``LOGSWARM_AGENT_TIMEOUT_SECONDS``). An LLM
    #: role's request may take 120 s by default, plus a repair or a retry when its answer is
    #: invalid or lost: five minutes leaves room for that without letting a hung pod hold an
    #: operator worker much longer. An unreachable pod fails within the 5 s connect timeout.
    agent_timeout_seconds: float = 300.0
    #: How long an Incident waits before asking the agent pods again when they were not ready
    #: or a call failed (mode ``agents``; ``LOGSWARM_AGENT_RETRY_SECONDS``): pods start in tens
    #: of seconds, and each retry reads the pool's readiness afresh.
    agent_retry_seconds: float = 30.0
    #: The intake (Alertmanager webhook, log push, pod-log streaming): ``LOGSWARM_INTAKE_*``.
    intake: IntakeConfig = field(default_factory=IntakeConfig)

    def __post_init__(self) -> None:
        validate_url_template(self.agent_url_template)
        if not self.agent_timeout_seconds > 0 or not self.agent_retry_seconds > 0:
            raise ValueError("agent_timeout_seconds and agent_retry_seconds must be positive")

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
            analysis_mode=_analysis_mode(env.get("LOGSWARM_ANALYSIS_MODE")),
            agent_url_template=env.get("LOGSWARM_AGENT_URL_TEMPLATE") or default.agent_url_template,
            agent_urls=parse_agent_urls(env.get("LOGSWARM_AGENT_URLS") or ""),
            agent_timeout_seconds=float(
                env.get("LOGSWARM_AGENT_TIMEOUT_SECONDS") or default.agent_timeout_seconds
            ),
            agent_retry_seconds=float(
                env.get("LOGSWARM_AGENT_RETRY_SECONDS") or default.agent_retry_seconds
            ),
            intake=IntakeConfig.from_environ(env),
        )


def _analysis_mode(value: str | None) -> AnalysisMode:
    if not value or not value.strip():
        return OperatorConfig.analysis_mode
    try:
        return AnalysisMode(value.strip())
    except ValueError as exc:
        choices = ", ".join(m.value for m in AnalysisMode)
        raise ValueError(f"LOGSWARM_ANALYSIS_MODE={value!r}: expected one of {choices}") from exc


def parse_agent_urls(text: str) -> dict[str, str]:
    """``role=url`` pairs separated by commas or whitespace, e.g. from ``LOGSWARM_AGENT_URLS``."""
    urls: dict[str, str] = {}
    for item in text.replace(",", " ").split():
        role, sep, url = item.partition("=")
        if not sep or not url.startswith(("http://", "https://")):
            raise ValueError(f"LOGSWARM_AGENT_URLS: {item!r} is not role=http(s)://host:port")
        try:
            urls[Role(role).value] = url
        except ValueError as exc:
            raise ValueError(f"LOGSWARM_AGENT_URLS: unknown role {role!r}") from exc
    return urls


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
