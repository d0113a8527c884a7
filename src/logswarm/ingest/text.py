"""Plain-text logs, optionally described by a Loghub-style format string.

Most of the public log-analysis corpora (Loghub's HDFS, BGL, Spark, OpenSSH...) and many
application logs are lines of text with a fixed header. A format string such as
``<Date> <Time> <Level> <Component>: <Content>`` names the header fields the way Loghub's
benchmarks do, so their published settings can be used as they are:

- ``<Name>`` is a field; ``<Content>`` is the message (the last field takes the rest).
- Spaces match any run of spaces.
- Literal text is matched literally, except that ``\\X`` means a literal ``X`` (Loghub writes
  ``\\[<Pid>\\]``), and ``(``, ``)``, ``?`` and ``|`` keep their regular-expression meaning so that
  optional parts such as Thunderbird's ``(\\[<PID>\\])?`` work.

Header fields go to ``fields`` under their names; ``Level`` sets the severity, ``Component`` the
service; the date and time fields (``Date``, ``Time``, ``Month``, ``Day``, ``Year``, or an
epoch ``Timestamp``) become the timestamp when one of many Loghub styles parses them. A line that
does not match the format is a dead letter.

Without a format string, each line is the message, a leading timestamp (ISO-8601, syslog-like,
``[...]``-bracketed) is taken off it when it parses, and the level is sniffed from the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Final

from logswarm.ingest._context import ReadContext
from logswarm.ingest.errors import LogFormatError
from logswarm.ingest.normalise import parse_label, sniff_severity
from logswarm.ingest.sources import Source
from logswarm.ingest.timeparse import LooseTimeParser, parse_iso
from logswarm.records import LogRecord, Severity, SourceKind

__all__ = ["LoghubFormat", "read_text"]

_FIELD: Final = re.compile(r"<([A-Za-z_][A-Za-z0-9_]*)>")
_REGEX_KEEP: Final = frozenset("()?|")
_DATE_PARTS: Final = ("Year", "Month", "Date", "Day", "Time")
_MESSAGE_NAMES: Final = ("Content", "Message", "Msg")


def _literal(text: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            out.append(re.escape(text[i + 1]))
            i += 2
            continue
        if ch == " ":
            j = i
            while j < len(text) and text[j] == " ":
                j += 1
            out.append(r"\s+")
            i = j
            continue
        out.append(ch if ch in _REGEX_KEEP else re.escape(ch))
        i += 1
    return "".join(out)


class LoghubFormat:
    """A compiled ``<Header> ... <Content>`` format; :meth:`parse` returns the named parts."""

    def __init__(self, spec: str) -> None:
        if not isinstance(spec, str) or not spec.strip():
            raise LogFormatError("the log format string is empty")
        self.spec = spec
        pieces = _FIELD.split(spec.strip())
        # split() alternates literal, name, literal, name, ..., literal
        names = pieces[1::2]
        if not names:
            raise LogFormatError(f"no <Field> in log format {spec!r}")
        if len(set(names)) != len(names):
            raise LogFormatError(f"a field is named twice in log format {spec!r}")
        pattern: list[str] = ["^"]
        for i, piece in enumerate(pieces):
            if i % 2 == 0:
                pattern.append(_literal(piece))
            else:
                last = i == len(pieces) - 2
                pattern.append(f"(?P<{piece}>.*)" if last else f"(?P<{piece}>.*?)")
        pattern.append("$")
        try:
            self.regex = re.compile("".join(pattern))
        except re.error as e:
            raise LogFormatError(f"log format {spec!r} is not usable: {e}") from e
        #: The field names, in the order they appear.
        self.headers: tuple[str, ...] = tuple(names)
        self.message_field = next((n for n in _MESSAGE_NAMES if n in names), names[-1])

    def parse(self, line: str) -> dict[str, str] | None:
        """The fields of ``line`` (stripped), or ``None`` if it does not match the format."""
        match = self.regex.match(line.strip())
        if match is None:
            return None
        return {k: (v if v is not None else "") for k, v in match.groupdict().items()}

    def __repr__(self) -> str:
        return f"LoghubFormat({self.spec!r})"


def read_text(source: Source, ctx: ReadContext) -> Iterator[LogRecord]:
    """Records from text lines, with the context's Loghub format when it has one."""
    if ctx.log_format is not None:
        yield from _read_formatted(source, ctx, ctx.log_format)
    else:
        yield from _read_plain(source, ctx)


