"""Plain text: Loghub format strings on real lines, the Loghub date styles, and plain lines."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from logswarm.ingest import LogFormatError, LoghubFormat
from logswarm.records import Severity, SourceKind

# (format string, a real line from Loghub, expected UTC timestamp, expected message)
LOGHUB = {
    "HDFS": (
        "<Date> <Time> <Pid> <Level> <Component>: <Content>",
        "081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block "
        "blk_38865049064139660 terminating",
        datetime(2008, 11, 9, 20, 36, 15, tzinfo=UTC),
        "PacketResponder 1 for block blk_38865049064139660 terminating",
    ),
    "Hadoop": (
        r"<Date> <Time> <Level> \[<Process>\] <Component>: <Content>",
        "2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: "
        "Created MRAppMaster for application appattempt_1445144423722_0020_000001",
        datetime(2015, 10, 18, 18, 1, 47, 978000, tzinfo=UTC),
        "Created MRAppMaster for application appattempt_1445144423722_0020_000001",
    ),
    "Spark": (
        "<Date> <Time> <Level> <Component>: <Content>",
        "17/06/09 20:10:40 INFO executor.CoarseGrainedExecutorBackend: Registered signal "
        "handlers for [TERM, HUP, INT]",
        datetime(2017, 6, 9, 20, 10, 40, tzinfo=UTC),
        "Registered signal handlers for [TERM, HUP, INT]",
    ),
    "Linux": (
        r"<Month> <Date> <Time> <Level> <Component>(\[<PID>\])?: <Content>",
        "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0",
        datetime(2024, 6, 14, 15, 16, 1, tzinfo=UTC),
        "authentication failure; logname= uid=0",
    ),
    "BGL": (
        "<Label> <Timestamp> <Date> <Node> <Time> <NodeRepeat> <Type> <Component> <Level> "
        "<Content>",
        "- 1117838570 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.675872 "
        "R02-M1-N0-C:J12-U11 RAS KERNEL INFO instruction cache parity error corrected",
        datetime(2005, 6, 3, 22, 42, 50, tzinfo=UTC),
        "instruction cache parity error corrected",
    ),
    "HealthApp": (
        r"<Time>\|<Component>\|<Pid>\|<Content>",
        "20171223-22:15:29:606|Step_LSC|30002312|onStandStepChanged 3579",
        datetime(2017, 12, 23, 22, 15, 29, 606000, tzinfo=UTC),
        "onStandStepChanged 3579",
    ),
    "Apache": (
        r"\[<Time>\] \[<Level>\] <Content>",
        "[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties",
        datetime(2005, 12, 4, 4, 47, 44, tzinfo=UTC),
        "workerEnv.init() ok /etc/httpd/conf/workers2.properties",
    ),
    "Android": (
        "<Date> <Time>  <Pid>  <Tid> <Level> <Component>: <Content>",
        "03-17 16:13:38.811  1702  2395 D WindowManager: printFreezingDisplayLogsopening app",
        datetime(2024, 3, 17, 16, 13, 38, 811000, tzinfo=UTC),
        "printFreezingDisplayLogsopening app",
    ),
}


@pytest.mark.parametrize("system", sorted(LOGHUB))
def test_loghub_format_on_real_lines(parse_lines, dead, system) -> None:
    spec, line, ts, message = LOGHUB[system]
    [rec] = parse_lines([line], fmt="text", log_format=spec)
    assert rec.source is SourceKind.TEXT
    assert rec.timestamp == ts
    assert rec.message == message
    assert set(rec.fields) == set(LoghubFormat(spec).headers)
    assert dead.count == 0


def test_headers_level_component_label(parse_lines, dead) -> None:
    spec = LOGHUB["BGL"][0]
    alert = (
        "KERNDTLB 1118536327 2005.06.11 R30-M0-N9-C:J16-U01 2005-06-11-17.32.07.581048 "
        "R30-M0-N9-C:J16-U01 RAS KERNEL FATAL data TLB error interrupt"
    )
    normal, anomalous = parse_lines(
        [LOGHUB["BGL"][1], alert, "garbage"], fmt="text", log_format=spec
    )
    assert (normal.label, anomalous.label) == (False, True)
    assert (anomalous.severity, anomalous.service) == (Severity.CRITICAL, "KERNEL")
    assert anomalous.host == "R30-M0-N9-C:J16-U01"
    [letter] = dead.letters
    assert letter.reason == f"line does not match the log format {spec!r}"


@pytest.mark.parametrize("spec", ["", "no fields at all", "<A> <A>"])
def test_bad_format_strings(spec) -> None:
    with pytest.raises(LogFormatError):
        LoghubFormat(spec)


def test_format_parse_api() -> None:
    fmt = LoghubFormat("<Date> <Time> <Level> <Component>: <Content>")
    assert fmt.headers == ("Date", "Time", "Level", "Component", "Content")
    assert fmt.parse("2024-01-01 10:00:00 INFO api: up: and running") == {
        "Date": "2024-01-01", "Time": "10:00:00", "Level": "INFO", "Component": "api",
        "Content": "up: and running",
    }  # fmt: skip
    assert fmt.parse("nope") is None


@pytest.mark.parametrize(
    ("line", "ts", "message", "severity"),
    [
        ("2015-10-18 18:01:47,978 ERROR boom", datetime(2015, 10, 18, 18, 1, 47, 978000, tzinfo=UTC),
         "ERROR boom", Severity.ERROR),
        ("2024-01-01T00:00:00+01:00 started", datetime(2023, 12, 31, 23, tzinfo=UTC), "started",
         Severity.INFO),
        ("[10.30 16:49:06] chrome.exe - open", datetime(2023, 10, 30, 16, 49, 6, tzinfo=UTC),
         "chrome.exe - open", Severity.INFO),
        ("Jun  1 09:00:55 WARN disk", datetime(2024, 6, 1, 9, 0, 55, tzinfo=UTC), "WARN disk",
         Severity.WARNING),
        ("no time here [error] at all", None, "no time here [error] at all", Severity.ERROR),
    ],
)  # fmt: skip
def test_plain_lines(parse_lines, line, ts, message, severity) -> None:
    [rec] = parse_lines([line], fmt="text")
    assert (rec.timestamp, rec.message, rec.severity) == (ts, message, severity)


@pytest.mark.parametrize("system", sorted(LOGHUB))
def test_whole_loghub_files_parse(parse_files, dead, datasets, system) -> None:
    path = datasets / "loghub_2k_corrected" / system / f"{system}_2k.log"
    records = parse_files([path], log_format=LOGHUB[system][0], dedupe=False)
    assert len(records) == 2000
    assert dead.count == 0
    assert all(r.timestamp is not None for r in records)
