"""Sessions, sliding windows and their out-of-order policy, on hand-built records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from logswarm.features import (
    SlidingWindower,
    by_field,
    by_pod,
    hdfs_block_id,
    session_sequences,
    session_windows,
    sliding_windows,
)
from logswarm.records import LogRecord, Severity, SourceKind

T0 = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)


def rec(
    sec: float | None,
    msg: str = "x",
    *,
    tid: int | None = 1,
    sev: Severity = Severity.INFO,
    fields: dict[str, object] | None = None,
    source: SourceKind = SourceKind.TEXT,
) -> LogRecord:
    ts = None if sec is None else T0 + timedelta(seconds=sec)
    return LogRecord(ts, source, msg, severity=sev, fields=fields or {}, template_id=tid)


def test_hdfs_block_sessions_follow_every_block_a_line_names() -> None:
    records = [
        rec(0, "Receiving block blk_-123 src: /10.0.0.1", tid=5),
        rec(1, "Transmitted block blk_-123 to blk_456", tid=7),
        rec(2, "no block here", tid=9),
        rec(3, "Deleting block blk_456 file /x", tid=8),
    ]
    assert session_sequences(records, key=hdfs_block_id) == {"blk_-123": [5, 7], "blk_456": [7, 8]}
    groups = session_windows(records, key=hdfs_block_id)
    assert [r.message for r in groups["blk_456"]] == [records[1].message, records[3].message]


def test_field_and_pod_keys() -> None:
    a = rec(
        0, fields={"trace_id": "t1", "kubernetes": {"pod_name": "web-1", "namespace_name": "prod"}}
    )
    b = rec(1, fields={"trace_id": "t2", "pod": "db-0", "namespace": "data"})
    c = rec(2, fields={"span": {"trace_id": "t1"}})
    assert session_sequences([a, b, c], key="trace_id") == {"t1": [1], "t2": [1]}
    assert session_sequences([a, b, c], key=by_field("span.trace_id")) == {"t1": [1]}
    assert [by_pod(r) for r in (a, b, c)] == ["prod/web-1", "data/db-0", None]


def test_tumbling_windows_count_without_keeping_records() -> None:
    records = [
        rec(s, tid=t, sev=Severity.ERROR if t == 9 else Severity.INFO)
        for s, t in [(0, 1), (5, 1), (12, 2), (31, 9), (35, 1)]
    ]
    wins = list(
        sliding_windows(
            records,
            size=timedelta(seconds=10),
            step=timedelta(seconds=10),
            lateness=timedelta(0),
            max_samples=1,
        )
    )
    assert [w.start - T0 for w in wins] == [timedelta(seconds=s) for s in (0, 10, 20, 30)]
    assert [w.n for w in wins] == [2, 1, 0, 2]  # the silent window is emitted, empty
    assert wins[0].templates == {1: 2}
    assert wins[3].errors == 1
    # max_samples=1 keeps the first record, then errors (up to another max_samples).
    assert [i for i, _ in wins[3].samples] == [3]
    assert [i for i, _ in wins[0].samples] == [0]


def test_overlapping_windows_count_a_record_in_each() -> None:
    wins = list(
        sliding_windows(
            [rec(12)], size=timedelta(seconds=10), step=timedelta(seconds=5), lateness=timedelta(0)
        )
    )
    assert [(w.start - T0).seconds for w in wins if w.n] == [5, 10]


def test_out_of_order_within_lateness_is_windowed_and_late_is_counted() -> None:
    w = SlidingWindower(
        size=timedelta(seconds=10), step=timedelta(seconds=10), lateness=timedelta(seconds=5)
    )
    closed = []
    for r in [rec(1), rec(12), rec(8), rec(16), rec(3), rec(25), rec(None)]:
        closed += w.add(r)
    closed += w.flush()
    counts = {(x.start - T0).seconds: x.n for x in closed}
    # rec(8) arrived after rec(12) but within lateness: counted in [0,10).
    # rec(3) arrived once the watermark (16-5=11) had closed [0,10): late, counted as such.
    assert counts == {0: 2, 10: 2, 20: 1}
    assert w.late_records == 1
    assert w.untimed_records == 1


def test_window_numeric_signals_and_entities() -> None:
    flow = rec(
        0,
        "flow",
        source=SourceKind.VPC_FLOW,
        fields={
            "srcaddr": "10.0.0.1",
            "dstaddr": "10.0.0.2",
            "bytes": "1500",
            "packets": "3",
            "action": "REJECT",
        },
    )
    trail = rec(
        1,
        "ct",
        source=SourceKind.CLOUDTRAIL,
        fields={"eventName": "GetObject", "errorCode": "AccessDenied"},
    )
    (win,) = [
        w
        for w in sliding_windows(
            [flow, trail], size=timedelta(minutes=1), step=timedelta(minutes=1)
        )
        if w.n
    ]
    assert win.numeric == {
        "flow_bytes": 1500.0,
        "flow_packets": 3.0,
        "flow_reject": 1.0,
        "cloudtrail_error": 1.0,
    }
    assert len(win.entities) == 2


def test_bad_window_parameters_are_refused() -> None:
    with pytest.raises(ValueError, match="positive"):
        SlidingWindower(size=timedelta(0), step=timedelta(seconds=1))
