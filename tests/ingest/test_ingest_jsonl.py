"""JSON lines: key spellings, time styles, nested keys, labels, and bad lines."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from logswarm.records import Severity, SourceKind


def test_common_record_is_normalised(parse_lines, dead) -> None:
    line = json.dumps(
        {
            "time": "2024-05-01T10:00:00.250+02:00",
            "level": "warn",
            "msg": "slow query took 2300 ms",
            "service": "orders",
            "region": "eu-west-1",
            "account": "123456789012",
            "host": "ip-10-0-1-7",
            "query_id": 7,
        }
    )
    [rec] = parse_lines([line], fmt="jsonl")
    assert rec.timestamp == datetime(2024, 5, 1, 8, 0, 0, 250000, tzinfo=UTC)
    assert rec.source is SourceKind.JSONL
    assert rec.severity is Severity.WARNING
    assert rec.message == "slow query took 2300 ms"
    assert (rec.service, rec.region, rec.account, rec.host) == (
        "orders", "eu-west-1", "123456789012", "ip-10-0-1-7",
    )  # fmt: skip
    assert rec.fields["query_id"] == 7
    assert (rec.file, rec.line) == ("<stream>", 1)
    assert dead.count == 0


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        ({"timestamp": 1714557600}, datetime(2024, 5, 1, 10, 0, tzinfo=UTC)),
        ({"ts": 1714557600123}, datetime(2024, 5, 1, 10, 0, 0, 123000, tzinfo=UTC)),
        ({"@timestamp": 1714557600123456789}, datetime(2024, 5, 1, 10, 0, 0, 123457, tzinfo=UTC)),
        ({"eventTime": "2024-05-01T10:00:00Z"}, datetime(2024, 5, 1, 10, tzinfo=UTC)),
        ({"datetime": "2024-05-01 10:00:00"}, datetime(2024, 5, 1, 10, tzinfo=UTC)),  # naive=UTC
        ({"time": "1714557600.5"}, datetime(2024, 5, 1, 10, 0, 0, 500000, tzinfo=UTC)),
        ({"time": "not a time"}, None),
    ],
)
def test_time_spellings(parse_lines, obj, expected) -> None:
    [rec] = parse_lines([json.dumps({"msg": "x", **obj})], fmt="jsonl")
    assert rec.timestamp == expected
    if expected is not None:
        assert rec.timestamp is not None
        assert rec.timestamp.utcoffset().total_seconds() == 0


def test_nested_and_dotted_keys(parse_lines) -> None:
    ecs = {"@timestamp": "2024-05-01T10:00:00Z", "log": {"level": "error"}, "message": "boom"}
    fluent = {
        "log": "GET /healthz 200",
        "kubernetes": {"labels": {"app": "frontend"}, "host": "node-1"},
    }
    dotted = {"log.level": "debug", "msg": "x", "service.name": "api"}
    a, b, c = parse_lines([json.dumps(ecs), json.dumps(fluent), json.dumps(dotted)], fmt="jsonl")
    assert (a.severity, a.message) == (Severity.ERROR, "boom")
    assert a.fields == ecs  # original, nested structure is kept
    assert (b.message, b.service, b.host) == ("GET /healthz 200", "frontend", "node-1")
    assert (c.severity, c.service) == (Severity.DEBUG, "api")


@pytest.mark.parametrize(
    ("level", "severity"),
    [(50, Severity.ERROR), (30, Severity.INFO), (3, Severity.ERROR), ("FATAL", Severity.CRITICAL)],
)
def test_numeric_and_word_levels(parse_lines, level, severity) -> None:
    [rec] = parse_lines([json.dumps({"level": level, "msg": "x"})], fmt="jsonl")
    assert rec.severity is severity


def test_level_sniffed_when_absent_and_message_falls_back_to_raw(parse_lines) -> None:
    a, b = parse_lines(['{"msg": "ERROR disk full"}', '{"status": 500}'], fmt="jsonl")
    assert a.severity is Severity.ERROR
    assert b.message == '{"status": 500}'


@pytest.mark.parametrize(
    ("value", "label"),
    [(True, True), (0, False), ("anomaly", True), ("normal", False), ("checkout", None)],
)
def test_ground_truth_label(parse_lines, value, label) -> None:
    [rec] = parse_lines([json.dumps({"msg": "x", "label": value})], fmt="jsonl")
    assert rec.label is label
    [rec] = parse_lines([json.dumps({"msg": "x", "logswarm_label": value})], fmt="jsonl")
    assert rec.label is label


def test_malformed_lines_are_dead_letters_and_the_run_goes_on(parse_lines, dead, stats) -> None:
    lines = ['{"msg": "ok 1"}', '{"msg": "cut', "[1, 2]", "42", '{"msg": "ok 2"}']
    records = parse_lines(lines, fmt="jsonl")
    assert [r.message for r in records] == ["ok 1", "ok 2"]
    assert [r.line for r in records] == [1, 5]
    assert [(d.line, d.raw) for d in dead.letters] == [
        (2, '{"msg": "cut'),
        (3, "[1, 2]"),
        (4, "42"),
    ]
    assert dead.letters[0].reason.startswith("invalid JSON")
    assert "not a JSON object" in dead.letters[2].reason
    assert stats.dead_letters == 3
    assert stats.records == 2
    assert stats.lines_read == 5


def test_pretty_printed_objects_in_a_file(parse_files, tmp_path, dead) -> None:
    path = tmp_path / "pretty.json"
    path.write_text('{\n  "msg": "first",\n  "level": "info"\n}\n{\n  "msg": "second"\n}\n')
    records = parse_files([path], fmt="jsonl")
    assert [(r.message, r.line) for r in records] == [("first", 1), ("second", 5)]
    assert dead.count == 0
