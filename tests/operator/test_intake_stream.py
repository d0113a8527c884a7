"""The streaming detector: warm-up, one Incident per anomalous episode, bounded memory.

Logs are synthetic but not shaped for the detector: a service's ordinary request lines with
random paths and latencies, and an injected minute in which half the lines are connection
errors naming a pod — the kind of burst an SRE wants one Incident for.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from logswarm.incidents import EntityKind
from logswarm.operator.intake.config import StreamConfig
from logswarm.operator.intake.stream import StreamingDetector
from logswarm.records import LogRecord, Severity, SourceKind

T0 = datetime(2026, 11, 25, 5, 0, tzinfo=UTC)
FAST = StreamConfig(n_estimators=25)


def minutes(
    start: int,
    stop: int,
    *,
    anomalous: set[int] = frozenset(),  # type: ignore[assignment]
    service: str = "web",
    seed: int = 0,
) -> list[LogRecord]:
    rng = random.Random(seed * 1000 + start)
    out: list[LogRecord] = []
    for minute in range(start, stop):
        n = 40 + rng.randint(-4, 4)
        for i in range(n):
            ts = T0 + timedelta(minutes=minute, seconds=i * 60 / n)
            if minute in anomalous and i % 2 == 0:
                message = (
                    f"ERROR dial tcp 10.0.3.{rng.randint(2, 9)}:5432: connection refused "
                    f"pod=web-7d9f-{rng.choice('abc')}x"
                )
                severity = Severity.ERROR
            else:
                message = f"GET /api/items/{rng.randint(1, 999)} 200 {rng.randint(1, 40)}ms"
                severity = Severity.INFO
            out.append(
                LogRecord(
                    timestamp=ts,
                    source=SourceKind.JSONL,
                    message=message,
                    severity=severity,
                    service=service,
                    file=f"push/ns/{service}",
                    line=minute * 100 + i + 1,
                )
            )
    return out


def test_nothing_is_flagged_while_warming_up() -> None:
    det = StreamingDetector("core", FAST)
    assert det.add(minutes(0, 9, anomalous={5}), wall=0.0) == []
    assert det.counters.warmup_windows == 8  # the 9th minute is still open
    assert det.counters.anomalous_windows == 0


def test_an_injected_burst_opens_one_episode_with_evidence() -> None:
    det = StreamingDetector("core", FAST)
    records = minutes(0, 20, anomalous={15})
    detections = det.add(records, wall=0.0)
    assert [d.opened for d in detections] == [True]
    (found,) = detections
    assert found.window_start == T0 + timedelta(minutes=15)
    incident = found.incident
    assert incident.id == found.key
    assert len(found.key) == 16
    assert "connection refused" in " ".join(t.template for t in incident.templates)
    # Evidence lines carry ids and point back at real input lines.
    lines = {(r.file, r.line): r.message for r in records}
    assert incident.samples
    assert all(s.id.startswith("L") for s in incident.samples)
    for sample in incident.samples:
        assert lines[(sample.file, sample.line)] == sample.message
    assert any(e.kind is EntityKind.IP for e in incident.entities)
    assert det.counters.anomalous_windows == 1
    assert det.counters.normal_windows == 20 - 10 - 1 - 1  # minus warm-up, anomaly, open window


def test_a_long_anomaly_is_one_episode_and_a_later_one_is_another() -> None:
    det = StreamingDetector("core", FAST)
    detections = det.add(minutes(0, 40, anomalous={14, 15, 16, 30}), wall=0.0)
    opened = [d for d in detections if d.opened]
    assert len(opened) == 2, [(d.window_start, d.opened) for d in detections]
    first, second = opened
    assert first.window_start == T0 + timedelta(minutes=14)
    assert second.window_start == T0 + timedelta(minutes=30)
    continued = [d for d in detections if not d.opened]
    assert continued
    assert all(d.key == first.key for d in continued)
    assert first.key != second.key


def test_the_episode_key_is_deterministic() -> None:
    keys = []
    for _ in range(2):
        det = StreamingDetector("core", FAST)
        keys.append([d.key for d in det.add(minutes(0, 20, anomalous={15}), wall=0.0)])
    assert keys[0] == keys[1] != []
    other_pool = StreamingDetector("other", FAST).add(minutes(0, 20, anomalous={15}), wall=0.0)
    assert [d.key for d in other_pool] != keys[0]


def test_late_records_are_counted_not_analysed() -> None:
    det = StreamingDetector("core", FAST)
    det.add(minutes(0, 5), wall=0.0)
    late = minutes(1, 2, seed=7)
    det.add(late, wall=1.0)
    assert det.counters.late == len(late)


def test_streams_are_capped() -> None:
    det = StreamingDetector("core", StreamConfig(max_streams=2, n_estimators=25))
    for name in ("a", "b", "c"):
        det.add(minutes(0, 1, service=name), wall=0.0)
    assert det.streams == 2
    assert det.counters.too_many_streams == len(minutes(0, 1, service="c"))


def test_history_is_bounded() -> None:
    det = StreamingDetector("core", StreamConfig(min_history=3, max_history=5, n_estimators=10))
    det.add(minutes(0, 30), wall=0.0)
    (stream,) = det._streams.values()
    assert len(stream.history) <= 5


def test_an_idle_stream_has_its_last_window_judged() -> None:
    det = StreamingDetector("core", FAST)
    det.add(minutes(0, 16, anomalous={15}), wall=0.0)  # minute 15 is still open
    assert det.close_idle(wall=10.0) == []  # not idle long enough
    (found,) = det.close_idle(wall=FAST.idle_close_seconds + 1)
    assert found.opened
    assert found.window_start == T0 + timedelta(minutes=15)


def test_records_need_timestamps() -> None:
    det = StreamingDetector("core", FAST)
    record = LogRecord(timestamp=None, source=SourceKind.TEXT, message="x")
    with pytest.raises(ValueError, match="timestamp"):
        det.add([record], wall=0.0)


def test_config_is_checked() -> None:
    with pytest.raises(ValueError, match="min_history"):
        StreamConfig(min_history=2)
    with pytest.raises(ValueError, match="positive"):
        StreamConfig(window_seconds=0)


@pytest.mark.parametrize("seed", [1, 2])
def test_ordinary_traffic_opens_no_episode(seed: int) -> None:
    det = StreamingDetector("core", FAST)
    assert det.add(minutes(0, 40, seed=seed), wall=0.0) == []
    assert det.counters.normal_windows == 40 - 10 - 1
