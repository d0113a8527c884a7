"""Windowed anomaly detection over a live log stream: the batch pipeline, one window at a time.

:func:`logswarm.pipeline.analyze` sees a whole file set and scores every window against all the
others. A live stream cannot wait for the end, so :class:`StreamingDetector` keeps, per stream
(a service, as in the batch pipeline), the last ``max_history`` *normal* windows and scores each
window as it closes against them, with the same parts: the template miner, the window
accumulator with its bounded evidence reservoir, the window features, Isolation Forest,
One-Class SVM and LOF calibrated at ``target_fpr``, the same consensus (``min_agree``
detectors open an episode, one detector extends it within ``continue_gap`` windows), and the
same incident builder (:func:`logswarm.pipeline.grouping.group_incidents`), so an Incident from
a stream carries the same evidence (templates, sample lines with ids, entities, scores) as one
from ``logswarm analyze``.

One ongoing anomaly is one *episode*: only the window that opens it yields an
``opened`` detection; later windows of the same episode yield ``continued`` ones (the caller
annotates the Incident it already created). The episode key, and with it the Incident's name,
is derived from the stream and the episode's first window, so a replay yields the same name.

Memory is bounded: at most ``max_streams`` streams (records of further streams are dropped and
counted), ``max_history`` windows per stream, a few sample lines per window; records are never
kept. A window closes when the stream's own clock (its newest timestamp) passes the window's
end plus ``lateness_seconds``, or when the stream has been idle for ``idle_close_seconds`` of
wall time; a record for a window that already closed is late and counted, not analysed.
Flagged windows stay out of the history, so an anomaly does not become the baseline it is
judged against.

Pure computation: no cluster, no network, no clock but the one passed in.
"""

from __future__ import annotations

import hashlib
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np

from logswarm.detect import IsolationForestDetector, LocalOutlierFactorDetector, OneClassSVMDetector
from logswarm.detect.severity import severity_rule
from logswarm.features import extract_entities
from logswarm.incidents import Incident
from logswarm.operator.intake.config import StreamConfig
from logswarm.parsing import TemplateMiner
from logswarm.pipeline.grouping import FlaggedWindow, group_incidents
from logswarm.pipeline.window_features import window_feature_matrix
from logswarm.pipeline.windows import WindowAccumulator, WindowStats, stream_of
from logswarm.records import LogRecord

