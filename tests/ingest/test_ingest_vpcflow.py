"""VPC Flow Logs: default v2 with and without header, custom fields, NODATA/SKIPDATA."""

from __future__ import annotations

from datetime import UTC, datetime

from logswarm.ingest import IngestOptions
from logswarm.records import Severity, SourceKind


def test_default_format_golden(parse_files, fixtures, dead) -> None:
    accept, reject, nodata, skipdata = parse_files([fixtures / "vpcflow_default.log"])
    assert accept.source is SourceKind.VPC_FLOW
    assert (
        accept.message == "ACCEPT tcp 172.31.16.139:20641 -> 172.31.16.21:22 packets=20 bytes=4249"
    )
    assert accept.timestamp == datetime.fromtimestamp(1418530010, tz=UTC)
    assert (accept.account, accept.host, accept.service) == (
        "123456789010", "eni-1235b8ca123456789", "vpc",
    )  # fmt: skip
    assert accept.fields["dstport"] == 22
    assert accept.fields["protocol"] == 6
    assert accept.line == 2
    assert reject.severity is Severity.WARNING
    assert reject.message.startswith("REJECT tcp 172.31.9.69:49761 -> 172.31.9.12:3389")
    assert nodata.message == "NODATA eni-1235b8ca123456789"
    assert nodata.fields["srcaddr"] is None
    assert skipdata.message == "SKIPDATA eni-11111111aaaaaaaaa"
    assert dead.count == 0


def test_without_header_and_bad_lines(parse_lines, dead) -> None:
    lines = [
        "2 123456789010 eni-abc 10.0.0.1 1.2.3.4 443 51234 6 10 840 1700000000 1700000060 ACCEPT OK",
        "2 123456789010 eni-abc 10.0.0.1 1.2.3.4 443",
    ]
    [rec] = parse_lines(lines, fmt="vpcflow")
    assert rec.message == "ACCEPT tcp 10.0.0.1:443 -> 1.2.3.4:51234 packets=10 bytes=840"
    [letter] = dead.letters
    assert letter.line == 2
    assert letter.reason == "flow log line has 6 fields, the format has 14"


def test_custom_format_from_header(parse_files, fixtures, dead) -> None:
    first, second = parse_files([fixtures / "vpcflow_custom.log"])
    assert first.region == "eu-west-1"
    assert first.host == "i-01234567890123456"
    assert first.fields["vpc-id"] == "vpc-abcdefab012345678"
    assert first.fields["tcp-flags"] == 2
    assert first.message == "ACCEPT tcp 52.213.180.42:43416 -> 10.0.0.62:5001 packets=8 bytes=568"
    assert second.fields["tcp-flags"] == 18
    assert dead.count == 0


def test_custom_format_from_option(parse_lines) -> None:
    options = IngestOptions(
        vpc_fields=("${srcaddr}", "${dstaddr}", "${action}", "${log-status}", "${region}")
    )
    [rec] = parse_lines(["10.0.0.9 10.0.1.9 REJECT OK us-east-2"], fmt="vpcflow", options=options)
    assert rec.severity is Severity.WARNING
    assert rec.region == "us-east-2"
    assert rec.timestamp is None
    assert rec.message == "REJECT - 10.0.0.9 -> 10.0.1.9 packets=None bytes=None"
