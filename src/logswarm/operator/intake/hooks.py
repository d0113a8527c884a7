"""The intake inside the operator process: kopf start-up/clean-up hooks and pod-log daemons.

Imported by ``python -m logswarm.operator`` beside the handlers (kopf registers handlers on
import). At start-up the intake's hub and HTTP server start on the operator's event loop (off
with ``LOGSWARM_INTAKE_ENABLED=false``); at clean-up they stop. For every AgentPool whose spec
lists ``logSources.podLogs``, a kopf daemon polls those pods' logs into the same hub; kopf
stops the daemon when the pool is deleted, and the daemon re-reads the spec on every poll, so
a changed selector takes effect without a restart.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any

import kopf
from aiohttp import web
from kubernetes.client import ApiClient
from pydantic import ValidationError

from logswarm.api.v1alpha1 import GROUP, VERSION, AgentPoolSpec, IncidentSource
from logswarm.operator.intake import metrics
from logswarm.operator.intake.alertmanager import Alert
from logswarm.operator.intake.config import IntakeConfig
from logswarm.operator.intake.podlogs import KubePodLogReader, PodLogPoller
from logswarm.operator.intake.server import Intake, PoolKey, serve
from logswarm.operator.intake.sink import write_alert, write_detection
from logswarm.operator.intake.stream import Detection
from logswarm.operator.kube import get_custom, load_api_client

__all__ = ["KubeIncidentWriter", "current", "start", "stop"]

_log = logging.getLogger(__name__)


class KubeIncidentWriter:
    """The intake's :class:`~.server.IncidentWriter` on the API server."""

    #: How long a pool's "accepts pushed logs" answer is reused: one GET per pool every 30 s,
    #: not one per Fluent Bit flush.
    pool_cache_seconds = 30.0

    def __init__(self, api: ApiClient) -> None:
        self.api = api
        self._pools: dict[tuple[str, str], tuple[float, str | None]] = {}
        self._lock = threading.Lock()

    def alert(self, alert: Alert, *, namespace: str, pool: str, group_key: str) -> str:
        return write_alert(self.api, alert, namespace=namespace, pool=pool, group_key=group_key)

    def detection(
        self, detection: Detection, *, namespace: str, pool: str, source: IncidentSource
    ) -> str:
        return write_detection(self.api, detection, namespace=namespace, pool=pool, source=source)

    def pool_refusal(self, namespace: str, pool: str) -> str | None:
        now = time.monotonic()
        with self._lock:
            cached = self._pools.get((namespace, pool))
        if cached is not None and now - cached[0] < self.pool_cache_seconds:
            return cached[1]
        obj = get_custom(self.api, "agentpools", namespace, pool)
        refusal: str | None = None
        if obj is None:
            refusal = f"AgentPool {namespace}/{pool} not found"
        else:
            try:
                push = AgentPoolSpec.model_validate(obj.get("spec") or {}).log_sources.http_push
            except ValidationError:
                push = None
            if push is None or not push.enabled:
                refusal = f"AgentPool {namespace}/{pool} does not enable logSources.httpPush"
        with self._lock:
            self._pools[(namespace, pool)] = (now, refusal)
        return refusal


class _Running:
    intake: Intake | None = None
    runner: web.AppRunner | None = None


_running = _Running()


def current() -> Intake | None:
    """The running intake of this process, if any."""
    return _running.intake


async def start() -> None:
    """Start the intake of this process from ``LOGSWARM_INTAKE_*`` (kopf's start-up hook)."""
    config = IntakeConfig.from_environ()
    if not config.enabled:
        _log.info("intake disabled (LOGSWARM_INTAKE_ENABLED=false)")
        return
    intake = Intake(config, KubeIncidentWriter(load_api_client()))
    try:
        _running.runner = await serve(intake)
    except OSError as exc:
        # A taken port must not stop the operator from reconciling what it already has:
        # say so loudly (and in logswarm_intake_up) and run without the intake.
        await intake.stop()
        metrics.UP.set(0)
        _log.error("intake not started: cannot listen on %s:%d: %s", config.bind, config.port, exc)
        return
    _running.intake = intake
    metrics.UP.set(1)


async def stop() -> None:
    """Stop the intake's HTTP server and worker (kopf's clean-up hook)."""
    if _running.runner is not None:
        await _running.runner.cleanup()
        _running.runner = None
    if _running.intake is not None:
        await _running.intake.stop()
        _running.intake = None
    metrics.UP.set(0)


@kopf.on.startup()
async def start_intake(**_: Any) -> None:
    await start()


@kopf.on.cleanup()
async def stop_intake(**_: Any) -> None:
    await stop()


def _has_pod_logs(spec: kopf.Spec, **_: Any) -> bool:
    sources: Any = spec.get("logSources") or {}
    return bool(sources.get("podLogs"))


@kopf.daemon(GROUP, VERSION, "agentpools", when=_has_pod_logs, cancellation_timeout=10.0)
async def stream_pod_logs(
    spec: kopf.Spec, name: str, namespace: str | None, stopped: kopf.DaemonStopped, **_: Any
) -> None:
    """Poll the pool's pods' logs into the intake's streaming detector until stopped."""
    intake = _running.intake
    if intake is None or not intake.config.pod_logs or namespace is None:
        return
    config = intake.config
    reader = KubePodLogReader(load_api_client())
    poller: PodLogPoller | None = None
    key = PoolKey(namespace, name, IncidentSource.DETECTOR)
    while not stopped:
        try:
            sources = AgentPoolSpec.model_validate(dict(spec)).log_sources.pod_logs
        except ValidationError as exc:
            raise kopf.PermanentError(
                f"invalid AgentPool spec: {exc.error_count()} errors"
            ) from exc
        if poller is None:
            poller = PodLogPoller(
                reader,
                sources,
                default_namespace=namespace,
                poll_seconds=config.pod_log_poll_seconds,
                backfill_seconds=config.pod_log_backfill_seconds,
                max_pods=config.pod_log_max_pods,
            )
        poller.sources = list(sources)
        result = await asyncio.to_thread(poller.poll)
        for error in result.errors:
            _log.warning("pod logs of AgentPool %s/%s: %s", namespace, name, error)
        if not intake.accept(key, result.records, result.dead_letters):
            _log.warning(
                "intake buffer full: %d pod log lines of %s/%s dropped (counted)",
                len(result.records),
                namespace,
                name,
            )
        await stopped.wait(config.pod_log_poll_seconds)