__all__ = ["Detection", "StreamConfig", "StreamCounters", "StreamingDetector"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(slots=True)
class StreamCounters:
    """What happened to records and windows (exported as metrics by the caller)."""

    records: int = 0
    late: int = 0
    too_many_streams: int = 0
    warmup_windows: int = 0
    normal_windows: int = 0
    anomalous_windows: int = 0


@dataclass(frozen=True, slots=True)
class Detection:
    """A window of an anomalous episode, with the incident built from it."""

    key: str
    """Stable for the whole episode: ``sha256(pool, stream, first window start)`` (16 hex)."""
    stream: str
    opened: bool
    """True for the window that opened the episode (create the Incident), else False."""
    incident: Incident
    window_start: datetime


@dataclass(slots=True)
class _Episode:
    key: str
    started: datetime
    last_flagged: datetime
    windows: int = 1


@dataclass(slots=True)
class _Stream:
    acc: WindowAccumulator
    history: deque[WindowStats]
    newest: datetime | None = None
    closed_before: int | None = None  # bucket index: every bucket below it has closed
    last_arrival: float = 0.0
    episode: _Episode | None = None


@dataclass(slots=True)
class _Scored:
    window: WindowStats
    scores: dict[str, float]
    agreed: list[str] = field(default_factory=list)


class StreamingDetector:
    """One pool's streams: feed records with :meth:`add`, collect detections as windows close."""

    def __init__(self, pool: str, config: StreamConfig | None = None) -> None:
        self.pool = pool
        self.config = config or StreamConfig()
        self.counters = StreamCounters()
        self.miner = TemplateMiner()
        self._streams: dict[str, _Stream] = {}

    @property
    def streams(self) -> int:
        return len(self._streams)

    def _bucket(self, ts: datetime) -> int:
        return int((ts - _EPOCH).total_seconds() // self.config.window_seconds)

    def _new_stream(self) -> _Stream:
        cfg = self.config
        return _Stream(
            acc=WindowAccumulator(
                window_seconds=cfg.window_seconds, entity_extractor=extract_entities
            ),
            history=deque(maxlen=cfg.max_history),
        )

    def add(self, records: Iterable[LogRecord], *, wall: float) -> list[Detection]:
        """Fold records in (``wall`` is the arrival time, monotonic seconds); judge what closed.

        Records must carry timestamps (the intake stamps arrival time on those without).
        """
        closed: list[tuple[_Stream, WindowStats]] = []
        for record in records:
            if record.timestamp is None:
                raise ValueError("streaming records need a timestamp")
            name = stream_of(record)
            stream = self._streams.get(name)
            if stream is None:
                if len(self._streams) >= self.config.max_streams:
                    self.counters.too_many_streams += 1
                    continue
                stream = self._streams[name] = self._new_stream()
            bucket = self._bucket(record.timestamp)
            if stream.closed_before is not None and bucket < stream.closed_before:
                self.counters.late += 1
                continue
            record.template_id = self.miner.learn(record.message).template_id
            stream.acc.add(record)
            self.counters.records += 1
            stream.last_arrival = wall
            if stream.newest is None or record.timestamp > stream.newest:
                stream.newest = record.timestamp
                closed.extend((stream, w) for w in self._close_until(stream, record.timestamp))
        return self._judge(closed)

    def close_idle(self, *, wall: float) -> list[Detection]:
        """Close every open window of streams idle for ``idle_close_seconds``; judge them."""
        closed: list[tuple[_Stream, WindowStats]] = []
        for stream in self._streams.values():
            if stream.acc.windows and wall - stream.last_arrival >= self.config.idle_close_seconds:
                closed.extend((stream, w) for w in self._close_all(stream))
        return self._judge(closed)

    def _close_until(self, stream: _Stream, newest: datetime) -> list[WindowStats]:
        lateness = timedelta(seconds=self.config.lateness_seconds)
        done = sorted(
            (key for key, w in stream.acc.windows.items() if w.end + lateness <= newest),
            key=lambda k: k[1],
        )
        out = [stream.acc.windows.pop(key) for key in done]
        if done:
            stream.closed_before = max(stream.closed_before or 0, done[-1][1] + 1)
        return out

    def _close_all(self, stream: _Stream) -> list[WindowStats]:
        keys = sorted(stream.acc.windows, key=lambda k: k[1])
        out = [stream.acc.windows.pop(key) for key in keys]
        if keys:
            stream.closed_before = max(stream.closed_before or 0, keys[-1][1] + 1)
        return out

    # --- judging ----------------------------------------------------------------------------

    def _judge(self, closed: list[tuple[_Stream, WindowStats]]) -> list[Detection]:
        out: list[Detection] = []
        for stream, window in sorted(closed, key=lambda sw: sw[1].start):
            detection = self._judge_one(stream, window)
            if detection is not None:
                out.append(detection)
        return out

    def _score(self, history: list[WindowStats], window: WindowStats) -> _Scored:
        cfg = self.config
        X = window_feature_matrix([*history, window])
        detectors = {
            "isolation_forest": IsolationForestDetector(
                n_estimators=cfg.n_estimators,
                target_fpr=cfg.target_fpr,
                random_state=cfg.random_state,
            ),
            "one_class_svm": OneClassSVMDetector(target_fpr=cfg.target_fpr),
            "lof": LocalOutlierFactorDetector(target_fpr=cfg.target_fpr),
        }
        scores: dict[str, float] = {}
        for name, det in detectors.items():
            det.fit(X[:-1])
            scores[name] = float(det.anomaly_score(X[-1:])[0])
        agreed = sorted(name for name, value in scores.items() if value > 1.0)
        return _Scored(window=window, scores=scores, agreed=agreed)

    def _judge_one(self, stream: _Stream, window: WindowStats) -> Detection | None:
        cfg = self.config
        history = list(stream.history)
        if len(history) < cfg.min_history:
            stream.history.append(window)
            self.counters.warmup_windows += 1
            return None
        scored = self._score(history, window)
        episode = stream.episode
        reach = timedelta(seconds=cfg.continue_gap * cfg.window_seconds)
        if episode is not None and window.start - episode.last_flagged > reach:
            stream.episode = episode = None  # the anomaly is over
        opens = len(scored.agreed) >= cfg.min_agree
        extends = episode is not None and len(scored.agreed) >= 1
        if not (opens or extends):
            stream.history.append(window)
            self.counters.normal_windows += 1
            return None
        self.counters.anomalous_windows += 1
        opened = episode is None
        if episode is None:
            episode = stream.episode = _Episode(
                key=self._episode_key(window), started=window.start, last_flagged=window.start
            )
        else:
            episode.last_flagged = window.start
            episode.windows += 1
        incident = self._incident(history, scored, episode.key)
        return Detection(
            key=episode.key,
            stream=window.stream,
            opened=opened,
            incident=incident,
            window_start=window.start,
        )

    def _episode_key(self, window: WindowStats) -> str:
        raw = f"{self.pool}\x00{window.stream}\x00{window.start.isoformat()}"
        return hashlib.sha256(raw.encode()).hexdigest()[:16]

    def _incident(self, history: list[WindowStats], scored: _Scored, key: str) -> Incident:
        baseline: Counter[int] = Counter()
        for w in history:
            baseline.update(w.templates)
        flagged = FlaggedWindow(
            window=scored.window,
            score=float(np.mean(list(scored.scores.values()))),
            detector_scores=scored.scores,
            agreed=scored.agreed,
        )
        incidents = group_incidents(
            [flagged],
            baseline={scored.window.stream: baseline},
            baseline_windows={scored.window.stream: len(history)},
            template_text=self.miner.templates,
            severity_of=severity_rule,
        )
        # One flagged window groups into exactly one incident.
        return incidents[0].model_copy(update={"id": key})
