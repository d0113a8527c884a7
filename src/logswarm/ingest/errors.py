"""Exceptions raised by :mod:`logswarm.ingest`.

A malformed *line* is never an exception: it becomes a dead letter and the run goes on. These
exceptions are for problems with the *request* itself, which no amount of skipping can fix::

    IngestError
    ├── UnknownFormatError   a format name that is not one of ``FORMATS``
    ├── LogFormatError       a Loghub-style format string that cannot be compiled
    └── SourceError          a path that does not exist or cannot be opened
"""

from __future__ import annotations

__all__ = ["IngestError", "LogFormatError", "SourceError", "UnknownFormatError"]


class IngestError(Exception):
    """Base class of everything :mod:`logswarm.ingest` raises."""


class UnknownFormatError(IngestError, ValueError):
    """The caller named a format that no reader implements."""

    def __init__(self, name: str, valid: tuple[str, ...]) -> None:
        self.name = name
        self.valid = valid
        super().__init__(f"unknown log format {name!r}; valid formats are: {', '.join(valid)}")


class LogFormatError(IngestError, ValueError):
    """A Loghub-style format string (``<Date> <Time> <Content>``) is unusable."""


class SourceError(IngestError, OSError):
    """A path given to :func:`logswarm.ingest.read_logs` cannot be read."""
