"""Dedupe drops re-deliveries, never a line legitimately repeated inside one file."""

from __future__ import annotations

import json
from pathlib import Path

from logswarm.ingest import IngestStats, InMemoryDeadLetters, read_logs

LINE = '{"time": "2026-01-01T00:00:00Z", "level": "info", "msg": "heartbeat ok"}\n'


def _read(*paths: Path) -> tuple[int, IngestStats]:
    stats = IngestStats()
    n = sum(1 for _ in read_logs(list(paths), dead_letters=InMemoryDeadLetters(), stats=stats))
    return n, stats


def test_identical_lines_within_one_file_are_all_kept(tmp_path: Path) -> None:
    f = tmp_path / "a.jsonl"
    f.write_text(LINE * 3, encoding="utf-8")
    n, stats = _read(f)
    assert n == 3
    assert stats.duplicates_dropped == 0


def test_a_file_delivered_twice_is_read_once(tmp_path: Path) -> None:
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_text(LINE * 2, encoding="utf-8")
    b.write_text(LINE * 2, encoding="utf-8")
    n, stats = _read(a, b)
    assert n == 2
    assert stats.duplicates_dropped == 2


def test_a_cloudtrail_event_id_repeated_in_one_file_is_dropped(tmp_path: Path) -> None:
    event = {
        "eventVersion": "1.08",
        "eventTime": "2026-01-01T00:00:00Z",
        "eventSource": "iam.amazonaws.com",
        "eventName": "CreateAccessKey",
        "awsRegion": "us-east-1",
        "eventID": "5f1c0a9e-0000-4000-8000-000000000001",
        "userIdentity": {"type": "IAMUser", "userName": "alice", "accountId": "123456789012"},
    }
    f = tmp_path / "trail.json"
    f.write_text(json.dumps({"Records": [event, event]}), encoding="utf-8")
    n, stats = _read(f)
    assert n == 1
    assert stats.duplicates_dropped == 1


def test_kubernetes_events_keep_their_time_reason_and_object(tmp_path: Path) -> None:
    from logswarm.features import extract_entities
    from logswarm.incidents import EntityKind

    event = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {
            "name": "web-1.1",
            "namespace": "shop",
            "creationTimestamp": "2026-01-01T00:00:00Z",
        },
        "involvedObject": {"kind": "Pod", "namespace": "shop", "name": "web-7d9f8b6c4-x2k9p"},
        "reason": "BackOff",
        "message": "Back-off restarting failed container web",
        "type": "Warning",
        "lastTimestamp": "2026-01-01T00:05:00Z",
    }
    f = tmp_path / "events.jsonl"
    f.write_text(json.dumps(event) + "\n", encoding="utf-8")
    [record] = list(read_logs([f], dead_letters=InMemoryDeadLetters()))
    assert record.timestamp is not None
    assert record.timestamp.isoformat() == "2026-01-01T00:05:00+00:00"
    assert (
        record.message
        == "BackOff Pod/web-7d9f8b6c4-x2k9p: Back-off restarting failed container web"
    )
    assert record.severity.name == "WARNING"
    assert record.service == "kubernetes-events"
    found = extract_entities(record)
    assert (EntityKind.POD, "web-7d9f8b6c4-x2k9p") in found
    assert (EntityKind.NAMESPACE, "shop") in found
