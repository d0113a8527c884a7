"""Syslog lines: RFC 3164 (BSD) and RFC 5424, with or without the ``<PRI>`` prefix.

Syslog is what network gear, Linux hosts and many appliances still speak, and what the
operator's syslog source receives. ``<PRI>`` gives facility and severity (``PRI % 8`` is the
severity, mapped to :class:`~logswarm.records.Severity`); without it the level is sniffed from
the message. RFC 3164 timestamps carry no year and no zone: the zone is taken as UTC and the
year is the reference time's (``IngestOptions.reference_time``, else the file's modification
time), moved back one year when that would put the record more than two days in the future
(December logs read in January). ``service`` is the tag (``sshd``), ``host`` the hostname;
``fields`` holds ``facility``, ``severity_code``, ``tag``, ``pid``, ``msgid`` and RFC 5424's
structured data as ``{"sd": {id: {param: value}}}``.

Parsing uses string slicing, not a regular expression per line.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from logswarm.ingest._context import ReadContext
from logswarm.ingest.errors import IngestError
from logswarm.ingest.normalise import SYSLOG_SEVERITY, sniff_severity
from logswarm.ingest.sources import Source
from logswarm.ingest.timeparse import parse_iso
from logswarm.records import LogRecord, Severity, SourceKind

__all__ = ["SyslogParseError", "parse_syslog", "read_syslog"]

_MONTHS: Final = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}


class SyslogParseError(IngestError, ValueError):
    """The line is not syslog (the reader turns it into a dead letter; it never escapes)."""


def _bsd_time(text: str, year: int) -> datetime:
    month = _MONTHS.get(text[:3])
    if month is None or text[3] != " " or text[6] != " " or text[9] != ":" or text[12] != ":":
        raise SyslogParseError("no 'Mmm dd hh:mm:ss' timestamp")
    day = int(text[4:6])
    return datetime(year, month, day, int(text[7:9]), int(text[10:12]), int(text[13:15]),
                    tzinfo=UTC)  # fmt: skip


_FUTURE: Final = timedelta(days=2)


def _year_before(ts: datetime) -> datetime:
    try:
        return ts.replace(year=ts.year - 1)
    except ValueError:  # Feb 29
        return ts - timedelta(days=365)


def _split_tag(rest: str) -> tuple[str | None, str | None, str]:
    """``tag[pid]: message`` -> (tag, pid, message); no tag if the prefix has spaces."""
    colon = rest.find(": ", 0, 128)
    if colon < 0:
        if rest.endswith(":") and " " not in rest:
            colon = len(rest) - 1
        else:
            return None, None, rest
    tag = rest[:colon]
    if " " in tag or not tag:
        return None, None, rest
    pid = None
    if tag.endswith("]"):
        bracket = tag.rfind("[")
        if bracket > 0:
            pid = tag[bracket + 1 : -1]
            tag = tag[:bracket]
    return tag, pid, rest[colon + 2 :]


def _structured_data(text: str) -> tuple[dict[str, dict[str, str]], str]:
    """RFC 5424 ``[id k="v"...]...`` -> (elements, the rest after them)."""
    elements: dict[str, dict[str, str]] = {}
    i, n = 0, len(text)
    while i < n and text[i] == "[":
        end_id = i + 1
        while end_id < n and text[end_id] not in " ]":
            end_id += 1
        sd_id = text[i + 1 : end_id]
        params: dict[str, str] = {}
        i = end_id
        while i < n and text[i] == " ":
            eq = text.find("=", i)
            if eq < 0 or eq + 1 >= n or text[eq + 1] != '"':
                raise SyslogParseError("malformed structured data")
            name = text[i + 1 : eq]
            j = eq + 2
            value: list[str] = []
            while j < n and text[j] != '"':
                if text[j] == "\\" and j + 1 < n and text[j + 1] in '"\\]':
                    j += 1
                value.append(text[j])
                j += 1
            if j >= n:
                raise SyslogParseError("unterminated structured data value")
            params[name] = "".join(value)
            i = j + 1
        if i >= n or text[i] != "]":
            raise SyslogParseError("unterminated structured data element")
        elements[sd_id] = params
        i += 1
    return elements, text[i:]


def parse_syslog(
    text: str, *, reference: datetime, origin: str = "<stream>", line: int = 0
) -> LogRecord:
    """One syslog line as a record; raises :class:`SyslogParseError` if it is not syslog.

    ``reference`` supplies the year of RFC 3164 timestamps (see the module docstring).
    """
    fields: dict[str, Any] = {}
    severity: Severity | None = None
    rest = text
    if text.startswith("<"):
        end = text.find(">", 1, 5)
        if end < 0 or not text[1:end].isdigit():
            raise SyslogParseError("malformed <PRI>")
        pri = int(text[1:end])
        if pri > 191:
            raise SyslogParseError(f"PRI {pri} is out of range")
        fields["facility"] = pri >> 3
        fields["severity_code"] = pri & 7
        severity = SYSLOG_SEVERITY[pri & 7]
        rest = text[end + 1 :]
    if rest[:2] == "1 " and "facility" in fields:
        return _rfc5424(rest[2:], fields, severity, origin=origin, line=line)
    timestamp: datetime | None
    if rest[:1].isdigit():  # RFC 3339 time in a BSD-style line (rsyslog's default template)
        stamp, _, rest = rest.partition(" ")
        timestamp = parse_iso(stamp)
        if timestamp is None:
            raise SyslogParseError(f"unparseable timestamp {stamp!r}")
    else:
        if len(rest) < 16:
            raise SyslogParseError("line too short for an RFC 3164 header")
        try:
            timestamp = _bsd_time(rest, reference.year)
        except (ValueError, IndexError) as e:
            raise SyslogParseError(f"no RFC 3164 timestamp: {e}") from e
        if timestamp > reference + _FUTURE:
            timestamp = _year_before(timestamp)
        rest = rest[16:]
    host, _, rest = rest.partition(" ")
    tag, pid, message = _split_tag(rest)
    if tag is not None:
        fields["tag"] = tag
    if pid is not None:
        fields["pid"] = pid
    fields["hostname"] = host
    if severity is None:
        severity = sniff_severity(message) or Severity.INFO
    return LogRecord(
        timestamp=timestamp, source=SourceKind.SYSLOG, message=message, severity=severity,
        service=tag, host=host or None, fields=fields, file=origin, line=line,
    )  # fmt: skip


def _rfc5424(
    rest: str, fields: dict[str, Any], severity: Severity | None, *, origin: str, line: int
) -> LogRecord:
    parts = rest.split(" ", 5)
    if len(parts) < 5:
        raise SyslogParseError("RFC 5424 header has too few fields")
    stamp, host, app, procid = parts[:4]
    msgid, _, after = parts[4].partition(" ") if len(parts) == 5 else (parts[4], "", parts[5])
    timestamp = None
    if stamp != "-":
        timestamp = parse_iso(stamp)
        if timestamp is None:
            raise SyslogParseError(f"unparseable RFC 5424 timestamp {stamp!r}")
    if after.startswith("-"):
        message = after[2:]
    elif after.startswith("["):
        sd, message = _structured_data(after)
        fields["sd"] = sd
        message = message[1:] if message.startswith(" ") else message
    else:
        raise SyslogParseError("RFC 5424 structured data must be '-' or '[...]'")
    message = message.removeprefix("\ufeff")
    for key, value in (("hostname", host), ("app", app), ("procid", procid), ("msgid", msgid)):
        if value != "-":
            fields[key] = value
    return LogRecord(
        timestamp=timestamp, source=SourceKind.SYSLOG, message=message,
        severity=severity if severity is not None else Severity.INFO,
        service=app if app != "-" else None, host=host if host != "-" else None,
        fields=fields, file=origin, line=line,
    )  # fmt: skip


def read_syslog(source: Source, ctx: ReadContext) -> Iterator[LogRecord]:
    """Records from syslog lines; lines that are not syslog become dead letters."""
    window = ctx.window(SourceKind.SYSLOG)
    stats = ctx.stats
    ref = ctx.reference_time or datetime.now(UTC)
    origin = ctx.origin
    for lineno, text in source.lines(ctx):
        if window is not None and window.seen(text):
            stats.duplicates_dropped += 1
            continue
        try:
            yield parse_syslog(text, reference=ref, origin=origin, line=lineno)
        except SyslogParseError as e:
            ctx.dead(text, f"not syslog: {e}", lineno)
