"""Syslog RFC 3164 (with and without PRI) and RFC 5424, year inference, and non-syslog lines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from logswarm.ingest import IngestOptions
from logswarm.records import Severity, SourceKind


def test_mixed_file_golden(parse_files, fixtures, dead) -> None:
    records = parse_files([fixtures / "syslog_mixed.log"])
    su, sshd, pam, app, kubelet = records
    # <34> = facility 4 (auth), severity 2 (critical)
    assert su.source is SourceKind.SYSLOG
    assert su.timestamp == datetime(2023, 10, 11, 22, 14, 15, tzinfo=UTC)  # year before 2024-06
    assert (su.severity, su.host, su.service) == (Severity.CRITICAL, "mymachine", "su")
    assert su.message == "'su root' failed for lonvick on /dev/pts/8"
    assert (su.fields["facility"], su.fields["severity_code"]) == (4, 2)
    assert sshd.timestamp == datetime(2024, 2, 5, 17, 32, 18, tzinfo=UTC)
    assert (sshd.service, sshd.fields["pid"], sshd.severity) == ("sshd", "4321", Severity.NOTICE)
    assert (pam.service, pam.fields["pid"], pam.host) == ("sshd(pam_unix)", "19939", "combo")
    assert pam.severity is Severity.INFO  # no PRI, nothing to sniff
    assert app.timestamp == datetime(2003, 10, 11, 22, 14, 15, 3000, tzinfo=UTC)
    assert (app.service, app.host, app.fields["msgid"]) == (
        "evntslog", "mymachine.example.com", "ID47",
    )  # fmt: skip
    assert app.fields["sd"] == {
        "exampleSDID@32473": {"iut": "3", "eventSource": "Application", "eventID": "1011"}
    }
    assert app.message == "An application event log entry"
    assert app.severity is Severity.NOTICE  # 165 % 8 == 5
    assert kubelet.timestamp == datetime(2024, 5, 1, 6, 0, tzinfo=UTC)
    assert kubelet.message == 'Failed to pull image "registry.local/app:1.2"'
    assert (kubelet.severity, kubelet.fields["procid"]) == (Severity.INFO, "998")
    [letter] = dead.letters
    assert (letter.line, letter.raw) == (6, "this line is not syslog at all")
    assert letter.reason.startswith("not syslog")


def test_year_comes_from_reference_time(parse_lines) -> None:
    line = "Dec 31 23:59:59 host app: bye"
    options = IngestOptions(reference_time=datetime(2025, 1, 1, 0, 5, tzinfo=UTC))
    [rec] = parse_lines([line], fmt="syslog", options=options)
    assert rec.timestamp == datetime(2024, 12, 31, 23, 59, 59, tzinfo=UTC)
    options = IngestOptions(reference_time=datetime(2025, 12, 31, tzinfo=timezone(timedelta(0))))
    [rec] = parse_lines([line], fmt="syslog", options=options)
    assert rec.timestamp is not None
    assert rec.timestamp.year == 2025


def test_malformed_headers(parse_lines, dead) -> None:
    lines = [
        "<999>Oct 11 22:14:15 host app: pri out of range",
        "<12 Oct 11 22:14:15 host app: unterminated pri",
        "<14>1 yesterday host app - - - bad 5424 time",
        '<14>1 2024-01-01T00:00:00Z host app - - [sd x="unterminated',
        "<14>Oct 11 22:14:15 host app: fine",
    ]
    [rec] = parse_lines(lines, fmt="syslog")
    assert rec.message == "fine"
    assert [d.line for d in dead.letters] == [1, 2, 3, 4]
    assert all(d.reason.startswith("not syslog") for d in dead.letters)


def test_level_sniffed_without_pri(parse_lines) -> None:
    [rec] = parse_lines(["Jun  3 10:00:00 web nginx: ERROR upstream timed out"], fmt="syslog")
    assert rec.severity is Severity.ERROR
    assert rec.timestamp == datetime(2024, 6, 3, 10, tzinfo=UTC)
