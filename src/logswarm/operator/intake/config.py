"""Settings of the intake (webhook, push endpoint, pod-log streaming), read once at start-up.

Kept apart from the server so that :mod:`logswarm.operator.settings` can hold them without
importing the detectors. Every knob is an environment variable ``LOGSWARM_INTAKE_*`` (the
chart sets them from ``intake.*`` values).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["IntakeConfig", "StreamConfig"]


@dataclass(frozen=True, slots=True)
class StreamConfig:
    """Settings of one pool's streaming detector."""

    #: As the batch pipeline's: a minute is the usual alerting resolution.
    window_seconds: float = 60.0
    #: A window stays open this long after the stream's clock passed its end, for records
    #: that arrive slightly out of order (shippers batch and retry).
    lateness_seconds: float = 5.0
    #: A stream that sent nothing for this long (wall time) has its open windows closed, so a
    #: service that fell silent is still judged.
    idle_close_seconds: float = 90.0
    #: Windows of normal history needed before anything is flagged: the batch pipeline's
    #: minimum (fewer than ten windows cannot say what normal looks like).
    min_history: int = 10
    #: Normal windows kept per stream (two hours of minutes).
    max_history: int = 120
    #: Share of normal windows each detector may flag (as the batch pipeline's default).
    target_fpr: float = 0.03
    #: Detectors that must agree to open an episode; one is enough to extend it.
    min_agree: int = 2
    #: An episode ends after this many windows without any detector flagging.
    continue_gap: int = 2
    #: Streams (services) tracked per pool; records of further streams are dropped, counted.
    max_streams: int = 500
    #: Trees of the Isolation Forest, refitted at every closed window of every stream:
    #: scikit-learn's default of 100, half the batch detector's 200, as the fit is repeated.
    n_estimators: int = 100
    random_state: int = 0

    def __post_init__(self) -> None:
        if self.window_seconds <= 0 or self.lateness_seconds < 0 or self.idle_close_seconds <= 0:
            raise ValueError("window, lateness and idle durations must be positive")
        if self.min_history < 3 or self.max_history < self.min_history:
            raise ValueError("need 3 <= min_history <= max_history")
        if not 1 <= self.min_agree <= 3:
            raise ValueError("min_agree must be 1, 2 or 3")


def _flag(value: str | None, default: bool) -> bool:
    if value is None or not value.strip():
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"not a boolean: {value!r}")


@dataclass(frozen=True, slots=True)
class IntakeConfig:
    """Where the intake listens, where its Incidents go, and how much it may buffer."""

    #: On by default: Alertmanager and log shippers need somewhere to post. ``false`` runs the
    #: operator without the HTTP server and without pod-log streaming.
    enabled: bool = True
    #: All interfaces: the server is reached through the chart's Service.
    bind: str = "0.0.0.0"  # noqa: S104 - a pod's port, fronted by a Service
    #: Apart from the health (8080) and metrics (9090) ports the chart already uses.
    port: int = 8090
    #: Namespace of Incidents when a request names none: the operator's own (the chart sets
    #: ``LOGSWARM_NAMESPACE`` from the downward API).
    namespace: str = "default"
    #: The AgentPool handling alerts and pushed logs that name none; unset means every
    #: request must name one (``?pool=``, or an alert's ``logswarm_pool`` label).
    default_pool: str | None = None
    #: Records accepted but not yet analysed, over all pools. A full buffer answers 429, which
    #: Fluent Bit and Vector retry later: back-pressure rather than unbounded memory.
    max_buffered_records: int = 20_000
    #: Largest request body (a Fluent Bit chunk is at most a few MiB).
    max_body_bytes: int = 8 * 1024 * 1024
    #: Pools with a streaming detector at once (each holds a template miner and history).
    max_pools: int = 64
    #: Dead letters kept in memory for ``GET /deadletters`` (all are counted in metrics).
    dead_letters_kept: int = 1000
    #: Stream pod logs of pools whose spec lists ``logSources.podLogs``.
    pod_logs: bool = True
    #: How often pod logs are read again (``since_seconds`` reads, de-duplicated by time).
    pod_log_poll_seconds: float = 15.0
    #: History read from each pod when streaming starts, to learn what normal looks like.
    pod_log_backfill_seconds: float = 900.0
    #: At most this many pods per pool are read (the newest first), bounding API load.
    pod_log_max_pods: int = 100
    stream: StreamConfig = field(default_factory=StreamConfig)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> IntakeConfig:
        env = os.environ if environ is None else environ
        d = cls()
        ds = d.stream

        def get(name: str) -> str | None:
            value = env.get(f"LOGSWARM_INTAKE_{name}")
            return value if value is not None and value.strip() else None

        return cls(
            enabled=_flag(get("ENABLED"), d.enabled),
            bind=get("BIND") or d.bind,
            port=int(get("PORT") or d.port),
            namespace=get("NAMESPACE") or env.get("LOGSWARM_NAMESPACE") or d.namespace,
            default_pool=get("DEFAULT_POOL") or d.default_pool,
            max_buffered_records=int(get("MAX_BUFFERED_RECORDS") or d.max_buffered_records),
            max_body_bytes=int(get("MAX_BODY_BYTES") or d.max_body_bytes),
            max_pools=int(get("MAX_POOLS") or d.max_pools),
            dead_letters_kept=int(get("DEAD_LETTERS_KEPT") or d.dead_letters_kept),
            pod_logs=_flag(get("POD_LOGS"), d.pod_logs),
            pod_log_poll_seconds=float(get("POD_LOG_POLL_SECONDS") or d.pod_log_poll_seconds),
            pod_log_backfill_seconds=float(
                get("POD_LOG_BACKFILL_SECONDS") or d.pod_log_backfill_seconds
            ),
            pod_log_max_pods=int(get("POD_LOG_MAX_PODS") or d.pod_log_max_pods),
            stream=StreamConfig(
                window_seconds=float(get("WINDOW_SECONDS") or ds.window_seconds),
                lateness_seconds=float(get("LATENESS_SECONDS") or ds.lateness_seconds),
                idle_close_seconds=float(get("IDLE_CLOSE_SECONDS") or ds.idle_close_seconds),
                min_history=int(get("MIN_HISTORY") or ds.min_history),
                max_history=int(get("MAX_HISTORY") or ds.max_history),
                target_fpr=float(get("TARGET_FPR") or ds.target_fpr),
                min_agree=int(get("MIN_AGREE") or ds.min_agree),
            ),
        )
