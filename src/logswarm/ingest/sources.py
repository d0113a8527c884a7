"""Where bytes come from: files, directories, ``.gz`` and in-memory line streams.

Every reader consumes a :class:`Source`, which hands out numbered text lines (or, for
document-style JSON, text chunks) with bounded memory whatever the input holds. This module is
the one place that deals with the dirty facts of inputs, so that the format readers see only
clean text:

- ``.gz`` is recognised by its magic bytes (not its name) and decompressed as a stream; a
  truncated or corrupt gzip keeps every line read before the damage and dead-letters the rest.
- A line longer than ``max_line_bytes`` is read through in bounded chunks and dead-lettered,
  never held whole in memory.
- Undecodable bytes: a line with a NUL byte, or whose invalid UTF-8 exceeds a tenth of its
  characters, is binary garbage and is dead-lettered; a line with a few invalid bytes (a stray
  Latin-1 accent) is decoded with U+FFFD replacement characters and kept.
- Blank lines are counted in ``lines_read`` but are not records and not dead letters.
"""

from __future__ import annotations

import codecs
import gzip
import itertools
import os
import zlib
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO, Protocol

from logswarm.ingest._context import ReadContext
from logswarm.ingest.errors import SourceError

__all__ = ["FileSource", "Source", "StreamSource", "expand_paths"]

_GZIP_MAGIC = b"\x1f\x8b"
#: How often (in lines) the byte counter of a file is refreshed for a progress bar.
_PROGRESS_EVERY = 4096
_HEAD_BYTES = 65536


class Source(Protocol):
    """A readable input: numbered lines for line formats, text chunks for JSON documents."""

    name: str

    def head_text(self) -> str:
        """The first ~64 KiB of text (decompressed), for format detection and reader modes."""
        ...

    def lines(self, ctx: ReadContext) -> Iterator[tuple[int, str]]:
        """``(1-based line number, text without the newline)`` for every usable line."""
        ...

    def chunks(self, ctx: ReadContext) -> Iterator[str]:
        """The whole text in pieces of about ``ctx.options.chunk_chars`` characters."""
        ...


def expand_paths(paths: Sequence[str | Path]) -> list[Path]:
    """Files named by ``paths``; directories are walked recursively, sorted by path.

    Hidden files and folders (``.name``) inside a directory are skipped; a file named
    explicitly is always read.
    """
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found: list[Path] = []
            for root, dirs, names in os.walk(path):
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                found.extend(Path(root, n) for n in names if not n.startswith("."))
            # Sorted by path components: a.log, b/x.log, c.log (as `find | sort` would list).
            files.extend(sorted(found, key=lambda p: p.relative_to(path).parts))
        elif path.is_file():
            files.append(path)
        elif path.exists():
            raise SourceError(f"not a regular file or directory: {path}")
        else:
            raise SourceError(f"no such file or directory: {path}")
    return files


def _open(path: Path) -> tuple[BinaryIO, BinaryIO]:
    """``(decoded stream, raw file)``: the raw file's position is the on-disk progress."""
    try:
        raw: BinaryIO = path.open("rb")
    except OSError as e:
        raise SourceError(f"cannot open {path}: {e}") from e
    if raw.peek(2)[:2] == _GZIP_MAGIC:  # type: ignore[attr-defined]
        return gzip.GzipFile(fileobj=raw, mode="rb"), raw  # type: ignore[return-value]
    return raw, raw


_STREAM_ERRORS = (EOFError, OSError, zlib.error)


def _stream_error_reason(exc: BaseException) -> str:
    if isinstance(exc, EOFError):
        return f"truncated compressed stream, the rest of the file is unreadable: {exc}"
    return f"unreadable stream, the rest of the file is skipped: {exc}"


def _strip_newline(text: str) -> str:
    if text.endswith("\n"):
        text = text[:-1]
        if text.endswith("\r"):
            text = text[:-1]
    return text


def _is_binary_text(text: str) -> bool:
    bad = text.count("\ufffd")
    return bad > 1 and bad * 10 > len(text)


