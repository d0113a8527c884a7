"""Stream the events out of a JSON *document* without loading it whole.

CloudTrail delivers ``{"Records": [ev, ev, ...]}`` files to S3, often as one enormous line;
other tools export a bare ``[ev, ev, ...]`` array or pretty-printed objects one after another.
:func:`iter_documents` walks such text chunk by chunk with ``json.JSONDecoder.raw_decode``,
yielding one event at a time, so memory is bounded by the largest single event, not the file.

When the text ends mid-event (a truncated download, a cut ``.gz``) or turns malformed, every
event decoded so far has already been yielded; the unreadable rest becomes one dead letter that
says where it starts and why.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, Final

from logswarm.ingest._context import ReadContext

__all__ = ["iter_documents"]

_WS: Final = " \t\r\n\ufeff"
_RECORDS: Final = re.compile(r'\{\s*"Records"\s*:\s*\[')
_DECODER: Final = json.JSONDecoder()


class _StopReadingError(Exception):
    """The rest of the text cannot be read (already dead-lettered)."""


class _Buffer:
    """The unread text plus where it sits in the file (for line numbers)."""

    def __init__(self, chunks: Iterator[str], ctx: ReadContext) -> None:
        self.chunks = chunks
        self.ctx = ctx
        self.text = ""
        self.pos = 0
        self.eof = False
        # Line number of self.text[0], and a memo of counted newlines up to _mark.
        self._line0 = 1
        self._mark = 0
        self._mark_line = 1

    def more(self, at_least: int = 1) -> bool:
        """Append at least ``at_least`` more characters; False at end of input."""
        if self.eof:
            return False
        got = 0
        parts = [self.text]
        for chunk in self.chunks:
            parts.append(chunk)
            got += len(chunk)
            if got >= at_least:
                break
        else:
            self.eof = True
        self.text = "".join(parts)
        return got > 0

    def compact(self) -> None:
        if self.pos > (1 << 20):
            self._line0 = self.line_at(self.pos)
            self.text = self.text[self.pos :]
            self.pos = 0
            self._mark = 0
            self._mark_line = self._line0

    def line_at(self, index: int) -> int:
        if index < self._mark:
            return self._line0 + self.text.count("\n", 0, index)
        self._mark_line += self.text.count("\n", self._mark, index)
        self._mark = index
        return self._mark_line

    def skip_ws(self) -> str:
        """The next non-blank character (or "" at end), with ``pos`` on it."""
        while True:
            text, pos = self.text, self.pos
            n = len(text)
            while pos < n and text[pos] in _WS:
                pos += 1
            self.pos = pos
            if pos < n:
                return text[pos]
            if not self.more():
                return ""

    def fail(self, reason: str) -> _StopReadingError:
        start = self.pos
        rest = self.text[start : start + self.ctx.options.max_raw_chars + 1]
        self.ctx.dead(rest, reason, self.line_at(start))
        return _StopReadingError(reason)

    def decode(self) -> Any:
        """Decode the JSON value at ``pos``, reading more text as needed."""
        limit = self.ctx.options.max_document_bytes
        while True:
            text, pos = self.text, self.pos
            try:
                value, end = _DECODER.raw_decode(text, pos)
            except json.JSONDecodeError as e:
                incomplete = (
                    e.msg.startswith("Unterminated string") or e.pos >= len(text.rstrip(_WS)) - 6
                )
                if not incomplete or self.eof:
                    what = "truncated JSON" if incomplete else "malformed JSON"
                    raise self.fail(
                        f"{what} at line {self.line_at(min(e.pos, len(text)))}: "
                        f"{e.msg}; the rest of the file is unreadable"
                    ) from e
                if len(text) - pos > limit:
                    raise self.fail(
                        f"a single JSON value is larger than {limit} characters; "
                        "the rest of the file is skipped"
                    ) from e
                self.more(max(len(text) - pos, self.ctx.options.chunk_chars))
                continue
            if end == len(text) and not self.eof and self.more():
                continue  # a number or literal cut at the chunk edge: decode again
            self.pos = end
            return value


def iter_documents(chunks: Iterator[str], ctx: ReadContext) -> Iterator[tuple[int, Any]]:
    """``(line where the event starts, event)`` for each event of a document-style file.

    Events are the elements of a top-level array, the elements of a ``{"Records": [...]}``
    object (streamed), or top-level values themselves (objects one after another).
    """
    buf = _Buffer(chunks, ctx)
    try:
        while True:
            ch = buf.skip_ws()
            if not ch:
                return
            if ch == "[":
                buf.pos += 1
                yield from _array(buf)
                continue
            if ch == "{":
                if len(buf.text) - buf.pos < 64:
                    buf.more()
                if _RECORDS.match(buf.text, buf.pos):
                    buf.pos = _RECORDS.match(buf.text, buf.pos).end()  # type: ignore[union-attr]
                    yield from _array(buf)
                    _object_rest(buf)
                    continue
            line = buf.line_at(buf.pos)
            value = buf.decode()
            if isinstance(value, dict) and isinstance(value.get("Records"), list):
                for event in value["Records"]:
                    yield line, event
            else:
                yield line, value
            buf.compact()
    except _StopReadingError:
        return


def _array(buf: _Buffer) -> Iterator[tuple[int, Any]]:
    """Yield the elements of an array whose ``[`` was just consumed, then consume ``]``."""
    while True:
        ch = buf.skip_ws()
        if ch == "]":
            buf.pos += 1
            return
        if ch == ",":
            buf.pos += 1
            continue
        if not ch:
            raise buf.fail("truncated JSON: the array is not closed")
        line = buf.line_at(buf.pos)
        yield line, buf.decode()
        buf.compact()


def _object_rest(buf: _Buffer) -> None:
    """Skip the keys after ``"Records": [...]`` up to the closing ``}``."""
    while True:
        ch = buf.skip_ws()
        if ch == "}":
            buf.pos += 1
            return
        if ch == ",":
            buf.pos += 1
            continue
        if not ch:
            raise buf.fail("truncated JSON: the object is not closed")
        buf.decode()  # key
        if buf.skip_ws() != ":":
            raise buf.fail("malformed JSON: expected ':' after a key")
        buf.pos += 1
        buf.skip_ws()
        buf.decode()  # value
