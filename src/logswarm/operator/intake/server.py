"""The intake's HTTP server and the hub behind it: requests in, Incidents out.

Routes (aiohttp, the web stack kopf already brings):

- ``POST /alertmanager`` — Alertmanager webhook v4; one Incident per alert fingerprint
  (:mod:`.alertmanager`, :mod:`.sink`). Answered after the Incidents are written, so a 2xx
  means recorded; an API-server failure answers 503 and Alertmanager delivers again.
- ``POST /ingest``, ``/ingest/fluentbit``, ``/ingest/vector`` — JSON log records
  (:mod:`.push`), queued for the pool's :class:`~.stream.StreamingDetector`; 202 when queued,
  429 when the bounded buffer is full (shippers retry), 400 when the body is not JSON.
- ``GET /healthz``, ``GET /metrics`` (this process's Prometheus registry),
  ``GET /deadletters`` (the newest malformed records with their reasons).

The pool is named by ``?pool=`` (and ``?namespace=``), an alert's ``logswarm_pool`` label,
or the configured default. Logs and alerts are untrusted input: nothing in them selects an
action; they only produce Incidents, which go through the pool's analysis and the safety
policy like any other.

:class:`Intake` owns the bounded queue, one streaming detector per (namespace, pool, source),
and a worker task that runs detection in a thread (scikit-learn fits must not block the
event loop) and writes Incidents through an :class:`IncidentWriter` — the seam tests fake.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from logswarm.api.v1alpha1 import IncidentSource
from logswarm.operator.intake import metrics
from logswarm.operator.intake.alertmanager import POOL_LABEL, Alert, PayloadError, parse_payload
from logswarm.operator.intake.config import IntakeConfig
from logswarm.operator.intake.push import PushFormatError, parse_push
from logswarm.operator.intake.stream import Detection, StreamingDetector
from logswarm.records import DeadLetter, LogRecord

__all__ = ["IncidentWriter", "Intake", "PoolKey", "build_app", "serve"]

_log = logging.getLogger(__name__)
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


class IncidentWriter(Protocol):
    """Where the intake's Incidents go (the API server in the operator, a fake in tests)."""

    def alert(self, alert: Alert, *, namespace: str, pool: str, group_key: str) -> str:
        """Record one alert; the outcome (created, updated, refired, resolved, ignored)."""
        ...

    def detection(
        self, detection: Detection, *, namespace: str, pool: str, source: IncidentSource
    ) -> str:
        """Record one anomalous window; the outcome (created, updated)."""
        ...

    def pool_refusal(self, namespace: str, pool: str) -> str | None:
        """Why ``pool`` may not receive pushed logs (missing, push disabled), or None."""
        ...


@dataclass(frozen=True, slots=True)
class PoolKey:
    namespace: str
    pool: str
    source: IncidentSource

    @property
    def feed(self) -> str:
        """The ``source`` label of the intake's record metrics: httpPush or podLogs."""
        return "httpPush" if self.source is IncidentSource.HTTP_PUSH else "podLogs"


class RequestError(Exception):
    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason


