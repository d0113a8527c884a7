"""Loghub-style format strings (``<Date> <Time> <Level> <Component>: <Content>``) as regexes.

Why it exists: ``logswarm templates --log-format`` and the parsing benchmark must cut the
``Content`` field out of raw lines the way the Loghub benchmark does. The ingestion layer has
its own reader for this; this private copy keeps template mining independent of it (to be
deduplicated once both have settled).

Semantics follow the logparser benchmark: ``<Name>`` is a field matching anything (lazily,
the last field greedily up to the end of the line); text between fields is a regular
expression fragment in which a run of spaces matches any run of whitespace. That is why
benchmark formats write literal brackets as ``\\[``.
"""

from __future__ import annotations

import re

__all__ = ["LogFormat", "LogFormatError"]

_FIELD = re.compile(r"<([A-Za-z_][A-Za-z0-9_]*)>")
_SPACES = re.compile(r" +")


class LogFormatError(ValueError):
    """The format string cannot be turned into a regex."""


class LogFormat:
    """A compiled Loghub format string; :meth:`split` returns the fields of one line."""

    __slots__ = ("fields", "pattern", "regex")

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        parts = _FIELD.split(pattern)
        names = parts[1::2]
        if not names:
            raise LogFormatError(f"format {pattern!r} names no <Field>")
        if len(set(names)) != len(names):
            raise LogFormatError(f"format {pattern!r} names a field twice")
        regex = []
        for index, part in enumerate(parts):
            if index % 2 == 0:
                regex.append(_SPACES.sub(r"\\s+", part))
            else:
                regex.append(f"(?P<{part}>.*?)")
        try:
            self.regex = re.compile("^" + "".join(regex) + "$")
        except re.error as error:
            raise LogFormatError(f"format {pattern!r} is not a valid pattern: {error}") from error
        self.fields: tuple[str, ...] = tuple(names)

    def split(self, line: str) -> dict[str, str] | None:
        """The fields of ``line`` (trailing newline ignored), or None if it does not match."""
        found = self.regex.match(line.rstrip("\r\n"))
        if found is None:
            return None
        return {name: (value or "").strip() for name, value in found.groupdict().items()}