def _read_formatted(source: Source, ctx: ReadContext, fmt: LoghubFormat) -> Iterator[LogRecord]:
    window = ctx.window(SourceKind.TEXT)
    stats = ctx.stats
    loose = LooseTimeParser(reference=ctx.reference_time)
    headers = fmt.headers
    date_parts = [h for h in headers if h in _DATE_PARTS]
    epoch = next((h for h in headers if h in ("Timestamp", "Epoch")), None)
    level_key = next((h for h in headers if h in ("Level", "Severity", "Lvl")), None)
    service_key = next((h for h in headers if h in ("Component", "Service", "Program")), None)
    host_key = next((h for h in headers if h in ("Node", "Host", "Hostname")), None)
    label_key = next((h for h in headers if h in ("Label", "label")), None)
    msg_key = fmt.message_field
    parse = fmt.parse
    origin = ctx.origin
    for lineno, text in source.lines(ctx):
        if window is not None and window.seen(text):
            stats.duplicates_dropped += 1
            continue
        parts = parse(text)
        if parts is None:
            ctx.dead(text, f"line does not match the log format {fmt.spec!r}", lineno)
            continue
        timestamp = None
        if epoch is not None and parts[epoch].isdigit():
            timestamp = parse_iso(parts[epoch])
        if timestamp is None and date_parts:
            timestamp = loose.parse(" ".join(parts[p] for p in date_parts))
            if timestamp is None and "Time" in parts:
                timestamp = loose.parse(parts["Time"])
        message = parts[msg_key]
        severity = None
        if level_key is not None:
            severity = Severity.parse(parts[level_key])
        if severity is None:
            severity = sniff_severity(message) or Severity.INFO
        yield LogRecord(
            timestamp=timestamp,
            source=SourceKind.TEXT,
            message=message,
            severity=severity,
            service=(parts[service_key] or None) if service_key else None,
            host=(parts[host_key] or None) if host_key else None,
            fields=dict(parts),
            file=origin,
            line=lineno,
            label=parse_label(parts[label_key]) if label_key else None,
        )


_BSD_MONTHS: Final = frozenset(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
)


def _leading_time(text: str, loose: LooseTimeParser) -> tuple[datetime | None, str]:
    """A timestamp at the start of ``text`` and the text after it."""
    head = text[:1]
    if head == "[":
        end = text.find("]", 1, 48)
        if end > 0:
            ts = loose.parse(text[1:end])
            if ts is not None:
                return ts, text[end + 1 :].lstrip()
        return None, text
    tokens = text.split(" ", 3)
    if head.isdigit():
        # Date and time as two tokens first: "2015-10-18" alone would parse as midnight.
        if len(tokens) > 2:
            two = f"{tokens[0]} {tokens[1]}"
            ts = loose.parse(two.rstrip(",:"))
            if ts is not None:
                return ts, text[len(two) :].lstrip(" ,:")
        ts = parse_iso(tokens[0])
        if ts is not None:
            return ts, text[len(tokens[0]) :].lstrip()
        return None, text
    if tokens[0] in _BSD_MONTHS and len(tokens) > 3:
        # "Jun 14 15:16:01 ..." or "Jun  1 09:00:55 ..."
        rest = text[3:].lstrip()
        day, _, rest = rest.partition(" ")
        clock, _, rest = rest.partition(" ")
        ts = loose.parse(f"{tokens[0]} {day} {clock}")
        if ts is not None:
            return ts, rest
    return None, text


def _read_plain(source: Source, ctx: ReadContext) -> Iterator[LogRecord]:
    window = ctx.window(SourceKind.TEXT)
    stats = ctx.stats
    loose = LooseTimeParser(reference=ctx.reference_time)
    origin = ctx.origin
    for lineno, text in source.lines(ctx):
        if window is not None and window.seen(text):
            stats.duplicates_dropped += 1
            continue
        timestamp, message = _leading_time(text, loose)
        yield LogRecord(
            timestamp=timestamp,
            source=SourceKind.TEXT,
            message=message,
            severity=sniff_severity(message) or Severity.INFO,
            file=origin,
            line=lineno,
        )