class Intake:
    """The bounded queue, the per-pool detectors and the worker that feeds them."""

    def __init__(
        self,
        config: IntakeConfig,
        writer: IncidentWriter,
        *,
        clock: Callable[[], float] = time.monotonic,
        idle_check_seconds: float = 5.0,
    ) -> None:
        self.config = config
        self.writer = writer
        self.clock = clock
        self.idle_check_seconds = idle_check_seconds
        self.detectors: dict[PoolKey, StreamingDetector] = {}
        self.dead_letters: deque[DeadLetter] = deque(maxlen=config.dead_letters_kept)
        self.buffered = 0
        self._queue: asyncio.Queue[tuple[PoolKey, list[LogRecord]]] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self._lines: dict[PoolKey, int] = {}
        #: (episode key, outcome) of the detections written, newest last (for debugging).
        self.written: deque[tuple[str, str]] = deque(maxlen=1000)
        self._last_idle_check = clock()

    # --- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        if self._worker is None:
            self._worker = asyncio.create_task(self._work(), name="logswarm-intake-worker")

    async def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None

    async def drained(self) -> None:
        """Wait until every queued batch has been analysed (tests, shutdown)."""
        await self._queue.join()

    # --- input ------------------------------------------------------------------------------

    def first_line(self, key: PoolKey) -> int:
        """The next line number of a pool's pushed stream (see :meth:`advance_lines`).

        Line numbers run on across a pool's pushed batches, so ``file:line`` in an Incident's
        evidence points at one record of that stream.
        """
        return self._lines.get(key, 0) + 1

    def advance_lines(self, key: PoolKey, count: int) -> None:
        self._lines[key] = self._lines.get(key, 0) + count

    def keep_dead_letters(self, letters: list[DeadLetter], *, source: str) -> None:
        for letter in letters:
            self.dead_letters.append(letter)
            metrics.DEAD_LETTERS.labels(source).inc()
            _log.warning("dead letter from %s:%d: %s", letter.file, letter.line, letter.reason)

    def offer(self, key: PoolKey, records: list[LogRecord]) -> bool:
        """Queue records for analysis; False (and counted) when the buffer cannot hold them."""
        if not records:
            return True
        source = key.feed
        if key not in self.detectors and len(self.detectors) >= self.config.max_pools:
            metrics.RECORDS_DROPPED.labels(source, "too_many_pools").inc(len(records))
            return False
        if self.buffered + len(records) > self.config.max_buffered_records:
            metrics.RECORDS_DROPPED.labels(source, "buffer_full").inc(len(records))
            return False
        self.detectors.setdefault(key, StreamingDetector(key.pool, self.config.stream))
        self.buffered += len(records)
        metrics.BUFFERED.set(self.buffered)
        self._queue.put_nowait((key, records))
        return True

    def accept(
        self, key: PoolKey, records: list[LogRecord], dead_letters: list[DeadLetter]
    ) -> bool:
        """Queue a batch and keep its dead letters; False (nothing kept) when the buffer is full.

        All or nothing, so a sender told to retry does not get its dead letters counted twice.
        """
        if not self.offer(key, records):
            return False
        self.keep_dead_letters(dead_letters, source=key.feed)
        metrics.RECORDS.labels(key.feed).inc(len(records))
        return True

    # --- the worker -------------------------------------------------------------------------

    async def _work(self) -> None:
        while True:
            try:
                key, records = await asyncio.wait_for(
                    self._queue.get(), timeout=self.idle_check_seconds
                )
            except TimeoutError:
                await self._close_idle()
                continue
            try:
                await self._analyse(key, records)
                if self.clock() - self._last_idle_check >= self.idle_check_seconds:
                    await self._close_idle()  # a busy pool must not keep a quiet one's open
            except Exception:  # a bug must not stop the intake; it is logged with its trace
                _log.exception("streaming detection failed for %s", key)
            finally:
                self.buffered -= len(records)
                metrics.BUFFERED.set(self.buffered)
                self._queue.task_done()

    async def _analyse(self, key: PoolKey, records: list[LogRecord]) -> None:
        detector = self.detectors[key]
        before = _snapshot(detector)
        detections = await asyncio.to_thread(detector.add, records, wall=self.clock())
        _export(key, before, detector)
        await self._write(key, detections)

    async def _close_idle(self) -> None:
        self._last_idle_check = self.clock()
        for key, detector in list(self.detectors.items()):
            before = _snapshot(detector)
            detections = await asyncio.to_thread(detector.close_idle, wall=self.clock())
            _export(key, before, detector)
            await self._write(key, detections)

    async def _write(self, key: PoolKey, detections: list[Detection]) -> None:
        for detection in detections:
            for attempt in range(3):
                try:
                    outcome = await asyncio.to_thread(
                        self.writer.detection,
                        detection,
                        namespace=key.namespace,
                        pool=key.pool,
                        source=key.source,
                    )
                except Exception as exc:  # the API server may be briefly away: try again
                    if attempt == 2:
                        metrics.INCIDENTS.labels(key.source.value, "failed").inc()
                        _log.error("could not write incident %s: %s", detection.key, exc)
                    else:
                        await asyncio.sleep(0.5 * 2**attempt)
                    continue
                metrics.INCIDENTS.labels(key.source.value, outcome).inc()
                self.written.append((detection.key, outcome))
                _log.info(
                    "anomaly %s in %s/%s: %s", detection.key, key.pool, detection.stream, outcome
                )
                break


