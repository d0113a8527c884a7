"""CSV: header-driven columns, labels, split date/time, wrong column counts, real Loghub CSV."""

from __future__ import annotations

from datetime import UTC, datetime

from logswarm.records import Severity, SourceKind


def test_golden(parse_files, fixtures, dead) -> None:
    ok, declined = parse_files([fixtures / "app.csv"])
    assert ok.source is SourceKind.CSV
    assert (ok.timestamp, ok.service, ok.region, ok.label) == (
        datetime(2024, 5, 1, 10, tzinfo=UTC), "checkout", "eu-west-1", False,
    )  # fmt: skip
    assert declined.message == "card declined, code=51"
    assert (declined.severity, declined.label, declined.line) == (Severity.ERROR, True, 3)
    assert declined.fields["service"] == "payments"
    [letter] = dead.letters
    assert (letter.line, letter.reason) == (4, "CSV row has 4 columns, the header has 6")


def test_split_date_and_time_and_multiline_field(parse_lines, dead) -> None:
    lines = [
        "LineId,Date,Time,Level,Component,Content",
        "1,081109,203615,INFO,dfs.DataNode,Receiving block blk_1",
        '2,081109,203616,WARN,dfs.DataNode,"first line',
        'second line"',
        "3,081109,203617,INFO,dfs.DataNode,done",
    ]
    a, b, c = parse_lines(lines, fmt="csv")
    assert a.timestamp == datetime(2008, 11, 9, 20, 36, 15, tzinfo=UTC)
    assert (a.service, a.message) == ("dfs.DataNode", "Receiving block blk_1")
    assert (b.message, b.line, b.severity) == ("first line\nsecond line", 3, Severity.WARNING)
    assert c.line == 5
    assert dead.count == 0


def test_real_loghub_structured_csv(parse_files, dead, datasets) -> None:
    bgl = datasets / "loghub_2k_corrected" / "BGL" / "BGL_2k.log_structured_corrected.csv"
    records = parse_files([bgl], dedupe=False)
    assert len(records) == 2000
    assert dead.count == 0
    # BGL's Label column: "-" is normal, an alert category (KERNDTLB...) is anomalous
    assert sum(r.label is True for r in records) == 143
    assert records[0].timestamp == datetime.fromtimestamp(1117838570, tz=UTC)
