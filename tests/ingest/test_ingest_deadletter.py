"""Dead-letter sinks and the dedupe window."""

from __future__ import annotations

import json

import pytest

from logswarm.ingest import DeadLetterSink, InMemoryDeadLetters, JsonlDeadLetterWriter, read_logs
from logswarm.ingest.dedupe import DedupeWindow
from logswarm.records import DeadLetter


def test_jsonl_writer_file_contents(tmp_path) -> None:
    log = tmp_path / "app.jsonl"
    log.write_text('{"msg": "ok"}\n{"msg": \n{"msg": "ok 2"}\n')
    out = tmp_path / "out" / "dead-letters.jsonl"
    with JsonlDeadLetterWriter(out) as sink:
        records = list(read_logs([log], dead_letters=sink))
        assert sink.count == 1
    assert len(records) == 2
    [row] = [json.loads(line) for line in out.read_text().splitlines()]
    assert set(row) == {"raw", "reason", "file", "line"}
    assert (row["raw"], row["file"], row["line"]) == ('{"msg": ', str(log), 2)
    assert row["reason"].startswith("invalid JSON")


def test_jsonl_writer_creates_no_file_on_a_clean_run(tmp_path) -> None:
    out = tmp_path / "dead.jsonl"
    with JsonlDeadLetterWriter(out) as sink:
        assert sink.path == out
    assert not out.exists()
    assert isinstance(sink, DeadLetterSink)
    assert isinstance(InMemoryDeadLetters(), DeadLetterSink)


def test_jsonl_writer_keeps_unicode(tmp_path) -> None:
    out = tmp_path / "dead.jsonl"
    with JsonlDeadLetterWriter(out) as sink:
        sink.write(DeadLetter(raw="café \ufffd", reason="r", file="f", line=3))
    assert json.loads(out.read_text(encoding="utf-8"))["raw"] == "café \ufffd"


def test_dedupe_window_is_bounded() -> None:
    window = DedupeWindow(2)
    assert [window.seen(k) for k in ("a", "b", "a", "c", "a")] == [False, False, True, False, False]
    assert len(window) == 2
    with pytest.raises(ValueError, match="at least 1"):
        DedupeWindow(0)


def test_repeats_within_one_input_are_real_events(parse_lines, stats) -> None:
    # Re-deliveries across inputs are dropped (test_ingest_dedupe_origin.py); a line repeated
    # inside one input is a real event that happened twice in the same second.
    lines = ['{"msg": "a"}', '{"msg": "a"}', '{"msg": "a" }', '{"msg": "b"}', '{"msg": "a"}']
    records = parse_lines(lines, fmt="jsonl")
    assert [r.line for r in records] == [1, 2, 3, 4, 5]
    assert stats.duplicates_dropped == 0


def test_dedupe_off_keeps_everything(parse_lines, stats) -> None:
    records = parse_lines(['{"msg": "a"}'] * 3, fmt="jsonl", dedupe=False)
    assert len(records) == 3
    assert stats.duplicates_dropped == 0