def _snapshot(detector: StreamingDetector) -> tuple[int, ...]:
    c = detector.counters
    return (c.late, c.too_many_streams, c.warmup_windows, c.normal_windows, c.anomalous_windows)


def _export(key: PoolKey, before: tuple[int, ...], detector: StreamingDetector) -> None:
    after = _snapshot(detector)
    late, streams, warmup, normal, anomalous = (a - b for a, b in zip(after, before, strict=True))
    source = key.feed
    if late:
        metrics.RECORDS_DROPPED.labels(source, "late").inc(late)
    if streams:
        metrics.RECORDS_DROPPED.labels(source, "too_many_streams").inc(streams)
    for verdict, count in (("warmup", warmup), ("normal", normal), ("anomalous", anomalous)):
        if count:
            metrics.WINDOWS.labels(verdict).inc(count)


# --- HTTP -----------------------------------------------------------------------------------

INTAKE_KEY = web.AppKey("intake", Intake)


def _name(value: str | None, what: str) -> str | None:
    if value is None or value == "":
        return None
    if len(value) > 63 or not _NAME.match(value):
        raise RequestError(400, "bad_name", f"{what} {value!r} is not a valid object name")
    return value


def _json_error(endpoint: str, err: RequestError) -> web.Response:
    metrics.REJECTED.labels(endpoint, err.reason).inc()
    return web.json_response({"error": str(err), "reason": err.reason}, status=err.status)


async def _body(request: web.Request, intake: Intake) -> bytes:
    if request.content_length is not None and request.content_length > intake.config.max_body_bytes:
        raise RequestError(413, "too_large", f"body over {intake.config.max_body_bytes} bytes")
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge as exc:
        raise RequestError(
            413, "too_large", f"body over {intake.config.max_body_bytes} bytes"
        ) from exc


async def alertmanager(request: web.Request) -> web.Response:
    intake = request.app[INTAKE_KEY]
    try:
        body = await _body(request, intake)
        try:
            payload = parse_payload(body)
        except PayloadError as exc:
            raise RequestError(400, "invalid_payload", str(exc)) from exc
        query_pool = _name(request.query.get("pool"), "pool")
        namespace = _name(request.query.get("namespace"), "namespace") or intake.config.namespace
        plan: list[tuple[Alert, str]] = []
        for alert in payload.alerts:
            pool = (
                _name(alert.labels.get(POOL_LABEL), f"label {POOL_LABEL}")
                or query_pool
                or intake.config.default_pool
            )
            if pool is None:
                raise RequestError(
                    400,
                    "no_pool",
                    f"alert {alert.key()} names no AgentPool: add ?pool=NAME to the receiver "
                    f"URL, a {POOL_LABEL} label, or set LOGSWARM_INTAKE_DEFAULT_POOL",
                )
            plan.append((alert, pool))
    except RequestError as err:
        return _json_error("alertmanager", err)
    results: list[dict[str, str]] = []
    for alert, pool in plan:
        try:
            outcome = await asyncio.to_thread(
                intake.writer.alert,
                alert,
                namespace=namespace,
                pool=pool,
                group_key=payload.group_key,
            )
        except Exception as exc:  # Alertmanager retries a 5xx: nothing is lost
            _log.error("could not record alert %s: %s", alert.key(), exc)
            metrics.ALERTS.labels(alert.status, "failed").inc()
            return _json_error(
                "alertmanager",
                RequestError(
                    503, "api_unavailable", f"could not record alert {alert.key()}: {exc}"
                ),
            )
        metrics.ALERTS.labels(alert.status, outcome).inc()
        results.append({"fingerprint": alert.key(), "status": alert.status, "outcome": outcome})
    return web.json_response({"alerts": results, "truncatedAlerts": payload.truncated_alerts})


