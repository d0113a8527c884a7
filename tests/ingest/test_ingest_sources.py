"""Files, directories and .gz; and the dirty inputs: truncated, binary, enormous, blank, CRLF."""

from __future__ import annotations

import gzip
import json
import tracemalloc
from pathlib import Path

import pytest

from logswarm.ingest import IngestOptions, SourceError, read_logs
from logswarm.records import SourceKind


def test_mixed_directory_in_sorted_order(parse_files, fixtures, tmp_path, stats, dead) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "a.jsonl").write_text('{"msg": "json"}\n')
    (tmp_path / "b" / "flows.log.gz").write_bytes(
        gzip.compress((fixtures / "vpcflow_default.log").read_bytes())
    )
    (tmp_path / "b" / "sys.log").write_text("<14>Oct 11 22:14:15 host app: hi\n")
    (tmp_path / ".hidden.log").write_text("never read\n")
    (tmp_path / "c.csv").write_bytes((fixtures / "app.csv").read_bytes())
    records = parse_files([tmp_path])
    assert [Path(r.file).name for r in records] == [
        "a.jsonl", "flows.log.gz", "flows.log.gz", "flows.log.gz", "flows.log.gz", "sys.log",
        "c.csv", "c.csv",
    ]  # fmt: skip
    assert stats.by_source == {
        SourceKind.JSONL: 1, SourceKind.VPC_FLOW: 4, SourceKind.SYSLOG: 1, SourceKind.CSV: 2,
    }  # fmt: skip
    assert stats.files == 4
    assert sorted(stats.formats.values()) == ["csv", "jsonl", "syslog", "vpcflow"]
    assert stats.records == 8
    assert (
        stats.bytes_read
        == stats.total_bytes
        == sum(
            p.stat().st_size for p in tmp_path.rglob("*") if p.is_file() and p.name != ".hidden.log"
        )
    )
    assert dead.count == 1  # the short CSV row


def test_truncated_gzip_lines(parse_files, tmp_path, dead) -> None:
    body = "".join(json.dumps({"msg": f"line {i}", "n": i}) + "\n" for i in range(5000))
    blob = gzip.compress(body.encode())
    path = tmp_path / "app.jsonl.gz"
    path.write_bytes(blob[: len(blob) * 2 // 3])
    records = parse_files([path], fmt="jsonl")
    assert 0 < len(records) < 5000
    assert [r.fields["n"] for r in records] == list(range(len(records)))
    letter = dead.letters[-1]
    assert letter.reason.startswith("truncated compressed stream")
    assert letter.file == str(path)


def test_binary_garbage_and_stray_bytes(parse_files, tmp_path, dead, stats) -> None:
    path = tmp_path / "mixed.log"
    path.write_bytes(
        b"first good line\n"
        b"\x00\x01\x02ELF\x00\x00binary\n"
        b"\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8 random\n"
        b"caf\xe9 au lait is fine\n"
        b"\n   \n"
        b"last line\r\n"
    )
    records = parse_files([path], fmt="text")
    assert [r.message for r in records] == [
        "first good line", "caf\ufffd au lait is fine", "last line",
    ]  # fmt: skip
    assert [(d.line, d.reason) for d in dead.letters] == [
        (2, "binary data: the line contains NUL bytes"),
        (3, "binary data: more than 10% of the line is not valid UTF-8"),
    ]
    assert "\\x00" in dead.letters[0].raw
    assert stats.lines_read == 7  # blank lines are read, not records, not dead letters
    assert records[-1].line == 7


def test_enormous_line_is_dead_lettered_with_bounded_memory(parse_files, tmp_path, dead) -> None:
    path = tmp_path / "huge.jsonl"
    with path.open("w") as f:
        f.write('{"msg": "before"}\n')
        f.write('{"msg": "' + "x" * (10 * 1024 * 1024) + '"}\n')
        f.write('{"msg": "after"}\n')
    tracemalloc.start()
    try:
        records = parse_files([path], fmt="jsonl")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [r.message for r in records] == ["before", "after"]
    assert [r.line for r in records] == [1, 3]
    [letter] = dead.letters
    assert letter.line == 2
    assert len(letter.raw) == 65536
    assert letter.raw.startswith('{"msg": "xxx')
    assert "10485772 bytes is longer than the 1048576-byte limit" in letter.reason
    assert "first 65536 characters" in letter.reason
    assert peak < 8 * 1024 * 1024  # the 10 MB line was never held whole


def test_line_limit_is_configurable(parse_lines, dead) -> None:
    options = IngestOptions(max_line_bytes=10, max_raw_chars=4)
    records = parse_lines(["short", "much longer than ten"], fmt="text", options=options)
    assert [r.message for r in records] == ["short"]
    assert dead.letters[0].raw == "much"


def test_missing_path_raises_at_call(dead) -> None:
    with pytest.raises(SourceError, match="no such file"):
        read_logs(["/nonexistent/logs"], dead_letters=dead)


def test_progress_counters_grow_during_a_large_file(tmp_path, dead, stats) -> None:
    path = tmp_path / "many.log"
    path.write_text("".join(f"line {i}\n" for i in range(20000)))
    seen = []
    for i, _ in enumerate(read_logs([path], fmt="text", dead_letters=dead, stats=stats)):
        if i % 5000 == 4999:
            seen.append(stats.bytes_read)
    assert seen == sorted(seen)
    assert 0 < seen[0] < stats.total_bytes
    assert stats.bytes_read == stats.total_bytes
    assert stats.lines_read == 20000
