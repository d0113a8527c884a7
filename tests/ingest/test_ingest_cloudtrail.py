"""CloudTrail: S3 Records files (plain and .gz), single events, events per line, bare arrays,
labelled wrappers, truncation, dedupe by eventID, and real Stratus Red Team detonations."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

from logswarm.ingest import detect_format
from logswarm.records import Severity, SourceKind


def _events(fixtures: Path) -> list[dict[str, object]]:
    data = json.loads((fixtures / "cloudtrail_records.json").read_text())
    events: list[dict[str, object]] = data["Records"]
    return events


def test_records_file_golden(parse_files, fixtures, dead) -> None:
    a, b, c = parse_files([fixtures / "cloudtrail_records.json"])
    assert a.source is SourceKind.CLOUDTRAIL
    assert a.message == ("CreateAccessKey by arn:aws:iam::123456789012:user/alice from 203.0.113.7")
    assert a.timestamp == datetime(2024, 3, 5, 10, 15, 2, tzinfo=UTC)
    assert (a.service, a.region, a.account, a.severity) == (
        "iam", "us-east-1", "123456789012", Severity.INFO,
    )  # fmt: skip
    assert a.fields["userIdentity"]["userName"] == "alice"
    assert a.fields["recordIndex"] == 1
    assert a.line == 2  # the line where the event's object starts
    assert b.message.endswith("from 198.51.100.23 (Client.UnauthorizedOperation)")
    assert b.severity is Severity.ERROR
    assert (b.service, b.region, b.fields["recordIndex"], b.line) == ("ec2", "eu-west-1", 2, 28)
    assert c.message == "AssumeRole by autoscaling.amazonaws.com from autoscaling.amazonaws.com"
    assert c.line == 54
    assert dead.count == 0


def test_minified_gz_as_delivered_to_s3(parse_files, fixtures, tmp_path) -> None:
    path = tmp_path / "123456789012_CloudTrail_eu-west-1_20240305T1020Z_abc.json.gz"
    path.write_bytes(gzip.compress(json.dumps({"Records": _events(fixtures)}).encode()))
    assert detect_format(path) == "cloudtrail"
    records = parse_files([path])
    assert [r.fields["eventName"] for r in records] == [
        "CreateAccessKey", "AuthorizeSecurityGroupIngress", "AssumeRole",
    ]  # fmt: skip
    assert {r.line for r in records} == {1}


def test_single_event_file_and_event_per_line(parse_files, fixtures, tmp_path) -> None:
    events = _events(fixtures)
    single = tmp_path / "one.json"
    single.write_text(json.dumps(events[1], indent=2))
    per_line = tmp_path / "events.jsonl"
    per_line.write_text("".join(json.dumps(e) + "\n" for e in events))
    [one] = parse_files([single])
    assert one.fields["eventName"] == "AuthorizeSecurityGroupIngress"
    records = parse_files([per_line], dedupe=False)
    assert [(r.line, r.fields["recordIndex"]) for r in records] == [(1, 1), (2, 2), (3, 3)]
    assert all(r.source is SourceKind.CLOUDTRAIL for r in records)


def test_truncated_array_keeps_what_was_readable(parse_files, fixtures, tmp_path, dead) -> None:
    text = json.dumps({"Records": _events(fixtures)}, indent=1)
    cut = text.index('"eventName": "AssumeRole"')
    path = tmp_path / "cut.json"
    path.write_text(text[:cut])
    records = parse_files([path])
    assert [r.fields["eventName"] for r in records] == [
        "CreateAccessKey", "AuthorizeSecurityGroupIngress",
    ]  # fmt: skip
    [letter] = dead.letters
    assert letter.reason.startswith("truncated JSON")
    assert letter.raw.lstrip().startswith("{")
    assert letter.file == str(path)
    assert letter.line > 1


def test_truncated_gzip_keeps_what_was_readable(parse_files, fixtures, tmp_path, dead) -> None:
    events = _events(fixtures) * 200
    for i, event in enumerate(events):
        event = dict(event)
        events[i] = event | {"eventID": f"id-{i}"}
    blob = gzip.compress(json.dumps({"Records": events}).encode())
    path = tmp_path / "cut.json.gz"
    path.write_bytes(blob[: len(blob) // 2])
    records = parse_files([path])
    assert 0 < len(records) < len(events)
    reasons = [d.reason for d in dead.letters]
    assert any("truncated compressed stream" in r for r in reasons)
    assert any(r.startswith("truncated JSON") for r in reasons)


def test_malformed_document_is_dead_lettered(parse_files, tmp_path, dead) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"Records": [{"eventSource": "s3.amazonaws.com", "eventName": "GetObject"},'
                    ' {"eventSource": oops}]}')  # fmt: skip
    [rec] = parse_files([path], fmt="cloudtrail")
    assert rec.fields["eventName"] == "GetObject"
    [letter] = dead.letters
    assert letter.reason.startswith("malformed JSON")
    assert "oops" in letter.raw


def test_duplicate_event_ids_are_dropped_across_files(
    parse_files, fixtures, tmp_path, stats
) -> None:
    events = _events(fixtures)
    first = tmp_path / "a.json"
    second = tmp_path / "b.json"
    first.write_text(json.dumps({"Records": events[:2]}))
    second.write_text(json.dumps({"Records": events[1:]}))  # re-delivers event 2
    records = parse_files([tmp_path])
    assert len(records) == 3
    assert stats.duplicates_dropped == 1


def test_labelled_wrapper(parse_lines, fixtures) -> None:
    event = _events(fixtures)[0]
    line = json.dumps(
        {"label": "attack", "technique": "persistence.iam-create-user", "event": event}
    )
    [rec] = parse_lines([line], fmt="jsonl")
    assert rec.source is SourceKind.CLOUDTRAIL
    assert rec.label is True
    assert rec.fields["technique"] == "persistence.iam-create-user"


def test_real_stratus_detonation_logs(parse_files, dead, datasets) -> None:
    stratus = datasets / "aws_cloudtrail_stratus_detonations"
    path = stratus / "detonation-logs" / "aws.credential-access.ec2-get-password-data.json"
    records = parse_files([path])
    raw = json.loads(path.read_text())
    assert len(records) == len({e["eventID"] for e in raw})
    assert all(r.timestamp is not None and r.service for r in records)
    assert "ec2" in {r.service for r in records}
    assert any(r.severity is Severity.ERROR for r in records)
    labelled = parse_files([stratus / "events_labeled.jsonl"], dedupe=False)
    assert len(labelled) == 310
    assert all(r.label is True for r in labelled)
    assert dead.count == 0