def _ingest_handler(flavour: Literal["any", "fluentbit", "vector"]) -> Any:
    endpoint = "ingest" if flavour == "any" else f"ingest/{flavour}"

    async def ingest(request: web.Request) -> web.Response:
        intake = request.app[INTAKE_KEY]
        try:
            body = await _body(request, intake)
            pool = _name(request.query.get("pool"), "pool") or intake.config.default_pool
            namespace = (
                _name(request.query.get("namespace"), "namespace") or intake.config.namespace
            )
            if pool is None:
                raise RequestError(
                    400, "no_pool", "name the AgentPool with ?pool=NAME (no default pool is set)"
                )
            refusal = await asyncio.to_thread(intake.writer.pool_refusal, namespace, pool)
            if refusal is not None:
                raise RequestError(404, "pool_refused", refusal)
            key = PoolKey(namespace, pool, IncidentSource.HTTP_PUSH)
            try:
                batch = parse_push(
                    body, origin=f"push/{namespace}/{pool}", first_line=intake.first_line(key)
                )
            except PushFormatError as exc:
                raise RequestError(400, "invalid_body", str(exc)) from exc
            if not intake.accept(key, batch.records, batch.dead_letters):
                # Nothing of the batch is kept: the sender retries all of it.
                raise RequestError(429, "buffer_full", "the intake's buffer is full: retry later")
            lines = [r.line for r in batch.records] + [d.line for d in batch.dead_letters]
            last = max(lines, default=0)
            intake.advance_lines(key, max(last - intake.first_line(key) + 1, 0))
        except RequestError as err:
            response = _json_error(endpoint, err)
            if err.status == 429:
                response.headers["Retry-After"] = "5"
            return response
        return web.json_response(
            {"accepted": len(batch.records), "deadLetters": len(batch.dead_letters)}, status=202
        )

    return ingest


async def healthz(request: web.Request) -> web.Response:
    return web.Response(text="ok")


async def metrics_endpoint(request: web.Request) -> web.Response:
    return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})


async def dead_letters(request: web.Request) -> web.Response:
    intake = request.app[INTAKE_KEY]
    letters = [letter.to_json_dict() for letter in intake.dead_letters]
    return web.Response(text=json.dumps({"deadLetters": letters}), content_type="application/json")


def build_app(intake: Intake) -> web.Application:
    app = web.Application(client_max_size=intake.config.max_body_bytes)
    app[INTAKE_KEY] = intake
    app.router.add_post("/alertmanager", alertmanager)
    app.router.add_post("/ingest", _ingest_handler("any"))
    app.router.add_post("/ingest/fluentbit", _ingest_handler("fluentbit"))
    app.router.add_post("/ingest/vector", _ingest_handler("vector"))
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_endpoint)
    app.router.add_get("/deadletters", dead_letters)
    return app


async def serve(intake: Intake) -> web.AppRunner:
    """Start the intake's worker and HTTP server; ``await runner.cleanup()`` stops the server."""
    await intake.start()
    runner = web.AppRunner(build_app(intake), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, intake.config.bind, intake.config.port)
    try:
        await site.start()
    except OSError:
        await runner.cleanup()
        raise
    _log.info("intake listening on %s:%d", intake.config.bind, intake.config.port)
    return runner