class FileSource:
    """One file on disk, plain or gzip-compressed."""

    def __init__(self, path: Path, *, name: str | None = None, progress_base: int = 0) -> None:
        self.path = path
        self.name = name if name is not None else str(path)
        #: Bytes of the files before this one, so ``stats.bytes_read`` counts the whole run.
        self.progress_base = progress_base

    def head_text(self) -> str:
        stream, raw = _open(self.path)
        parts: list[bytes] = []
        size = 0
        try:
            # read1, not read: a truncated .gz raises, and read() would lose what it had.
            while size < _HEAD_BYTES:
                part = stream.read1(_HEAD_BYTES - size)  # type: ignore[attr-defined]
                if not part:
                    break
                parts.append(part)
                size += len(part)
        except _STREAM_ERRORS:
            pass
        finally:
            stream.close()
            raw.close()
        return b"".join(parts).decode("utf-8", "replace")

    def lines(self, ctx: ReadContext) -> Iterator[tuple[int, str]]:
        stream, raw = _open(self.path)
        stats = ctx.stats
        limit = ctx.options.max_line_bytes
        readline = stream.readline
        lineno = 0
        pending = 0
        base = self.progress_base
        try:
            while True:
                try:
                    data = readline(limit + 1)
                except _STREAM_ERRORS as e:
                    ctx.dead("", _stream_error_reason(e), lineno + 1)
                    break
                if not data:
                    break
                lineno += 1
                pending += 1
                if pending >= _PROGRESS_EVERY:
                    stats.lines_read += pending
                    pending = 0
                    stats.bytes_read = base + raw.tell()
                if len(data) > limit and not data.endswith(b"\n"):
                    ok = self._skip_long_line(data, readline, limit, lineno, ctx)
                    if not ok:
                        break
                    continue
                if b"\x00" in data:
                    ctx.dead(
                        data.decode("utf-8", "replace").replace("\x00", "\\x00"),
                        "binary data: the line contains NUL bytes",
                        lineno,
                    )
                    continue
                try:
                    text = data.decode("utf-8")
                except UnicodeDecodeError:
                    text = data.decode("utf-8", "replace")
                    if _is_binary_text(text):
                        ctx.dead(
                            _strip_newline(text),
                            "binary data: more than 10% of the line is not valid UTF-8",
                            lineno,
                        )
                        continue
                text = _strip_newline(text)
                if not text or text.isspace():
                    continue
                yield lineno, text
        finally:
            stats.lines_read += pending
            stream.close()
            raw.close()

    @staticmethod
    def _skip_long_line(
        data: bytes, readline: object, limit: int, lineno: int, ctx: ReadContext
    ) -> bool:
        """Read through an over-long line in bounded chunks; False if the stream broke."""
        assert callable(readline)
        keep = ctx.options.max_raw_chars
        head = data[: keep * 4].decode("utf-8", "replace")[:keep]
        total = len(data)
        ok = True
        while not data.endswith(b"\n"):
            try:
                data = readline(limit + 1)
            except _STREAM_ERRORS as e:
                ctx.dead("", _stream_error_reason(e), lineno + 1)
                ok = False
                break
            if not data:
                break
            total += len(data)
        ctx.dead(
            head,
            f"line of {total} bytes is longer than the {limit}-byte limit; "
            f"raw keeps its first {len(head)} characters",
            lineno,
        )
        return ok

    def chunks(self, ctx: ReadContext) -> Iterator[str]:
        stream, raw = _open(self.path)
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        size = ctx.options.chunk_chars
        stats = ctx.stats
        last = "\n"
        try:
            while True:
                try:
                    data = stream.read1(size)  # type: ignore[attr-defined]
                except _STREAM_ERRORS as e:
                    ctx.dead("", _stream_error_reason(e), stats.lines_read + 1)
                    break
                if not data:
                    break
                text = decoder.decode(data)
                stats.lines_read += text.count("\n")
                stats.bytes_read = self.progress_base + raw.tell()
                if text:
                    last = text[-1]
                    yield text
            tail = decoder.decode(b"", final=True)
            if tail:
                last = tail[-1]
                yield tail
            if last != "\n":
                stats.lines_read += 1  # the last line has no newline (a minified JSON file)
        finally:
            stream.close()
            raw.close()


class StreamSource:
    """Lines already in memory or arriving one by one (HTTP push, stdin)."""

    def __init__(self, lines: Iterable[str], *, name: str = "<stream>") -> None:
        self.name = name
        self._iter = iter(lines)
        self._buffered: list[str] = []

    def head_text(self) -> str:
        size = 0
        for line in self._iter:
            self._buffered.append(line)
            size += len(line) + 1
            if size >= _HEAD_BYTES:
                break
        return "\n".join(_strip_newline(line) for line in self._buffered)

    def _all(self) -> Iterator[str]:
        buffered, self._buffered = self._buffered, []
        return itertools.chain(buffered, self._iter)

    def lines(self, ctx: ReadContext) -> Iterator[tuple[int, str]]:
        stats = ctx.stats
        limit = ctx.options.max_line_bytes
        keep = ctx.options.max_raw_chars
        lineno = 0
        try:
            for lineno, line in enumerate(self._all(), 1):
                text = _strip_newline(line)
                if len(text) > limit:
                    ctx.dead(
                        text[:keep],
                        f"line of {len(text)} characters is longer than the {limit} limit; "
                        f"raw keeps its first {min(keep, len(text))} characters",
                        lineno,
                    )
                    continue
                if "\x00" in text:
                    ctx.dead(
                        text.replace("\x00", "\\x00"),
                        "binary data: the line contains NUL bytes",
                        lineno,
                    )
                    continue
                if _is_binary_text(text):
                    ctx.dead(
                        text, "binary data: more than 10% of the line is not valid UTF-8", lineno
                    )
                    continue
                if not text or text.isspace():
                    continue
                yield lineno, text
        finally:
            stats.lines_read += lineno

    def chunks(self, ctx: ReadContext) -> Iterator[str]:
        for line in self._all():
            ctx.stats.lines_read += 1
            yield line if line.endswith("\n") else line + "\n"
