"""Fluent Bit / Vector bodies become records; what cannot is a dead letter with its reason."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from logswarm.features import extract_entities
from logswarm.incidents import EntityKind
from logswarm.operator.intake.push import MAX_RECORD_BYTES, PushFormatError, parse_push
from logswarm.records import Severity

NOW = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)

#: Fluent Bit ``http`` output, ``format json``, after the kubernetes filter.
FLUENT_BIT = [
    {
        "date": 1795672800.25,
        "log": "2026-11-25T06:00:00Z ERROR payment failed: upstream timeout\n",
        "stream": "stderr",
        "kubernetes": {
            "pod_name": "pay-5b7c-x2x",
            "namespace_name": "shop",
            "container_name": "pay",
            "labels": {"app": "payments"},
        },
    }
]
#: Vector ``http`` sink, ``encoding.codec = "json"``, newline-delimited framing.
VECTOR_NDJSON = "\n".join(
    json.dumps(r)
    for r in [
        {
            "message": "GET /health 200",
            "timestamp": "2026-11-25T06:00:01.5Z",
            "kubernetes": {
                "pod_name": "web-1",
                "pod_namespace": "shop",
                "container_name": "web",
                "pod_labels": {"app.kubernetes.io/name": "storefront"},
            },
        },
        {"message": "level=warn slow query", "timestamp": "2026-11-25T06:00:02Z"},
    ]
)


def test_fluent_bit_json_array() -> None:
    batch = parse_push(json.dumps(FLUENT_BIT).encode(), origin="push/shop/core", now=NOW)
    (record,) = batch.records
    assert not batch.dead_letters
    assert record.message.endswith("upstream timeout")  # trailing newline gone
    assert record.severity == Severity.ERROR
    assert record.service == "payments"
    assert record.timestamp == datetime.fromtimestamp(1795672800.25, tz=UTC)
    assert (record.file, record.line) == ("push/shop/core", 1)
    assert (EntityKind.POD, "pay-5b7c-x2x") in extract_entities(record)


def test_vector_json_lines_number_lines_from_first_line() -> None:
    batch = parse_push(VECTOR_NDJSON.encode(), origin="push/x/y", first_line=41, now=NOW)
    assert [r.line for r in batch.records] == [41, 42]
    assert batch.records[0].service == "storefront"
    assert batch.records[1].timestamp == datetime(2026, 11, 25, 6, 0, 2, tzinfo=UTC)


def test_a_record_without_time_gets_its_arrival_time() -> None:
    (record,) = parse_push(b'[{"log": "hello"}]', origin="o", now=NOW).records
    assert record.timestamp == NOW


def test_malformed_records_are_dead_letters_with_reasons() -> None:
    body = "\n".join(
        [
            '{"log": "fine"}',
            '{"log": "broken',
            "[1, 2]",
            '{"stream": "stdout"}',
            json.dumps({"log": "x" * (MAX_RECORD_BYTES + 1)}),
        ]
    )
    batch = parse_push(body.encode(), origin="push/a/b", now=NOW)
    assert [r.message for r in batch.records] == ["fine"]
    reasons = {d.line: d.reason for d in batch.dead_letters}
    assert reasons[2].startswith("invalid JSON")
    assert reasons[3] == "not a JSON object (list)"
    assert reasons[4].startswith("no message field")
    assert reasons[5].startswith("record larger than")
    assert all(d.file == "push/a/b" for d in batch.dead_letters)


def test_array_elements_that_are_not_objects_are_dead_letters() -> None:
    batch = parse_push(b'[{"msg": "ok"}, "just a string", 7]', origin="o", now=NOW)
    assert len(batch.records) == 1
    assert [d.reason for d in batch.dead_letters] == [
        "not a JSON object (str)",
        "not a JSON object (int)",
    ]


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (b"[{", "not a JSON array"),
        (b"hello world", "neither JSON nor JSON lines"),
        (b'"a string"', "not an array or object"),
        (b"\xff\xfe", "not UTF-8"),
    ],
)
def test_bodies_that_are_not_json_are_refused_whole(body: bytes, needle: str) -> None:
    with pytest.raises(PushFormatError, match=needle):
        parse_push(body, origin="o", now=NOW)


def test_an_empty_body_is_an_empty_batch() -> None:
    batch = parse_push(b"  \n", origin="o", now=NOW)
    assert not batch.records
    assert not batch.dead_letters
