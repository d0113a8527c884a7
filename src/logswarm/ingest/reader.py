"""The entry points: files or lines in, normalised records out, one at a time.

:func:`read_logs` and :func:`read_lines` validate their arguments *eagerly* (an unknown format or
a missing path raises at the call, not at the first ``next()``), then return a generator that
reads lazily, so a pipeline can stop early and memory stays bounded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from logswarm.ingest._context import ReadContext
from logswarm.ingest.container import read_container
from logswarm.ingest.csv_reader import read_csv
from logswarm.ingest.deadletter import DeadLetterSink
from logswarm.ingest.dedupe import DedupeWindow
from logswarm.ingest.detect import FORMATS, detect_text
from logswarm.ingest.errors import UnknownFormatError
from logswarm.ingest.jsonl import read_json
from logswarm.ingest.options import IngestOptions
from logswarm.ingest.sources import FileSource, Source, StreamSource, expand_paths
from logswarm.ingest.stats import IngestStats
from logswarm.ingest.syslog import read_syslog
from logswarm.ingest.text import LoghubFormat, read_text
from logswarm.ingest.vpcflow import read_vpcflow
from logswarm.records import LogRecord

__all__ = ["read_lines", "read_logs"]

_Reader = Callable[[Source, ReadContext], Iterator[LogRecord]]
_READERS: dict[str, _Reader] = {
    "jsonl": read_json,
    "cloudtrail": read_json,
    "csv": read_csv,
    "syslog": read_syslog,
    "vpcflow": read_vpcflow,
    "container": read_container,
    "text": read_text,
}


def _check_format(fmt: str | None) -> str | None:
    if fmt is None:
        return None
    name = fmt.strip().lower()
    if name not in _READERS:
        raise UnknownFormatError(fmt, FORMATS)
    return name


def _compile(log_format: str | None) -> LoghubFormat | None:
    return LoghubFormat(log_format) if log_format is not None else None


def read_logs(
    paths: Sequence[str | Path],
    *,
    fmt: str | None = None,
    log_format: str | None = None,
    dead_letters: DeadLetterSink,
    stats: IngestStats | None = None,
    dedupe: bool = True,
    options: IngestOptions | None = None,
) -> Iterator[LogRecord]:
    """Records from files and directories (recursive, sorted), plain or ``.gz``.

    ``fmt`` forces one of :data:`FORMATS` for every file; otherwise each file's format is
    detected from its content. ``log_format`` (a Loghub format string) implies ``"text"`` when
    ``fmt`` is not given. ``dedupe`` drops exact duplicates within
    ``options.dedupe_window`` recent lines of each source kind, across all the files.

    Raises :class:`UnknownFormatError`, :class:`LogFormatError` or :class:`SourceError` at the
    call; malformed content never raises, it goes to ``dead_letters``.
    """
    name = _check_format(fmt)
    compiled = _compile(log_format)
    if name is None and compiled is not None:
        name = "text"
    files = expand_paths(paths)
    run_stats = stats if stats is not None else IngestStats()
    sizes = [f.stat().st_size for f in files]
    run_stats.total_bytes += sum(sizes)
    return _read_files(
        files,
        sizes,
        fmt=name,
        log_format=compiled,
        sink=dead_letters,
        stats=run_stats,
        options=options or IngestOptions(),
        windows={} if dedupe else None,
    )


def _read_files(
    files: list[Path],
    sizes: list[int],
    *,
    fmt: str | None,
    log_format: LoghubFormat | None,
    sink: DeadLetterSink,
    stats: IngestStats,
    options: IngestOptions,
    windows: dict[str, DedupeWindow] | None,
) -> Iterator[LogRecord]:
    done = stats.bytes_read
    for path, size in zip(files, sizes, strict=True):
        source = FileSource(path, progress_base=done)
        name = fmt or detect_text(source.head_text())
        reference = options.reference_time
        if reference is None:
            reference = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
        ctx = ReadContext(
            origin=str(path),
            sink=sink,
            stats=stats,
            options=options,
            windows=windows,
            log_format=log_format,
            reference_time=reference,
        )
        stats.files += 1
        stats.formats[str(path)] = name
        yield from _counted(_READERS[name](source, ctx), stats)
        done += size
        stats.bytes_read = done


def _counted(records: Iterator[LogRecord], stats: IngestStats) -> Iterator[LogRecord]:
    by_source = stats.by_source
    for record in records:
        stats.records += 1
        by_source[record.source] += 1
        yield record


def read_lines(
    lines: Iterable[str],
    *,
    fmt: str,
    origin: str = "<stream>",
    log_format: str | None = None,
    dead_letters: DeadLetterSink,
    stats: IngestStats | None = None,
    dedupe: bool = True,
    options: IngestOptions | None = None,
) -> Iterator[LogRecord]:
    """Records from lines already in memory or arriving one by one (HTTP push, stdin).

    ``fmt`` is required (a stream has no file to sniff); ``"auto"`` detects it from the first
    lines. ``origin`` names the stream in records and dead letters.
    """
    opts = options or IngestOptions()
    source = StreamSource(lines, name=origin)
    if fmt.strip().lower() == "auto":
        name = detect_text(source.head_text())
    else:
        checked = _check_format(fmt)
        assert checked is not None
        name = checked
    compiled = _compile(log_format)
    run_stats = stats if stats is not None else IngestStats()
    ctx = ReadContext(
        origin=origin,
        sink=dead_letters,
        stats=run_stats,
        options=opts,
        windows={} if dedupe else None,
        log_format=compiled,
        reference_time=opts.reference_time or datetime.now(UTC),
    )
    run_stats.formats[origin] = name
    return _counted(_READERS[name](source, ctx), run_stats)
